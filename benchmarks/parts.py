"""What each part of a recording costs: the harness run with parts of it taken out.

    python benchmarks/parts.py --runs 7                 # all three models
    python benchmarks/parts.py --models resnet --runs 9

A sampling profiler sees a stop's work only roughly (it cannot stop the process inside a
callback without slowing the callback), and timers inside a stop cost as much as the small
parts they time. So each part is measured by its absence: the same `record()` call in a fresh
process with the parts from some point on replaced by nothing, the variants interleaved round
by round with plain scripting, CPU time, the median of the rounds. Each step's cost is the
difference between two variants:

    plain      torch.jit.script alone
    backend    record() with the engine's events returning at once: the backend's callbacks,
               the builder log, the run's setup and end
    calls      + the engine's work at each watched call (the call stack, the module worked
               on, source records, the probes), no stop made
    stops      + each stop made and written, its values not encoded (written as null)
    harness    + the values encoded: the whole recording

`writing` is measured apart: the whole recording with the snapshot's writes (JSON and
`os.write`) replaced by nothing. The parts add up to the harness row only roughly: a part that
is taken out also takes out the garbage collections its objects caused.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from overhead import MODELS  # noqa: E402

VARIANTS = ("plain", "backend", "calls", "stops", "harness", "unwritten")

CHILD = r"""
import gc, json, os, sys, tempfile, time
frozen_at_start = gc.get_freeze_count()  # as the recording process reads it (session.py)
sys.path.insert(0, {root!r})
sys.path.insert(0, os.path.join({root!r}, "benchmarks"))
from harness import snapshot
from harness.recording import engine, session, values
session.interpreter_started_with(frozen_at_start)
from overhead import child_setup
model, variant = json.loads(sys.argv[1]), sys.argv[2]
torch, scenario, factory = child_setup(model)
if variant == "backend":
    engine.Engine.on_enter = lambda self, code, frame: None
    engine.Engine._leave = lambda self, code, frame, how, value, line: None
if variant == "calls":
    engine.Engine._stop = lambda self, *args: None
if variant == "stops":
    values.Encoder.encode_local = lambda self, key, value, stop: None
    engine.Engine._encode_extra = lambda self, index, name, value, names, f_locals: None
if variant == "unwritten":
    snapshot.SnapshotWriter.write = lambda self, record: None
out = os.path.join(tempfile.mkdtemp(), "s.jsonl")
start = time.process_time()
if variant == "plain":
    torch.manual_seed(0)
    torch.jit.script(factory(*scenario.model.args, **scenario.model.kwargs))
else:
    session.record(scenario, output=out)
print(json.dumps({{"cpu": time.process_time() - start}}))
"""


def measure(model: dict, variant: str) -> float:
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=ROOT), json.dumps(model),
                          variant], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{variant}: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["cpu"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="rounds (a process per variant)")
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated, of {', '.join(MODELS)}")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, median of {args.runs} rounds, CPU time, ms "
          "(the share of plain scripting in brackets)")
    steps = [("backend", "plain", "backend, builder log, setup"),
             ("calls", "backend", "watched calls (stack, module, sources, probes)"),
             ("stops", "calls", "stops made and written, values not encoded"),
             ("harness", "stops", "values encoded"),
             ("harness", "unwritten", "of all that: writing (JSON, os.write)"),
             ("harness", "plain", "the whole recording")]
    for key in args.models.split(","):
        label, model = MODELS[key]
        runs = {v: [] for v in VARIANTS}
        for _ in range(args.runs):
            for variant in VARIANTS:
                runs[variant].append(measure(model, variant))
        plain = statistics.median(runs["plain"])
        print(f"{label}: plain {plain * 1000:.0f} ms")
        for to, frm, what in steps:
            cost = statistics.median(a - b for a, b in zip(runs[to], runs[frm]))
            print(f"  {what:<52} {cost * 1000:6.1f} ms  ({cost / plain:+.0%})", flush=True)


if __name__ == "__main__":
    main()
