"""One recorded run, in this process: build the model, script it under the recorder, write the
snapshot. Needs torch; everything it hands out is plain data.

`record()` is what `harness run --in-process`, the child process of a plain `harness run`,
the Python API and the interactive debugger all call.
"""
from __future__ import annotations

import os
import platform
import random
import re
import sys
import warnings
from dataclasses import dataclass
from typing import Any, Callable, List, Optional

from . import __version__, backends, builder_log
from .errors import EXIT_STOPPED, HarnessError
from .recorder import Engine, WatchedBreakpoint
from .scenario import Scenario
from .snapshot import FORMAT, VERSION, SnapshotWriter
from .targets import match_line, relative_paths_in, resolve
from .values import default_encoder, strip_addresses, type_name


# torch warns, at import or (1.13) while scripting, when numpy is missing: a fact about the
# environment, not about torch's walk, so it is kept out of the terminal and the snapshot.
NUMPY_MISSING = ".*Failed to initialize NumPy.*"


def import_torch():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NUMPY_MISSING)
        import torch
    return torch


def default_output(scenario_name: str, torch_version: str) -> str:
    return os.path.join("snapshots", scenario_name, f"torch-{torch_version}.jsonl")


def resolve_breakpoints(scenario: Scenario) -> List[WatchedBreakpoint]:
    """Each breakpoint against the running interpreter; ScenarioError, located, if one fails."""
    watched = []
    for i, bp in enumerate(scenario.breakpoints):
        try:
            target = resolve(bp.function)
        except LookupError as exc:
            raise scenario.error_at(i, "function", f"{exc} (in torch "
                                                   f"{_torch_version()})") from None
        line = None
        if bp.at.event == "line":
            try:
                line = match_line(target, bp.at.fragment, bp.at.occurrence)
            except (LookupError, OSError, TypeError) as exc:
                raise scenario.error_at(i, "at", str(exc)) from None
        when = compile(bp.when, f"<when of breakpoints[{i}]>", "eval") if bp.when else None
        watched.append(WatchedBreakpoint(index=i, spec=bp, target=target, line=line, when=when))
    return watched


def _torch_version() -> str:
    torch = sys.modules.get("torch")
    return getattr(torch, "__version__", "not imported")


@dataclass
class RunResult:
    outcome: str  # "ok", "error", "stopped"
    stops: int
    path: str
    end: dict
    scripted: Any = None  # the RecursiveScriptModule, in-process only

    @property
    def exit_code(self) -> int:
        return {"ok": 0, "stopped": EXIT_STOPPED}.get(self.outcome, 1)


def record(scenario: Scenario, output: Optional[str] = None, backend: str = "auto",
           save_scripted: Optional[str] = None, sink: Optional[Callable[[dict], None]] = None,
           debugger: Any = None) -> RunResult:
    """Record one run. With a `debugger` (see `harness.debugger`), it is the tracer: each stop
    prompts, and stops reach the snapshot only when the user records them."""
    __tracebackhide__ = True  # noqa: F841 - pdb++ (and pytest) leave this frame out of stacks
    torch = import_torch()
    from . import model_loader, torch_values

    try:
        backend_name = debugger.name if debugger is not None else backends.choose(backend)
    except ValueError as exc:
        raise HarnessError(str(exc)) from None
    try:
        factory = model_loader.load_factory(scenario.model)
    except model_loader.ModelLoadError as exc:
        raise scenario.model_error(str(exc)) from None
    watched = resolve_breakpoints(scenario)  # after the model's import: it may be a target
    output = output or default_output(scenario.name, torch.__version__)
    encoder = torch_values.install(default_encoder())

    with SnapshotWriter(output) as writer:
        def emit(rec: dict) -> None:
            if debugger is None or rec["kind"] != "stop":
                writer.write(rec)
            if sink is not None:
                sink(rec)

        emit(_header(scenario, torch.__version__, backend_name))
        engine = Engine(watched, encoder, emit,
                        is_subject=lambda v: isinstance(v, torch.nn.Module))
        if debugger is not None:
            debugger.bind(engine, writer.write)
            tracer = debugger
        else:
            tracer = backends.create(backend_name, engine)
        scripted = error = None
        phase = "build"
        stopped_by: Optional[BaseException] = None
        with warnings.catch_warnings(record=True) as caught, builder_log.recording_builders():
            warnings.simplefilter("always")  # count every warning; none reaches the terminal
            warnings.filterwarnings("ignore", message=NUMPY_MISSING)
            random.seed(scenario.model.seed)
            torch.manual_seed(scenario.model.seed)
            tracer.start()
            try:
                model = factory(*scenario.model.args, **scenario.model.kwargs)
                torch_values.name_model(encoder, model)
                phase = "script"
                scripted = torch.jit.script(model)
            except BaseException as exc:  # noqa: B902 - sorted out just below
                if _is_debugger_quit(exc) or not isinstance(exc, Exception):
                    stopped_by = exc  # quitting the debugger, KeyboardInterrupt
                else:
                    error = exc
            finally:
                tracer.stop()
            if debugger is not None and debugger.h_quit and stopped_by is None:
                # torch caught the BdbQuit somewhere (it catches Exception around scripting
                # function attributes) and went on untraced: the user still stopped the run.
                import bdb

                stopped_by, scripted, error = bdb.BdbQuit(), None, None
            if error is not None and debugger is not None:
                debugger.post_mortem(error)
        end = _end(engine, scripted, error, phase, stopped_by, caught)
        if debugger is not None:  # the file holds the stops the user recorded
            end["stops_seen"], end["stops"] = engine.stops, len(debugger.h_recorded)
        emit(end)
    if scripted is not None and save_scripted:
        try:
            torch.jit.save(scripted, save_scripted)
        except (OSError, RuntimeError) as exc:
            raise HarnessError(f"the run is recorded in {output}, but the scripted module "
                               f"could not be saved to {save_scripted}: {exc}") from None
    if stopped_by is not None and not _is_debugger_quit(stopped_by):
        raise stopped_by
    return RunResult(outcome=end["outcome"], stops=engine.stops, path=output, end=end,
                     scripted=scripted)


def _is_debugger_quit(exc: BaseException) -> bool:
    import bdb

    return isinstance(exc, bdb.BdbQuit)


def _header(scenario: Scenario, torch_version: str, backend_name: str) -> dict:
    return {
        "kind": "header", "format": FORMAT, "version": VERSION, "harness": __version__,
        "scenario": {"name": scenario.name, "hash": scenario.hash,
                     "description": scenario.description},
        "breakpoints": [{"function": bp.function, "at": bp.at.describe(),
                         "capture": list(bp.capture), "when": bp.when, "key": list(bp.key)}
                        for bp in scenario.breakpoints],
        "torch": torch_version,
        "python": platform.python_version(),
        "backend": backend_name,
        "optimize": sys.flags.optimize,
        "hashseed": os.environ.get("PYTHONHASHSEED"),
    }


_NO_ATTRIBUTE = re.compile(r"has no attribute '(\w+)'")


def failed_attribute(error: BaseException) -> Optional[str]:
    """The attribute in torch's "Module 'X' has no attribute 'y'", the error this tool is for."""
    match = _NO_ATTRIBUTE.search(str(error))
    return match.group(1) if match else None


def _end(engine: Engine, scripted: Any, error: Optional[BaseException], phase: str,
         stopped_by: Optional[BaseException], caught: list) -> dict:
    end: dict = {"kind": "end", "outcome": "ok", "stops": engine.stops}
    if stopped_by is not None:
        end["outcome"] = "stopped"
        end["stopped_by"] = ("the user quit the debugger" if _is_debugger_quit(stopped_by)
                             else type(stopped_by).__name__)
    elif error is not None:
        end["outcome"] = "error"
        end["error"] = {"type": type_name(type(error)),
                        "message": relative_paths_in(strip_addresses(str(error))),
                        "phase": phase}
        attribute = failed_attribute(error)
        if attribute:
            end["error"]["attribute"] = attribute
    else:
        end["scripted"] = {"qualified_name": scripted._c._type().qualified_name()}
    end["warnings"] = _warnings(caught)
    never = {fn: sorted(n for n in names if n not in engine.tally.present.get(fn, ()))
             for fn, names in engine.tally.absent.items()}
    end["never_present"] = {fn: names for fn, names in never.items() if names}
    end["never_stopped"] = engine.never_stopped()
    end["when_errors"] = engine.tally.when_errors
    return end


def _warnings(caught: list) -> List[dict]:
    seen: dict = {}
    for w in caught:
        key = (type_name(w.category), strip_addresses(str(w.message)))
        seen[key] = seen.get(key, 0) + 1
    return [{"category": cat, "message": msg, "count": n} for (cat, msg), n in seen.items()]
