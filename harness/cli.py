"""The `harness` command line: arguments in, work handed to the modules that do it.

A `HarnessError` becomes a one-paragraph message and its exit code, never a traceback.
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import pathlib
import sys
from typing import List, Optional, Tuple

from . import __version__
from .errors import ExitCode, HarnessError, internal_error
from . import shipped
from .parent.job import Job, refuse_overwrites
from .matrix import DEFAULT_FAIL_ON, FAIL_ON
from .recording import backends
from .show import render, run_report
from .text import counted


def main(argv: Optional[List[str]] = None) -> int:
    render.escape_unencodable(sys.stdout, sys.stderr)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return ExitCode.USAGE
        code = int(args.handler(args))
        sys.stdout.flush()  # a full disk says so here, not in a traceback at exit
        return code
    except HarnessError as exc:
        render.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        render.error("interrupted")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader of the output went away (`harness replay --print ... | head`): stop
        # quietly, as `cat` would. Output still buffered would fail again when Python flushes
        # it at exit, so stdout is pointed at /dev/null first.
        _drop_stdout()
        return ExitCode.OUTPUT_CLOSED
    except OSError as exc:
        if exc.errno not in OUTPUT_ERRORS:
            render.error(internal_error(exc))
            return ExitCode.USAGE
        _drop_stdout()
        render.error(f"cannot write the output: {exc.strerror or exc}")
        return ExitCode.USAGE
    except RecursionError:
        render.error("the input is nested too deeply to read")
        return ExitCode.USAGE
    except MemoryError:
        render.error("out of memory: the input is too large")
        return ExitCode.USAGE
    except Exception as exc:  # noqa: B902 - the harness's own fault: one line, never silent
        render.error(internal_error(exc))
        return ExitCode.USAGE


# what writing the output (stdout: a full disk, /dev/full) fails with
OUTPUT_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)


def _drop_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered must not fail again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Step through torch.jit.script with a YAML scenario, record every stop, "
                    "replay and diff the recordings.")
    parser.add_argument("-V", "--version", action="version", version=f"harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="record a scenario: script its model, stop at each "
                                     "breakpoint, write a snapshot")
    run.add_argument("scenario", nargs="?",
                     help="scenario YAML file, or a shipped scenario's name (harness scenarios "
                          "lists them)")
    run.add_argument("--model", metavar="FILE.py:NAME",
                     help="no scenario: run the built-in seed walk on this model factory")
    run.add_argument("--args", metavar="YAML", default="[]",
                     help="with --model: the factory's arguments as a YAML list, e.g. '[true]'")
    run.add_argument("--kwargs", metavar="YAML", default="{}",
                     help="with --model: the factory's keyword arguments as a YAML mapping, "
                          "e.g. '{depth: 2, act: relu}'")
    run.add_argument("-o", "--output", metavar="SNAPSHOT",
                     help="snapshot path, replaced if it exists (default: a new run in "
                          "snapshots/<scenario>/, numbered: 001-torch-<version>.jsonl)")
    run.add_argument("--force", action="store_true",
                     help="without -o: replace the scenario's latest run (of the same kind, "
                          "full or interactive) instead of adding one")
    run.add_argument("--save-scripted", metavar="FILE.pt",
                     help="also save the scripted module with torch.jit.save")
    run.add_argument("--backend", choices=backends.NAMES, default="auto",
                     help="auto: sys.monitoring on Python 3.12+, else sys.settrace")
    run.add_argument("--in-process", action="store_true",
                     help="record in this process instead of a fresh one (torch's type caches "
                          "then carry over between runs)")
    run.add_argument("-i", "--interactive", action="store_true",
                     help="step the scenario's stops live in pdb++ (record stops with `record`)")
    run.add_argument("--stops", choices=run_report.MODES, default="auto",
                     help="which stops the report lists under their module: all, those marked "
                          f"✗, or none (auto: all up to {run_report.STOPS_SHOWN}, else the "
                          "marked ones)")
    run.add_argument("--keep-going", action="store_true",
                     help="after a failure, change the model in memory (never its files) so "
                          "that scripting gets past it, and script again, until it succeeds "
                          "or no change applies: every failure in one run (docs/keep-going.md)")
    run.add_argument("-q", "--quiet", action="store_true",
                     help="print only the outcome (and, for a failed run, torch's error and "
                          "the diagnosis)")
    add_color_options(run)
    run.set_defaults(handler=cmd_run)

    replay = sub.add_parser("replay", help="step through a snapshot offline (no torch needed)")
    replay.add_argument("snapshot", help="snapshot file (.jsonl) that harness run wrote")
    replay.add_argument("--print", dest="print_", action="store_true",
                        help="print the stops instead of prompting")
    replay.add_argument("--stop", type=int, metavar="N", help="print only stop #N")
    replay.add_argument("--function", metavar="NAME",
                        help="print only stops of functions whose name contains NAME")
    add_color_options(replay)
    replay.set_defaults(handler=cmd_replay)

    diff = sub.add_parser("diff", help="compare two snapshots of one scenario (exit 1 when "
                                       "they differ); without paths, its last two runs")
    diff.add_argument("a", metavar="A", nargs="?",
                      help="the snapshot compared against (the older one); with neither A nor "
                           "B, the last two runs of the scenario that has runs here")
    diff.add_argument("b", metavar="B", nargs="?",
                      help="the snapshot compared with A (the newer one)")
    diff.add_argument("--last", metavar="NAME",
                      help="compare the last two runs of scenario NAME (in snapshots/NAME/)")
    diff.add_argument("--golden", action="store_true",
                      help="compare the scenario's golden (__snapshots__/NAME/torch-X.Y.jsonl, "
                           "the pytest plugin's) with its latest run, instead of the run "
                           "before it")
    diff.add_argument("--format", choices=("text", "json", "html"), default="text",
                      help="html: one self-contained page (written to -o, else printed)")
    diff.add_argument("-o", "--output", metavar="FILE", help="write the report here")
    diff.add_argument("--ignore-contents", action="store_true",
                      help="leave tensors' contents out (shape, dtype and device still count): "
                           "for models that draw different random numbers")
    add_color_options(diff)
    diff.set_defaults(handler=cmd_diff)

    runs_ = sub.add_parser("runs", help="list the runs kept of a scenario (or remove old ones)")
    runs_.add_argument("name", metavar="NAME", nargs="?",
                       help="the scenario (default: the one with runs here; with several, "
                            "they are listed)")
    runs_.add_argument("--prune", action="store_true",
                       help="remove all but the newest --keep runs")
    runs_.add_argument("--keep", type=int, metavar="N", default=None,
                       help="with --prune: how many of the newest runs stay (default 2, "
                            "what harness diff compares)")
    add_color_options(runs_)
    runs_.set_defaults(handler=cmd_runs)

    report = sub.add_parser("report", help="a snapshot as one self-contained HTML page "
                                           "(no torch needed)")
    report.add_argument("snapshot", help="snapshot file (.jsonl) to show as a page")
    report.add_argument("-o", "--output", metavar="FILE.html",
                        help="where the page goes (default: the snapshot's path, .html)")
    report.add_argument("--open", action="store_true",
                        help="open the page in the web browser (at the failure's first stop, "
                             "for a failed run)")
    report.set_defaults(handler=cmd_report)

    matrix = sub.add_parser("matrix", help="record a scenario with several Python/torch "
                                           "environments and diff them against the first")
    matrix.add_argument("scenario", help="scenario YAML file (or a shipped scenario's name)")
    matrix.add_argument("--python", action="append", default=[], metavar="PATH",
                        help="an interpreter with torch installed (repeatable)")
    matrix.add_argument("--torch", action="append", default=[], metavar="VERSION[@PYTHON]",
                        help="a torch release to record with, in an environment the harness "
                             "provisions and caches (repeatable; @python3.10, @3.10 or "
                             "@/path/to/python picks the interpreter)")
    matrix.add_argument("-o", "--output", metavar="DIR", default=None,
                        help="where the snapshots go (default snapshots/<scenario>/matrix)")
    matrix.add_argument("--backend", choices=backends.NAMES, default="auto",
                        help="auto: sys.monitoring on Python 3.12+, else sys.settrace")
    matrix.add_argument("--fail-on", choices=FAIL_ON, default=DEFAULT_FAIL_ON,
                        help="what makes the exit status 1 (default: %(default)s): outcome: "
                             "the model fails to script with some environment; values: that, "
                             "or the recorded values differ from the first environment's; "
                             "code: that, or anything differs, torch's own code included; "
                             "never: only report. An environment that cannot be made exits 2")
    index = matrix.add_argument_group(
        "where torch comes from", "handed to uv or pip as they are, after your pip "
        "configuration; e.g. CPU builds: --index-url https://download.pytorch.org/whl/cpu")
    index.add_argument("--index-url", metavar="URL",
                       help="the package index (replaces pip's configured one)")
    index.add_argument("--extra-index-url", action="append", default=[], metavar="URL",
                       help="another index to look in (repeatable)")
    index.add_argument("--find-links", action="append", default=[], metavar="PATH_OR_URL",
                       help="a folder or page of wheels to look in (repeatable)")
    index.add_argument("--installer", choices=("auto", "uv", "pip"), default="auto",
                       help="what installs torch: auto (the default): uv from the harness's "
                            "own environment, else uv on PATH, else pip")
    matrix.add_argument("-v", "--verbose", action="store_true",
                        help="show uv's or pip's own output (else shown only when it fails)")
    add_color_options(matrix)
    matrix.set_defaults(handler=cmd_matrix)

    envs_ = sub.add_parser("envs", help="list (or remove) the torch environments matrix "
                                        "--torch provisioned")
    envs_.add_argument("--remove", action="append", default=[], metavar="VERSION",
                       help="remove the environments of this torch version (repeatable)")
    envs_.add_argument("--prune", action="store_true",
                       help="remove half-built environments, and those not used for 30 days")
    envs_.set_defaults(handler=cmd_envs)

    scenarios = sub.add_parser("scenarios", help="list the scenarios shipped with the harness "
                                                 "(run one by name: harness run seed_walk)")
    scenarios.add_argument("--paths", action="store_true",
                           help="also say where each scenario file is")
    scenarios.set_defaults(handler=cmd_scenarios)

    targets = sub.add_parser("targets", help="list the torch.jit functions a scenario can "
                                             "stop at")
    targets.add_argument("filter", nargs="?", default="",
                         help="show only names containing this text")
    model = targets.add_mutually_exclusive_group()
    model.add_argument("--model", metavar="FILE.py:NAME",
                       help="also list this model's own functions (breakpoints work there too)")
    model.add_argument("--scenario", metavar="SCENARIO",
                       help="also list the functions of this scenario's model")
    targets.set_defaults(handler=cmd_targets)

    completion = sub.add_parser("completion", help="print a shell completion script made from "
                                                   "this command line (bash or zsh)")
    completion.add_argument("shell", choices=COMPLETION_SHELLS,
                            help="the shell: bash (source it, or put it in "
                                 "bash-completion's folder) or zsh (put it on $fpath as "
                                 "_harness)")
    completion.set_defaults(handler=cmd_completion)
    return parser


def add_color_options(parser: argparse.ArgumentParser) -> None:
    color = parser.add_mutually_exclusive_group()
    color.add_argument("--color", dest="color", action="store_true", default=None,
                       help="colour even when not on a terminal")
    color.add_argument("--no-color", dest="color", action="store_false",
                       help="no colour (also: NO_COLOR set, or output piped)")


# -- run --------------------------------------------------------------------------------------
def load_scenario(args: argparse.Namespace):
    from . import scenario as scenario_mod

    if args.scenario and args.model:
        raise HarnessError("give a scenario file or --model, not both")
    if args.scenario:
        return scenario_mod.load(shipped.resolve(args.scenario))
    if args.model:
        try:
            here = os.getcwd()
        except OSError as exc:
            raise HarnessError(f"--model {args.model}: the current folder cannot be read "
                               f"({exc.strerror}; was it deleted?); cd to an existing one"
                               ) from None
        factory_args = scenario_mod.parse_yaml(args.args, "--args")
        if not isinstance(factory_args, list):
            raise HarnessError(f"--args must be a YAML list such as '[true]'; got "
                               f"{args.args[:80]!r}")
        factory_kwargs = scenario_mod.parse_yaml(args.kwargs, "--kwargs")
        if not isinstance(factory_kwargs, dict) or not all(
                isinstance(k, str) and k.isidentifier() for k in factory_kwargs):
            raise HarnessError("--kwargs must be a YAML mapping of argument names, such as "
                               f"'{{depth: 2}}'; got {args.kwargs[:80]!r}")
        attr = args.model.rpartition(":")[2]
        data = shipped.seed_walk_data(args.model, factory_args,
                                      name=f"seed-walk-{attr}" if attr.isidentifier()
                                      else "seed-walk", kwargs=factory_kwargs)
        return scenario_mod.from_data(data, base_dir=here, file="--model")
    raise HarnessError("give a scenario file (e.g. scenarios/seed_walk.yaml), a shipped "
                       "scenario's name (e.g. seed_walk), or --model path/to/models.py:MyNet")


def cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args)
    if args.save_scripted:
        folder = os.path.dirname(os.path.abspath(args.save_scripted))
        if not os.path.isdir(folder):
            raise HarnessError(f"--save-scripted {args.save_scripted}: folder {folder} does "
                               "not exist")
    try:
        backends.choose(args.backend)
    except ValueError as exc:
        raise HarnessError(str(exc)) from None
    if args.force and args.output:
        raise HarnessError("--force replaces the scenario's latest run; with -o the file you "
                           "name is replaced anyway: give one of them")
    job = Job(scenario=scenario, output=args.output, backend=args.backend,
              save_scripted=args.save_scripted, quiet=args.quiet, color=args.color,
              interactive=args.interactive, stops=args.stops, force=args.force)
    job.check_outputs()
    if args.keep_going:
        return run_keep_going(job, args)
    if args.in_process:
        from .recording.frontends.child import run_job

        return run_job(job)
    import signal

    from .parent import launch

    # once the run is over its snapshot says how it ended: a stop signal after that is ignored
    launch.SIGNALS_AFTER.update({sig: signal.SIG_IGN for sig in launch.STOP_SIGNALS})
    recording = launch.run(job)
    code = recording.exit_code()
    if recording.signals and not recording.told:
        render.error("interrupted" if code == ExitCode.INTERRUPTED else "stopped by a signal")
    if not args.output and not args.quiet and recording.recorded:
        print(_next_step(scenario.name))
    return code


def _next_step(scenario: str) -> str:
    """After a run kept in snapshots/<scenario>/: how to compare it, without paths."""
    from . import runs

    kept = [r for r in runs.list_runs(runs.scenario_folder(scenario))
            if "round" not in r.name.tags]  # run --keep-going's later rounds are its parts
    full = runs.full_runs(kept)
    if len(full) >= 2:
        return (f"runs kept: {len(kept)} (harness runs {scenario}); compare the last two: "
                f"harness diff --last {scenario}")
    return f"runs kept: {len(kept)} (harness runs {scenario})"


def run_keep_going(job: Job, args: argparse.Namespace) -> int:
    """`run --keep-going`: rounds of recording, each with the changes of the ones before."""
    from .parent import keep_going

    if args.in_process or args.interactive:
        raise HarnessError("--keep-going records each round in a fresh process, without the "
                           "debugger: leave out " + ("--in-process" if args.in_process
                                                     else "-i/--interactive"))
    style = render.Style.for_stream(sys.stdout, args.color)
    rounds = keep_going.run_rounds(job, announce=lambda text: print(style.dim(text),
                                                                    flush=True))
    first = rounds[0]
    if first.end is not None and first.end.outcome == "error":
        print("\n".join(keep_going.report_lines(rounds, job.scenario.model.file, style,
                                                 job.save_scripted)))
        print(style.red(keep_going.outcome_line(rounds)))
    # else it scripted (or was stopped): all is as without the flag
    if not args.output and not args.quiet and first.recording.recorded:
        print(_next_step(job.scenario.name))
    return keep_going.exit_code(rounds)


# -- replay, diff, matrix (snapshot files only: no torch) ------------------------------------
def cmd_replay(args: argparse.Namespace) -> int:
    from . import snapshot
    from .show.replay import ReplayShell, print_snapshot

    snap = snapshot.read(args.snapshot)
    style = render.Style.for_stream(sys.stdout, args.color)
    if args.stop is not None and not any(s.index == args.stop for s in snap.stops):
        last = f"#0 to #{snap.stops[-1].index}" if len(snap.stops) else "none"
        raise HarnessError(f"--stop {args.stop}: {args.snapshot} has no such stop "
                           f"(its stops: {last})")
    if args.print_ or args.stop is not None or args.function:
        return print_snapshot(snap, style, sys.stdout, args.stop, args.function)
    shell = ReplayShell(snap, style)
    try:
        import readline  # noqa: F401  (history and completion where the terminal has them)
    except ImportError:
        pass
    shell.cmdloop()
    return ExitCode.OK


def cmd_diff(args: argparse.Namespace) -> int:
    from . import snapshot
    from .compare import diff
    from .show.render_diff import diff_lines

    path_a, path_b = snapshots_to_compare(args)
    a, b = snapshot.read(path_a), snapshot.read(path_b)
    report = diff(a, b, contents=not args.ignore_contents)
    if args.format == "json":
        text = json.dumps(report.to_data(), indent=2, ensure_ascii=False)
    elif args.format == "html":
        from .show.html_diff import diff_page

        text = diff_page(report, a, b)
    else:
        style = render.Style(False) if args.output else \
            render.Style.for_stream(sys.stdout, args.color)
        text = "\n".join(diff_lines(report, style))
    if args.output:
        refuse_overwrites({"-o": args.output}, {"A": path_a, "B": path_b})
        write_text(args.output, text)
        print(f"diff written to {args.output}: {'equal' if report.equal else 'different'}")
    else:
        print(text)
    return ExitCode.OK if report.equal else ExitCode.FAILED


def snapshots_to_compare(args: argparse.Namespace) -> Tuple[str, str]:
    """The two snapshots `diff` compares: the paths given, or runs found by scenario."""
    from . import runs

    if args.a is not None and args.b is None:
        raise HarnessError(f"give two snapshots to compare (A B), or none to compare the last "
                           f"two runs of a scenario; only {args.a} was given")
    if args.a is not None:
        if args.last or args.golden:
            raise HarnessError("give two snapshot paths or --last/--golden, not both")
        return args.a, args.b
    name, folder = runs.find_scenario(args.last)
    if args.golden:
        run = runs.latest_full(name, folder)
        golden = runs.golden_of(name, run.name.torch, folder)
        print(f"comparing the golden of {name} with its latest run, {run.label}",
              file=sys.stderr)
        return golden, run.path
    older, newer = runs.last_two(name, folder)
    print(f"comparing the last two runs of {name}: {older.label} and {newer.label}",
          file=sys.stderr)
    return older.path, newer.path


def cmd_runs(args: argparse.Namespace) -> int:
    from . import runs
    from .show.run_list import run_lines, scenario_lines

    style = render.Style.for_stream(sys.stdout, args.color)
    if args.keep is not None and not args.prune:
        raise HarnessError("--keep says how many runs --prune leaves: give --prune too")
    keep = 2 if args.keep is None else args.keep
    if keep < 0:
        raise HarnessError(f"--keep {keep}: give 0 or more")
    if args.name is None and not args.prune and not runs.list_runs("."):
        root = runs.runs_root() if os.path.isdir(runs.runs_root()) else "."
        names = runs.scenarios_with_runs(root)
        if len(names) > 1:
            print("\n".join(scenario_lines(root, names, style)))
            return ExitCode.OK
    name, folder = runs.find_scenario(args.name)
    if args.prune:
        removed, kept = runs.prune(folder, keep)
        for run in removed:
            print(f"removed {run.label}: {os.path.relpath(run.path)}")
        print(f"{name}: {counted(runs.count_runs(removed), 'run')} removed, "
              f"{runs.count_runs(kept)} kept")
        return ExitCode.OK
    print("\n".join(run_lines(name, folder, runs.list_runs(folder), style)))
    return ExitCode.OK


def cmd_report(args: argparse.Namespace) -> int:
    from . import snapshot
    from .show.html_report import walk_page

    snap = snapshot.read(args.snapshot)
    output = args.output or os.path.splitext(args.snapshot)[0] + ".html"
    refuse_overwrites({"-o": output}, {"the snapshot": args.snapshot})
    write_text(output, walk_page(snap))
    print(f"report written to {output} ({counted(len(snap.stops), 'stop')})")
    # A page's address can name a stop (page.html#stop-16): a failed run's is its failure's.
    url = pathlib.Path(output).resolve().as_uri()
    failure = snap.diagnosis.stops[0] if snap.diagnosis and snap.diagnosis.stops else None
    if failure is not None:
        url += f"#stop-{failure}"
        print(f"the failure, at stop #{failure}: {url}")
    if args.open:
        import webbrowser

        if not webbrowser.open(url):
            print(f"no web browser could be started here; open {url}", file=sys.stderr)
    return ExitCode.OK


def write_text(path: str, text: str) -> None:
    try:
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        # a lone surrogate (from a snapshot or a file name) is written as its escape, \ud800:
        # in a page's JSON that is the same string again, elsewhere it shows what it was
        with open(path, "w", encoding="utf-8", errors="backslashreplace") as f:
            f.write(text)
    except OSError as exc:
        raise HarnessError(f"cannot write {path}: {exc.strerror or exc}") from None


def cmd_matrix(args: argparse.Namespace) -> int:
    from . import scenario as scenario_mod
    from . import snapshot
    from .compare import diff
    from .envs import IndexOptions
    from .matrix import check_out_dir, check_pythons, gate, overview, overview_lines, \
        record_all, release_lines, release_rows, specs
    from .show.render_diff import diff_lines

    scenario = scenario_mod.load(shipped.resolve(args.scenario))
    check_pythons(args.python, len(args.python) + len(args.torch))
    out_dir = args.output or os.path.join("snapshots", scenario.name, "matrix")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"-o {out_dir}: cannot be the folder the snapshots go to: "
                           f"{'it is a file' if os.path.isfile(out_dir) else exc.strerror}"
                           ) from None
    check_out_dir(out_dir)
    index = IndexOptions(args.index_url, tuple(args.extra_index_url), tuple(args.find_links))
    runs = record_all(scenario, specs(args.python, args.torch, index=index), out_dir,
                      backend=args.backend, index=index, verbose=args.verbose,
                      installer=args.installer)
    style = render.Style.for_stream(sys.stdout, args.color)
    recorded = [i for i, run in enumerate(runs) if run.recorded]
    snaps = {i: snapshot.read(runs[i].path) for i in recorded}
    reports = {i: diff(snaps[recorded[0]], snaps[i]) for i in recorded[1:]}
    for report in reports.values():
        print("\n".join(diff_lines(report, style)))
        print()
    if recorded:
        first = snaps[recorded[0]]
        others = [snaps[i] for i in recorded[1:]]
        print(style.bold(f"── overview: {scenario.name}, against {first.header.torch} "
                         + "─" * 20))
        print("\n".join(release_lines(release_rows(runs, snaps, reports))))
        print()
        print("\n".join(overview_lines(overview(first, others, list(reports.values())))))
    failed = [run for run in runs if not run.recorded]
    for run in failed:
        render.error(f"recording with {run.spec.label} failed: {run.problem()}")
    if failed:
        return ExitCode.USAGE
    if gate(args.fail_on, list(snaps.values()), list(reports.values())):
        return ExitCode.FAILED
    return ExitCode.OK


def cmd_envs(args: argparse.Namespace) -> int:
    import time

    from . import envs

    found = envs.list_envs()
    if args.remove:
        gone = [e for e in found if e.torch in args.remove]
        missing = sorted(set(args.remove) - {e.torch for e in gone})
        removals = envs.remove(gone)
        for removal in removals:
            print(removal.line())
        if missing:
            raise HarnessError(f"no cached environment holds torch {', '.join(missing)} "
                               f"(in {envs.envs_dir()})")
        return _removal_code(removals)
    if args.prune:
        removals = envs.prune()
        for removal in removals:
            print(removal.line())
        done = sum(r.removed for r in removals)
        print(f"{done} removed, {len(removals) - done} not removed, "
              f"{len(envs.list_envs())} kept")
        return _removal_code(removals)
    print(f"environments in {envs.envs_dir()}:")
    if not found:
        print("  none yet (harness matrix SCENARIO --torch VERSION makes them)")
    for env in found:
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(env.last_used))
        print(f"  torch {env.torch:<12} Python {env.python_version:<8} "
              f"{env.size() / 2 ** 30:6.2f} GB  last used {used}  ({env.made_with}) {env.path}")
    leftovers = envs.half_built()
    if leftovers:
        print(f"  and {len(leftovers)} half-built (harness envs --prune removes them)")
    return ExitCode.OK


# -- scenarios --------------------------------------------------------------------------------
def cmd_scenarios(args: argparse.Namespace) -> int:
    import shutil

    found = shipped.shipped()
    if not found:
        raise HarnessError("no shipped scenarios found (this installation has no scenarios "
                           "folder)")
    # Listed by file name; the name inside the file (seed-walk) works as well, and is shown
    # only where it is more than the file name with - for _.
    labels = [one.stem + ("" if one.name == one.stem.replace("_", "-") else f" ({one.name})")
              for one in found]
    width = max(len(label) for label in labels)
    room = max(40, shutil.get_terminal_size((100, 24)).columns - width - 3)
    for label, one in zip(labels, found):
        text = one.description if len(one.description) <= room else \
            one.description[: room - 1] + "…"
        print(f"{label:<{width}}  {text}".rstrip())
        if args.paths:
            print(f"{'':<{width}}  {one.path}")
    example = next((one.stem for one in found if one.stem == "seed_walk"), found[0].stem)
    print(f"{counted(len(found), 'scenario')} shipped; run one by its name: harness run "
          f"{example}", file=sys.stderr)
    return ExitCode.OK


def _removal_code(removals) -> int:
    failed = [r for r in removals if not r.removed]
    if failed:
        render.error(f"{len(failed)} of {len(removals)} environments could not be removed "
                     "(see above); check the cache's permissions")
        return ExitCode.USAGE
    return ExitCode.OK


# -- targets ----------------------------------------------------------------------------------
def cmd_targets(args: argparse.Namespace) -> int:
    from .recording import import_torch
    from .recording.paths import relative_file
    from .recording.targets import TORCH_JIT_MODULES, list_targets, module_of

    torch = import_torch()
    # Each group: what it is called in the count, and the modules whose functions it lists.
    # More groups (another part of torch, the model's) are one more entry here.
    groups = [(f"torch {torch.__version__}", list(TORCH_JIT_MODULES))]
    model_module = _targets_model(args)
    if model_module is not None:
        groups.append((f"the model ({model_module})", [model_module]))
    wanted = args.filter.lower()
    found, counts = [], []
    for title, modules in groups:
        listed = [(name, relative_file(file), line) for name, file, line in list_targets(modules)
                  if wanted in name.lower()]
        found += listed
        counts.append(f"{counted(len(listed), 'function')} in {title}")
    width = max((len(name) for name, _, _ in found), default=0)
    every_module = [m for _, modules in groups for m in modules]
    module, first = None, True
    for name, file, line in found:  # grouped by module, each under a heading with its file
        if first or module_of(name, every_module) != module:
            module = module_of(name, every_module)
            print(("" if first else "\n") + f"{module}  ({file})")
            first = False
        print(f"  {name:<{width}}  line {line}")
    print(", ".join(counts) + (f" matching {args.filter!r}" if args.filter else ""),
          file=sys.stderr)
    return ExitCode.OK if found else ExitCode.FAILED


def _targets_model(args: argparse.Namespace) -> Optional[str]:
    """The module name the model of --model or --scenario is imported under, imported."""
    if not (args.model or args.scenario):
        return None
    from . import scenario as scenario_mod
    from .recording.model_loader import ModelLoadError, import_model_module

    if args.scenario:
        spec = scenario_mod.load(shipped.resolve(args.scenario)).model
    else:
        args.args, args.kwargs = "[]", "{}"
        spec = load_scenario(args).model
    try:
        module = import_model_module(spec)
    except ModelLoadError as exc:
        raise HarnessError(str(exc)) from None
    return module.__name__


# -- completion -------------------------------------------------------------------------------
COMPLETION_SHELLS = ("bash", "zsh")


def cmd_completion(args: argparse.Namespace) -> int:
    # shtab turns argparse's own parser into the script, so the completion always knows
    # every command and option of this version.
    try:
        import shtab
    except ImportError:
        raise HarnessError("shell completion needs shtab, a dependency of the harness that "
                           "this environment lacks: pip install shtab") from None

    print(shtab.complete(build_parser(), shell=args.shell))
    return ExitCode.OK
