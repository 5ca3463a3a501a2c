"""How much slower is scripting under `harness run` than plain torch.jit.script?

    python benchmarks/overhead.py [--runs 5]

For each model (the seed's CustomModel, a small torch.nn.Transformer) and each backend this
Python has, it times, each in a fresh process (torch's type caches are process-wide):
plain = build the model + torch.jit.script; harness = the same under in-process recording of
the seed walk (encoding the captured locals and writing the snapshot included). It prints the
median of each and their ratio. Processes alternate, so machine noise hits both sides alike.
Timings exclude `import torch`, which is the same for both.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = {
    "seed CustomModel": {"factory": os.path.join(ROOT, "scenarios/models/seed_model.py")
                                    + ":CustomModel", "args": [True], "kwargs": {}},
    "nn.Transformer(d_model=128, 2+2 layers)": {
        "factory": "torch.nn:Transformer", "args": [],
        "kwargs": {"d_model": 128, "nhead": 4, "num_encoder_layers": 2,
                   "num_decoder_layers": 2, "dim_feedforward": 256}},
}

CHILD = r"""
import json, sys, time, tempfile, os, warnings
sys.path.insert(0, {root!r})
from harness.session import import_torch, record
from harness import scenario as scenario_mod, seed_walk, model_loader
torch = import_torch()
warnings.simplefilter("ignore")
model, mode = json.loads(sys.argv[1]), sys.argv[2]
data = seed_walk.scenario_data(model["factory"], model["args"], name="bench")
data["model"]["kwargs"] = model["kwargs"]
scenario = scenario_mod.from_data(data)
if mode == "plain":
    factory = model_loader.load_factory(scenario.model)
    start = time.perf_counter()
    torch.jit.script(factory(*scenario.model.args, **scenario.model.kwargs))
else:
    out = os.path.join(tempfile.mkdtemp(), "s.jsonl")
    start = time.perf_counter()
    record(scenario, output=out, backend=mode)
print(time.perf_counter() - start)
"""


def time_once(model: dict, mode: str) -> float:
    code = CHILD.format(root=ROOT)
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(model), mode], env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per measurement")
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    from harness import backends

    print(f"Python {sys.version.split()[0]}, median of {args.runs} processes each")
    print(f"{'model':<42} {'backend':<11} {'plain s':>8} {'harness s':>10} {'ratio':>6}")
    for label, model in MODELS.items():
        for backend in backends.available():
            plain, recorded = [], []
            for _ in range(args.runs):
                plain.append(time_once(model, "plain"))
                recorded.append(time_once(model, backend))
            p, r = statistics.median(plain), statistics.median(recorded)
            print(f"{label:<42} {backend:<11} {p:>8.3f} {r:>10.3f} {r / p:>5.1f}x", flush=True)


if __name__ == "__main__":
    main()
