"""How much slower is scripting a model under `harness` than plain torch.jit.script?

    python benchmarks/overhead.py [--runs 5] [--models seed,transformer,resnet]

For each model (the seed's CustomModel, a small torch.nn.Transformer, a ResNet-18-sized
network written below with torch.nn) it times, each in a fresh process (torch's type caches
are process-wide), median of --runs processes, the processes of all modes interleaved so that
machine noise hits them alike:

  plain          build the model + torch.jit.script
  frozen         the same with the objects that existed before it frozen out of the garbage
                 collector's sight, as a recording does (session._collector_spared): where
                 plain scripting itself makes a full collection (Python 3.13: 70 ms on the
                 Transformer), a recording skips it, and its ratio to plain understates its
                 own cost; its ratio to this row does not
  settrace       the same under an empty sys.settrace function: the floor any settrace
                 tracer pays
  bdb            under a bdb.Bdb with breakpoints on the seed walk's functions
  hunter         under hunter with the same functions as its query (skipped, with a line,
                 when hunter is not installed)
  harness/...    the same recorded by harness (the seed walk's breakpoints), with each backend
                 this Python has: the whole `record()` call, encoding, snapshot and all
  bare/...       the same breakpoints capturing no locals (only what a function returns): the
                 cost of the stops themselves, apart from the values they capture
  floor/...      the floor of each backend: the harness's backend watching the same code
                 objects, every callback returning at once (benchmarks/floor.py)
  minimal/...    the least a recorder can do on that backend: at each stop the captured
                 locals read, a minimal JSON line made and written with one os.write

`--modes plain,harness/monitoring` runs only those (plain is always run: the ratios need it).
`--clock cpu` times the process's CPU time instead of the elapsed time (torch on one thread):
on a machine that others load, elapsed times swing by 2x while CPU times stay within a few
percent.

It prints the medians, each mode's ratio to plain (the median of the rounds' ratios, each
round's run over the plain run of the same round) and the range of those ratios, the
snapshot's bytes per stop, the peak memory (max RSS) of the process, and, where the frozen
mode runs, each mode's ratio to it (`/frozen`). `import torch` is left out of every timing
(it is the same for all). Timings on a shared machine are noisy: compare ratios within one
run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODELS = {
    "seed": ("seed CustomModel", {"factory": os.path.join(ROOT, "scenarios", "models",
                                                          "seed_model.py") + ":CustomModel",
                                  "args": [True], "kwargs": {}}),
    "transformer": ("nn.Transformer(d_model=128, 2+2 layers)", {
        "factory": "torch.nn:Transformer", "args": [],
        "kwargs": {"d_model": 128, "nhead": 4, "num_encoder_layers": 2,
                   "num_decoder_layers": 2, "dim_feedforward": 256}}),
    "resnet": ("ResNet-18-sized (benchmarks/resnet.py)", {
        "factory": os.path.join(ROOT, "benchmarks", "resnet.py") + ":resnet18",
        "args": [], "kwargs": {}}),
}

def child_setup(model: dict, bare: bool = False):
    """In a measuring child process (this one's and parts.py's), before any timing: torch
    imported, warnings silenced, the seed walk's scenario on `model` (capturing nothing if
    `bare`) and its factory. Returns (torch, scenario, factory)."""
    import warnings

    from harness import scenario as scenario_mod, shipped
    from harness.recording import import_torch, model_loader

    torch = import_torch()
    warnings.simplefilter("ignore")
    data = shipped.seed_walk_data(model["factory"], model["args"], name="bench")
    data["model"]["kwargs"] = model["kwargs"]
    if bare:
        for bp in data["breakpoints"]:
            bp["capture"], bp["key"] = [], []
    scenario = scenario_mod.from_data(data)
    return torch, scenario, model_loader.load_factory(scenario.model)


CHILD = r"""
import gc, json, os, resource, sys, tempfile, time
frozen_at_start = gc.get_freeze_count()  # as the recording process reads it (session.py)
sys.path.insert(0, {root!r})
sys.path.insert(0, os.path.join({root!r}, "benchmarks"))
from harness import shipped
from harness.recording.session import interpreter_started_with, record
interpreter_started_with(frozen_at_start)
from overhead import child_setup
model, mode = json.loads(sys.argv[1]), sys.argv[2]
torch, scenario, factory = child_setup(model, bare=mode.startswith("bare/"))
codes = [seed_walk_target.code for seed_walk_target in
         [__import__("harness.recording.targets", fromlist=["resolve"]).resolve(bp["function"])
          for bp in shipped.seed_walk_data("model.py:Model")["breakpoints"]]]
out = os.path.join(tempfile.mkdtemp(), "s.jsonl")
stops = None

def plain():
    torch.manual_seed(0)
    torch.jit.script(factory(*scenario.model.args, **scenario.model.kwargs))

if mode == "plain":
    start, cpu_start = time.perf_counter(), time.process_time(); plain()
elif mode == "frozen":
    from harness.recording.session import _collector_spared
    start, cpu_start = time.perf_counter(), time.process_time()
    with _collector_spared():
        plain()
elif mode == "settrace":
    start, cpu_start = time.perf_counter(), time.process_time()
    sys.settrace(lambda frame, event, arg: None)
    try:
        plain()
    finally:
        sys.settrace(None)
elif mode == "bdb":
    import bdb
    class Quiet(bdb.Bdb):
        def user_line(self, frame): pass
        def user_call(self, frame, args): pass
        def user_return(self, frame, value): pass
    debugger = Quiet()
    for code in codes:
        debugger.set_break(code.co_filename, code.co_firstlineno + 1)
    start, cpu_start = time.perf_counter(), time.process_time()
    debugger.runcall(plain)
elif mode.startswith(("floor/", "minimal/")):
    sys.path.insert(0, os.path.join({root!r}, "benchmarks"))
    import floor
    from harness.recording import backends
    events = (floor.NullEvents(torch) if mode.startswith("floor/")
              else floor.MinimalRecorder(torch, out))
    start, cpu_start = time.perf_counter(), time.process_time()
    tracer = backends.create(mode.split("/", 1)[1], events)  # instrumenting counts
    tracer.start()
    try:
        plain()
    finally:
        tracer.stop()
    stops = getattr(events, "stops", None)
elif mode == "hunter":
    import hunter
    names = {{code.co_name for code in codes}}
    start, cpu_start = time.perf_counter(), time.process_time()
    hunter.trace(hunter.Q(function_in=names, kind_in=("call", "return")),
                 action=lambda event: None)
    try:
        plain()
    finally:
        hunter.stop()
else:
    backend = mode.split("/", 1)[1]
    start, cpu_start = time.perf_counter(), time.process_time()
    result = record(scenario, output=out, backend=backend)
    stops = result.stops
seconds = time.perf_counter() - start
cpu = time.process_time() - cpu_start
size = os.path.getsize(out) if stops else 0
print(json.dumps({{"seconds": seconds, "cpu": cpu, "stops": stops, "bytes": size,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def measure(model: dict, mode: str, clock: str = "wall") -> dict:
    env = dict(os.environ, PYTHONHASHSEED="0")
    if clock == "cpu":  # torch's idle worker threads would add their spinning to the CPU time
        env["OMP_NUM_THREADS"] = "1"
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=ROOT), json.dumps(model), mode],
                         env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{mode}: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def modes() -> list:
    sys.path.insert(0, ROOT)
    from harness.recording import backends

    found = ["plain", "frozen", "settrace", "bdb"]
    try:
        import hunter  # noqa: F401

        found.append("hunter")
    except ImportError:
        print("hunter: not installed, skipped (pip install hunter to compare with it)")
    return found + [f"{kind}/{name}" for name in backends.available()
                    for kind in ("floor", "minimal", "harness", "bare")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per measurement")
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--modes", help="comma-separated modes to run (plain always runs); "
                        "default: all this Python has")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: elapsed time (default); cpu: the process's CPU time, with "
                        "torch on one thread: steadier on a machine others load")
    args = parser.parse_args()
    chosen = modes()
    if args.modes:
        wanted = ["plain"] + [m for m in args.modes.split(",") if m != "plain"]
        unknown = [m for m in wanted if m not in chosen]
        if unknown:
            parser.error(f"unknown modes {', '.join(unknown)}; this Python has "
                         f"{', '.join(chosen)}")
        chosen = wanted
    import torch  # for the version line only

    print(f"Python {sys.version.split()[0]}, torch {torch.__version__}, median of "
          f"{args.runs} processes each, {args.clock} clock")
    frozen = "frozen" in chosen
    print(f"{'model':<40} {'mode':<20} {'seconds':>8} {'ratio':>6} {'range':>11} {'B/stop':>7} "
          f"{'stops':>6} {'max RSS MB':>10}" + (f" {'/frozen':>8}" if frozen else ""))
    for key in args.models.split(","):
        label, model = MODELS[key]
        results = {mode: [] for mode in chosen}
        for _ in range(args.runs):
            for mode in chosen:
                results[mode].append(measure(model, mode, args.clock))
        field = "seconds" if args.clock == "wall" else "cpu"
        plain_runs = [r[field] for r in results["plain"]]
        for mode in chosen:
            runs = results[mode]
            seconds = statistics.median(r[field] for r in runs)
            # each round's ratio to the plain run of the same round: noise that hits a round
            # hits both; the median of those, and their spread
            ratios = sorted(r[field] / p for r, p in zip(runs, plain_runs))
            ratio = statistics.median(ratios)
            spread = f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
            stops = runs[0]["stops"]
            per_stop = f"{runs[0]['bytes'] / stops:7.0f}" if stops else f"{'-':>7}"
            rss = statistics.median(r["maxrss_kb"] for r in runs) / 1024
            # the median of the rounds' ratios to the frozen run of the same round
            to_frozen = ""
            if frozen:
                over = statistics.median(r[field] / f[field]
                                         for r, f in zip(runs, results["frozen"]))
                to_frozen = f" {over:7.2f}x"
            print(f"{label:<40} {mode:<20} {seconds:8.3f} {ratio:5.2f}x {spread:>11} "
                  f"{per_stop} {stops or '-':>6} {rss:10.0f}{to_frozen}", flush=True)


if __name__ == "__main__":
    main()
