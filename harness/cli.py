"""The `harness` command line: parses arguments, hands work to the modules that do it, and
turns `HarnessError` into a one-paragraph message and exit code 2 (never a traceback).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from typing import List, Optional

from . import __version__, backends, render
from .errors import EXIT_USAGE, HarnessError


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except HarnessError as exc:
        render.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        render.error("interrupted")
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Step through torch.jit.script with a YAML scenario, record every stop, "
                    "replay and diff the recordings.")
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="record a scenario: script its model, stop at each "
                                     "breakpoint, write a snapshot")
    run.add_argument("scenario", nargs="?", help="scenario YAML file")
    run.add_argument("--model", metavar="FILE.py:NAME",
                     help="no scenario: run the built-in seed walk on this model factory")
    run.add_argument("--args", metavar="YAML", default="[]",
                     help="with --model: the factory's arguments as a YAML list, e.g. '[true]'")
    run.add_argument("-o", "--output", metavar="SNAPSHOT",
                     help="snapshot path (default snapshots/<scenario>/torch-<version>.jsonl)")
    run.add_argument("--save-scripted", metavar="FILE.pt",
                     help="also save the scripted module with torch.jit.save")
    run.add_argument("--backend", choices=backends.NAMES, default="auto",
                     help="auto: sys.monitoring on Python 3.12+, else sys.settrace")
    run.add_argument("--in-process", action="store_true",
                     help="record in this process instead of a fresh one (torch's type caches "
                          "then carry over between runs)")
    run.add_argument("-q", "--quiet", action="store_true", help="print only the outcome")
    color = run.add_mutually_exclusive_group()
    color.add_argument("--color", dest="color", action="store_true", default=None)
    color.add_argument("--no-color", dest="color", action="store_false")
    run.set_defaults(handler=cmd_run)

    targets = sub.add_parser("targets", help="list the torch.jit functions a scenario can "
                                             "stop at")
    targets.add_argument("filter", nargs="?", default="",
                         help="show only names containing this text")
    targets.set_defaults(handler=cmd_targets)
    return parser


# -- run --------------------------------------------------------------------------------------
def load_scenario(args: argparse.Namespace):
    from . import scenario as scenario_mod
    from . import seed_walk

    if args.scenario and args.model:
        raise HarnessError("give a scenario file or --model, not both")
    if args.scenario:
        return scenario_mod.load(args.scenario)
    if args.model:
        import yaml

        try:
            factory_args = yaml.safe_load(args.args)
        except yaml.YAMLError as exc:
            raise HarnessError(f"--args is not valid YAML: {exc}") from None
        if not isinstance(factory_args, list):
            raise HarnessError(f"--args must be a YAML list such as '[true]'; got {args.args!r}")
        attr = args.model.rpartition(":")[2]
        data = seed_walk.scenario_data(args.model, factory_args,
                                       name=f"seed-walk-{attr}" if attr.isidentifier()
                                       else "seed-walk")
        return scenario_mod.from_data(data, base_dir=os.getcwd(), file="--model")
    raise HarnessError("give a scenario file (e.g. scenarios/seed_walk.yaml) or "
                       "--model path/to/models.py:MyNet")


def cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args)
    try:
        backends.choose(args.backend)
    except ValueError as exc:
        raise HarnessError(str(exc)) from None
    job = {"scenario": scenario.to_data(), "output": args.output, "backend": args.backend,
           "save_scripted": args.save_scripted, "quiet": args.quiet, "color": args.color}
    if args.in_process:
        from .child import run_job

        return run_job(job)
    return run_in_fresh_process(job, sys.executable)


def run_in_fresh_process(job: dict, python: str, stdout=None, stderr=None) -> int:
    """Run a job in a new interpreter: torch's type caches start empty, hash order is fixed.

    The child needs only Python and torch: the scenario travels as validated JSON, and the
    harness package is put on its path, so an environment with torch alone will do.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(job, f)
        job_file = f.name
    try:
        return subprocess.call([python, "-m", "harness.child", job_file],
                               env=child_environment(), stdout=stdout, stderr=stderr)
    finally:
        os.unlink(job_file)


def child_environment() -> dict:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"  # torch iterates sets while building types: fix their order
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


# -- targets ----------------------------------------------------------------------------------
def cmd_targets(args: argparse.Namespace) -> int:
    from .session import import_torch
    from .targets import list_targets, relative_file

    torch = import_torch()
    wanted = args.filter.lower()
    found = [(name, relative_file(file), line) for name, file, line in list_targets()
             if wanted in name.lower()]
    width = max((len(name) for name, _, _ in found), default=0)
    for name, file, line in found:
        print(f"{name:<{width}}  {file}:{line}")
    print(f"{len(found)} functions in torch {torch.__version__}"
          + (f" matching {args.filter!r}" if args.filter else ""), file=sys.stderr)
    return 0 if found else 1
