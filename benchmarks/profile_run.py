"""Record one model many times in one process, for a sampling profiler to look inside a stop.

    py-spy record -r 2000 -f raw -o stacks.txt -- python benchmarks/profile_run.py transformer 20
    python benchmarks/profile_run.py --summary stacks.txt

A deterministic profiler cannot see a stop's work: Python runs trace and sys.monitoring
callbacks with profiling switched off. A sampling profiler (py-spy, `pip install py-spy`) reads
the stacks from outside and sees them. `--summary` prints, for the harness's own functions,
the share of the samples taken inside `record()` that fell in each (inclusive). Later runs in
one process find torch's type caches warm, so torch's share is smaller than in a fresh
process; the harness's work per stop is the same.
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from overhead import MODELS  # noqa: E402

OURS = ("engine.py", "values.py", "torch_values.py", "snapshot.py", "monitoring.py",
        "settrace.py", "probes.py", "builder_log.py", "contents.py", "records.py",
        "session.py", "encoder.py")


def record_many(model: str, times: int, backend: str) -> None:
    from harness import scenario as scenario_mod, shipped
    from harness.recording import import_torch
    from harness.recording.session import record

    import_torch()
    warnings.simplefilter("ignore")
    spec = MODELS[model][1]
    data = shipped.seed_walk_data(spec["factory"], spec["args"], name="profile")
    data["model"]["kwargs"] = spec["kwargs"]
    scenario = scenario_mod.from_data(data)
    for _ in range(times):
        record(scenario, output=os.path.join(tempfile.mkdtemp(), "s.jsonl"), backend=backend)


def summary(path: str, shown: int = 30) -> None:
    inclusive: collections.Counter = collections.Counter()
    in_record = 0
    for line in open(path):
        stack, _, count = line.rstrip().rpartition(" ")
        frames = {f.split(" (")[0] + " (" + os.path.basename(f.split(" (")[1].split(":")[0]) + ")"
                  for f in stack.split(";") if " (" in f}
        if "record (session.py)" not in frames:
            continue
        in_record += int(count)
        for frame in frames:
            inclusive[frame] += int(count)
    print(f"{in_record} samples inside record(); the harness's functions, inclusive:")
    ours = [(f, c) for f, c in inclusive.most_common() if f.rsplit("(", 1)[1][:-1] in OURS]
    for frame, count in ours[:shown]:
        print(f"{count / in_record * 100:6.1f}%  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", nargs="?", choices=list(MODELS), default="transformer")
    parser.add_argument("times", nargs="?", type=int, default=20)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--summary", metavar="STACKS", help="py-spy's raw output to summarise")
    args = parser.parse_args()
    if args.summary:
        summary(args.summary)
    else:
        record_many(args.model, args.times, args.backend)


if __name__ == "__main__":
    main()
