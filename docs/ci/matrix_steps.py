"""The steps of the GitHub Actions matrix workflow (docs/ci/harness-matrix.yml), as a script
that runs the same on a laptop as in CI (tests/integration/test_ci_steps.py runs it):

    python docs/ci/matrix_steps.py record --torch 2.14.1 --out snapshots/2.14.1
    python docs/ci/matrix_steps.py record --python /path/to/python --out snapshots/mine
    python docs/ci/matrix_steps.py compare snapshots/2.13.0 snapshots/2.14.1 \
        --expected docs/ci/expected-overview.json [--update]

`record` provisions the torch release (as `harness matrix --torch` does, in the harness's
cache) or takes an interpreter, and records every scenario (`--scenarios`, a glob) into
`--out`, one snapshot each. `compare` diffs every scenario's snapshot in each folder against
the first folder's and builds the overview (function by version: same, code changed, values
changed, missing); it fails (exit 1) when an overview differs from the one expected, printing
both and the diffs, and writes a Markdown summary to $GITHUB_STEP_SUMMARY when CI sets it.
`--update` writes the overviews as the new expectation, to commit once reviewed.
"""
import argparse
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

import harness  # noqa: E402
from harness import api  # noqa: E402
from harness import envs  # noqa: E402
from harness.errors import HarnessError  # noqa: E402
from harness.matrix import overview, overview_lines  # noqa: E402


def record(args) -> int:
    if args.python:
        python = args.python
    else:
        request = envs.Request.parse(args.torch)
        chosen = envs.choose(request, envs.discover(), print)
        python = envs.provision(request, chosen, print).python
    os.makedirs(args.out, exist_ok=True)
    failed = 0
    for path in sorted(glob.glob(args.scenarios)):
        scenario = api.load_scenario(path)
        out = os.path.join(args.out, f"{scenario.name}.jsonl")
        try:
            snap = harness.run(path, output=out, python=python)
            print(f"{scenario.name}: {snap.outcome}, {len(snap.stops)} stops -> {out}")
        except HarnessError as exc:
            print(f"{scenario.name}: could not be recorded: {exc}", file=sys.stderr)
            failed += 1
    return 2 if failed else 0


def compare(args) -> int:
    expected = {}
    if os.path.exists(args.expected):
        with open(args.expected, encoding="utf-8") as f:
            expected = json.load(f)
    base, others = args.folders[0], args.folders[1:]
    found, unexpected, summary = {}, [], ["# harness matrix", ""]
    for path in sorted(glob.glob(os.path.join(base, "*.jsonl"))):
        name = os.path.basename(path)[: -len(".jsonl")]
        first = harness.load(path)
        snaps = [harness.load(os.path.join(folder, os.path.basename(path)))
                 for folder in others]
        reports = [harness.diff(first, snap) for snap in snaps]
        table = overview(first, snaps, reports)
        found[name] = table.rows
        lines = overview_lines(table)
        summary += [f"## {name}", "", "```"] + lines + ["```", ""]
        if expected.get(name) != table.rows and not args.update:
            unexpected.append(name)
            print(f"{name}: the overview is not the one expected", file=sys.stderr)
            print("\n".join(lines))
            print("expected:", json.dumps(expected.get(name), indent=1))
            for report in reports:
                if not report.equal:
                    print(report.text())
    if args.update:
        with open(args.expected, "w", encoding="utf-8") as f:
            json.dump(found, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"wrote {args.expected}")
        return 0
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as f:
            f.write("\n".join(summary) + "\n")
    if unexpected:
        print(f"unexpected differences in {', '.join(unexpected)}", file=sys.stderr)
        return 1
    print(f"{len(found)} scenarios, {len(args.folders)} versions: as expected")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    rec = sub.add_parser("record")
    which = rec.add_mutually_exclusive_group(required=True)
    which.add_argument("--torch", metavar="VERSION[@PYTHON]")
    which.add_argument("--python", metavar="PATH")
    rec.add_argument("--scenarios", default=os.path.join(ROOT, "scenarios", "*.yaml"))
    rec.add_argument("--out", required=True)
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("folders", nargs="+")
    cmp_.add_argument("--expected", required=True)
    cmp_.add_argument("--update", action="store_true")
    args = parser.parse_args()
    try:
        return record(args) if args.step == "record" else compare(args)
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
