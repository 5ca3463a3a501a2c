"""The recording side of `harness run`, as a process of its own.

`python -m harness.child JOB.json` runs one job (a validated scenario as data, the snapshot
path, the backend, display options) and exits 0 (scripted), 1 (scripting failed) or 2 (bad
input). It imports nothing beyond the standard library and torch, so `harness matrix` can run
it in an environment that holds only torch.
"""
from __future__ import annotations

import json
import signal
import sys

from . import render
from .errors import HarnessError
from .scenario import Scenario


def run_job(job: dict) -> int:
    from .session import default_output, record

    scenario = Scenario.from_job(job["scenario"])
    interactive = job.get("interactive", False)
    printer = render.LivePrinter(quiet=job.get("quiet", False), color=job.get("color"),
                                 show_stops=not interactive)  # the debugger shows them
    debugger = None
    if interactive:
        from .debugger import create

        debugger = create(color=job.get("color"))
    try:
        result = record(scenario, output=job.get("output"), backend=job.get("backend", "auto"),
                        save_scripted=job.get("save_scripted"), sink=printer,
                        debugger=debugger)
    except HarnessError as exc:
        render.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:  # the snapshot's end already says "stopped"
        torch = sys.modules.get("torch")  # imported if the run began; else no path is shown
        printer.finish(job.get("output") or default_output(
            scenario.name, getattr(torch, "__version__", "?")))
        render.error("interrupted")
        return 130
    printer.finish(result.path)
    return result.exit_code


def main(argv=None) -> int:
    # The parent ignores Ctrl-C while this runs, and an ignored signal stays ignored across
    # exec: take it back, so that Ctrl-C stops this run (and reaches the debugger).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m harness.child JOB.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        job = json.load(f)
    return run_job(job)


if __name__ == "__main__":
    sys.exit(main())
