"""One recorded run, in this process: build the model, script it, write the snapshot.

Needs torch; everything it hands out is plain data.

`record()` is what the recording process of `harness run`, `harness run --in-process` and the
Python API call. A front end that watches the run live (the interactive debugger) comes in as
a `RunObserver`; nothing here knows which one it is.
"""
from __future__ import annotations

import bdb
import contextlib
import gc
import os
import platform
import random
import sys
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List, Optional, Tuple

from .. import __version__, runs
from ..errors import ExitCode, HarnessError, Stopped, internal_error
from ..records import ENCODING_VERSION, FORMAT, FORMAT_VERSION, BreakpointInfo, End, \
    ErrorInfo, Header, ScenarioInfo, Stop, WarningInfo
from ..scenario import Scenario, compile_condition
from ..snapshot import SnapshotWriteError, SnapshotWriter
from ..text import counted, strip_addresses
from . import NUMPY_MISSING, backends, builder_log, diagnosis as diagnose, import_torch, \
    probes, subjects
from .engine import Engine, WatchedBreakpoint
from .observer import RunObserver
from .paths import relative_paths_in
from .targets import match_line, resolve
from .values import default_encoder, type_name


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
        if bp.at.event == "line" and bp.at.fragment is not None:  # the reader gives it one
            try:
                line = match_line(target, bp.at.fragment, bp.at.occurrence)
            except (LookupError, OSError, TypeError) as exc:
                raise scenario.error_at(i, "at", str(exc)) from None
        try:
            when = compile_condition(bp.when, f"<when of breakpoints[{i}]>") if bp.when \
                else None
        except ValueError as exc:
            raise scenario.error_at(i, "when", str(exc)) from None
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
    end: End
    scripted: Any = None  # the RecursiveScriptModule, in-process only

    @property
    def exit_code(self) -> ExitCode:
        return {"ok": ExitCode.OK, "stopped": ExitCode.STOPPED}.get(self.outcome,
                                                                     ExitCode.FAILED)


Progress = Callable[..., None]


def _no_progress(**fields) -> None:
    pass


def _stops_the_run(exc: BaseException) -> bool:
    """Quitting the debugger, Ctrl-C, a stop signal: the run was stopped. Anything else the
    model's code raised, sys.exit included, is the model failing."""
    return isinstance(exc, (bdb.BdbQuit, KeyboardInterrupt, Stopped))


def record(scenario: Scenario, output: Optional[str] = None, backend: str = "auto",
           save_scripted: Optional[str] = None, sink: Optional[Callable[[Any], None]] = None,
           observer: Optional[RunObserver] = None, progress: Progress = _no_progress,
           interactive: bool = False, replace_last: bool = False,
           keep_going: Any = None) -> RunResult:
    """Record one run. `sink` sees every record as it is made (the live printer); `observer`
    watches the run (the debugger: its own tracer, and it decides which stops are written);
    `progress(phase=...)` and `progress(snapshot=path)` say how far it got, for the parent
    process to report if this one dies. Without `output` the run gets the next number in
    `snapshots/<scenario>/` (`runs.new_run`; `interactive` names it so, `replace_last` reuses
    the latest run's number instead). `keep_going` (a `remedies.KeepGoing`, for `run
    --keep-going`) changes the model before scripting and proposes the next change."""
    __tracebackhide__ = True  # noqa: F841 - pdb++ (and pytest) leave this frame out of stacks
    progress(phase="importing torch")
    try:
        torch = import_torch()
    except ImportError as exc:
        raise HarnessError(f"torch cannot be imported by {sys.executable}: "
                           f"{type(exc).__name__}: {exc}") from None
    with caller_state_kept(torch), _collector_spared():
        try:
            return _record(torch, scenario, output, backend, save_scripted, sink,
                           observer or RunObserver(), progress, interactive, replace_last,
                           keep_going)
        except (HarnessError, KeyboardInterrupt, Stopped, bdb.BdbQuit):
            raise
        except Exception as exc:  # noqa: B902 - the harness's own: one line, never silent
            kept = getattr(exc, "snapshot_kept", None)
            raise HarnessError(internal_error(exc) + (f"; {kept}" if kept else "")) from None


def _record(torch: Any, scenario: Scenario, output: Optional[str], backend: str,
            save_scripted: Optional[str], sink: Optional[Callable[[Any], None]],
            observer: RunObserver, progress: Progress, interactive: bool,
            replace_last: bool, keep_going: Any = None) -> RunResult:
    __tracebackhide__ = True  # noqa: F841
    from . import frontend_values, torch_values

    factory, watched = _load(scenario, backend, progress)
    output = output or _new_run_file(scenario, torch, interactive, replace_last)
    encoder = torch_values.install(default_encoder())
    frontend_probes: List[Tuple[str, Any]] = []
    frontend_values.install(encoder, torch, lambda fn, probe: frontend_probes.append((fn, probe)))
    encoder.growth = observer.writes_every_stop

    with SnapshotWriter(output) as writer:
        progress(snapshot=os.path.abspath(output), phase="building the model")
        # the header names the backend, made just below: read when the header is written
        records = _HeldUntilHeader(
            writer, sink, lambda: _header(scenario, torch.__version__, tracer.name))

        writes_all = sink is None and type(observer).should_write is RunObserver.should_write

        def emit(rec: Any) -> None:
            if writes_all and records.held is None:  # the usual run: straight to the file
                writer.write(rec)
            else:
                records.out(rec, not isinstance(rec, Stop) or observer.should_write(rec), True)

        run_probes = probes.install(encoder, torch)
        for function, probe in frontend_probes:
            run_probes.add(function, probe)
        engine = Engine(watched, encoder, emit, observer,
                        is_subject=lambda v: isinstance(v, torch.nn.Module),
                        probes=run_probes.by_code, plain_stops=writes_all)
        try:
            tracer = observer.tracer(engine) or backends.create(backend, engine)
        except ValueError as exc:  # an explicit --backend instrument that cannot instrument
            raise HarnessError(str(exc)) from None
        observer.attach(engine, lambda stop: records.out(stop, True, False))
        with warnings.catch_warnings(record=True) as caught, builder_log.recording_builders():
            warnings.simplefilter("always")  # count every warning; none reaches the terminal
            warnings.filterwarnings("ignore", message=NUMPY_MISSING)
            random.seed(scenario.model.seed)
            torch.manual_seed(scenario.model.seed)
            run = _build_and_script(
                torch, scenario, factory, tracer, encoder, keep_going, progress,
                records.write_header)
            reason = _checked_after_scripting(run, engine, observer, keep_going, output)
            builders = builder_log.calls_made() if run.error is not None else []
        end = _end(engine, run.scripted, run.error, run.phase, run.stopped_by, caught, reason,
                   lambda done: subjects.scripted_info(torch, run.subject, done))
        if records.subject_in_end:
            end.subject = run.subject
        _diagnose_failure(end, run, run_probes, builders, encoder, output, scenario, observer,
                          keep_going, progress)
        for name, value in observer.end_fields().items():
            setattr(end, name, value)
        if run.removed and run.stopped_by is None:
            end.outcome, end.scripted, end.diagnosis = "incomplete", None, None
            end.error = ErrorInfo(type="TracerRemoved", message=run.removed, phase=run.phase)
        progress(ending=True)  # from here on, the outcome is decided: a late signal is ignored
        emit(end)
    progress(phase="finishing")
    if run.scripted is not None and save_scripted:
        _save_scripted(torch, run, save_scripted, output, progress)
    if run.stopped_by is not None and not isinstance(run.stopped_by, bdb.BdbQuit):
        raise run.stopped_by
    if end.outcome == "incomplete":
        raise HarnessError(f"{run.removed}, so the run was not recorded whole: {output} ends as "
                           f"incomplete after {counted(engine.stops, 'stop')}")
    return RunResult(outcome=end.outcome, stops=engine.stops, path=output, end=end,
                     scripted=run.scripted)


def _load(scenario: Scenario, backend: str,
          progress: Progress) -> Tuple[Callable[..., Any], List[WatchedBreakpoint]]:
    """The backend checked, the model's factory imported, then the breakpoints resolved
    (after the model's import: it may be a target)."""
    from . import model_loader

    try:
        backends.choose(backend)
    except ValueError as exc:
        raise HarnessError(str(exc)) from None
    progress(phase=f"importing the model ({scenario.model.factory})")
    try:
        factory = model_loader.load_factory(scenario.model)
    except model_loader.ModelLoadError as exc:
        raise scenario.model_error(str(exc)) from None
    progress(phase="resolving the breakpoints")
    return factory, resolve_breakpoints(scenario)


def _new_run_file(scenario: Scenario, torch: Any, interactive: bool, replace_last: bool) -> str:
    """The next numbered run in `snapshots/<scenario>/` (or the latest one's, replaced)."""
    try:
        return runs.new_run(scenario.name, torch.__version__, interactive=interactive,
                            replace_last=replace_last)
    except OSError as exc:
        raise HarnessError(f"cannot make the run's file in "
                           f"{runs.scenario_folder(scenario.name)}: "
                           f"{exc.strerror or exc}") from None


class _HeldUntilHeader:
    """Where the run's records go: the file, the sink, or both. The header says what is
    scripted (`subject`), known only once the factory returned. A record for the file made
    while the factory runs (a breakpoint in the model's own code, or a function a decorator
    scripts) is not held back for it: a run killed there must keep every stop it reached.
    The header then goes first without the subject, and the end record says it
    (`End.subject`, `subject_in_end`)."""

    def __init__(self, writer: SnapshotWriter, sink: Optional[Callable[[Any], None]],
                 make_header: Callable[[], Header]) -> None:
        self.writer, self.sink, self.make_header = writer, sink, make_header
        self.held: Optional[List[Tuple[Any, bool, bool]]] = []  # (record, to file, to sink)
        self.subject_in_end = False

    def out(self, rec: Any, to_file: bool, to_sink: bool) -> None:
        if self.held is not None and to_file:
            self.subject_in_end = True
            self.write_header(None)
        if self.held is not None:
            self.held.append((rec, to_file, to_sink))
            return
        if to_file:
            self.writer.write(rec)
        if to_sink and self.sink is not None:
            self.sink(rec)

    def write_header(self, subject: Optional[str]) -> None:
        """The header (once: later calls do nothing), then what waited for it."""
        if self.held is None:
            return
        waiting, self.held = self.held, None
        header = self.make_header()
        header.subject = subject
        self.out(header, True, True)
        for rec, to_file, to_sink in waiting:
            self.out(rec, to_file, to_sink)


@dataclass
class _Run:
    """What building and scripting the model came to."""
    phase: str = "build"
    model: Any = None
    subject: Optional[str] = None
    scripted: Any = None
    error: Optional[BaseException] = None  # the model failed
    stopped_by: Optional[BaseException] = None  # the run was stopped
    removed: Optional[str] = None  # the model's code turned the tracer off


def _build_and_script(torch: Any, scenario: Scenario, factory: Callable[..., Any], tracer: Any,
                      encoder: Any, keep_going: Any, progress: Progress,
                      write_header: Callable[[Optional[str]], None]) -> _Run:
    """The factory called and its result scripted, traced; the header written as soon as the
    subject is known (or when the factory failed, or the run was stopped in it)."""
    from . import torch_values

    run = _Run()
    tracer.start()
    try:
        run.model = factory(*scenario.model.args, **scenario.model.kwargs)
        run.subject = subjects.kind_of(run.model, torch)
        write_header(run.subject)
        _check_scriptable(torch, run.model, scenario)
        if keep_going is not None:
            keep_going.apply(run.model)  # the changes of the rounds before this one
        torch_values.name_model(encoder, run.model)
        run.phase = "script"
        progress(phase=f"scripting the {run.subject or 'model'}")
        run.scripted = subjects.script(torch, run.model)
    except BaseException as exc:  # noqa: B902 - sorted out just below
        if isinstance(exc, NotScriptable):
            raise
        if _stops_the_run(exc):
            run.stopped_by = exc
        else:
            run.error = exc
    finally:
        run.removed = _tracer_removed(tracer)
        tracer.stop()
        write_header(run.subject)  # the factory failed, or the run was stopped in it
    return run


def _checked_after_scripting(run: _Run, engine: Engine, observer: RunObserver, keep_going: Any,
                             output: str) -> Optional[str]:
    """Raises what ends the run before its end record (keep-going's problem, the harness's
    own failure); returns the observer's reason the run stopped, if it did."""
    if keep_going is not None and keep_going.problem:
        raise HarnessError(keep_going.problem)
    if engine.failure is not None and run.stopped_by is None:
        raise _recording_failed(engine.failure, output)
    reason = observer.stop_reason()
    if reason is not None and run.stopped_by is None:
        # torch caught the debugger's quit somewhere (it catches Exception around
        # scripting function attributes) and went on untraced: still stopped.
        run.stopped_by, run.scripted, run.error = bdb.BdbQuit(reason), None, None
    return reason


def _diagnose_failure(end: End, run: _Run, run_probes: Any, builders: list, encoder: Any,
                      output: str, scenario: Scenario, observer: RunObserver, keep_going: Any,
                      progress: Progress) -> None:
    """A failed run's diagnosis, in its end record; the observer and keep-going told."""
    if end.error is None or run.error is None:
        return
    # the diagnosis walks a model's modules; a function or a class has none (a
    # function's __dict__ would read as a module never initialised)
    modules = run.model if run.subject == subjects.MODULE else None
    end.diagnosis = _diagnosis(run.error, run.phase, run_probes, builders, encoder, output,
                               scenario, modules)
    observer.on_failure(run.error, end.diagnosis)
    if keep_going is not None:
        keep_going.after_failure(end.diagnosis, run.model, run.error, progress)


def _save_scripted(torch: Any, run: _Run, save_scripted: str, output: str,
                   progress: Progress) -> None:
    progress(phase="saving the scripted module")
    try:
        torch.jit.save(run.scripted, save_scripted)
    except (OSError, RuntimeError, AttributeError, TypeError) as exc:
        raise HarnessError(f"the run is recorded in {output}, but the scripted "
                           f"{run.subject or 'model'} could not be saved to {save_scripted}: "
                           f"{exc}") from None


class NotScriptable(HarnessError):
    """The factory returned what torch.jit.script cannot take (not a module, not callable)."""


def _check_scriptable(torch: Any, model: Any, scenario: Scenario) -> None:
    if isinstance(model, torch.nn.Module) or callable(model):
        return
    shown = repr(model)
    shown = shown if len(shown) <= 80 else shown[:80] + "…"
    raise NotScriptable(f"{scenario.model.factory} returned {strip_addresses(shown)} (of type "
                        f"{type_name(type(model))}), which torch.jit.script cannot script: a "
                        "factory returns a torch.nn.Module (or a function or class to script)")


def _diagnosis(error: BaseException, phase: str, run_probes: Any, builders: list,
               encoder: Any, output: str, scenario: Scenario, model: Any) -> Any:
    """The diagnosis of a failed run; None when working it out fails itself (the run's end,
    torch's error word for word, matters more than the harness's reading of it)."""
    try:
        return diagnose.diagnose(error, phase, run_probes, builders, encoder,
                                 diagnose.StopNotes.read(output), scenario, model)
    except Exception:  # noqa: B902 - the diagnosis is an extra; it never costs the end record
        return None


def _tracer_removed(tracer: Any) -> Optional[str]:
    """What the model's code did to the harness's tracer, if it turned it off (checked once,
    at the run's end: nothing is added to the work of each call)."""
    check = getattr(tracer, "removed", None)
    return check() if check is not None else None


def _recording_failed(failure: Exception, output: str) -> HarnessError:
    """The harness's own fault halted the recording (torch ran on, unobserved): one message,
    and the snapshot keeps the stops written before it, without an end."""
    if isinstance(failure, SnapshotWriteError):
        return SnapshotWriteError(f"{failure}; the run stopped recording there (the stops "
                                  "written before it are readable)")
    return HarnessError(f"the harness failed while recording, a bug in the harness: "
                        f"{type(failure).__name__}: {failure}; {output} keeps the stops "
                        "recorded before it")


class _Frozen:
    """How many objects the collector's permanent generation holds when nobody has frozen
    any: 0, but Python 3.12.0 and 3.12.1 start with some there (375 on this machine's
    3.12.1), which the recording process reads first thing (`interpreter_started_with`). In
    a caller's own process they cannot be told from a freeze of the caller's."""

    by_nobody = 0


def interpreter_started_with(frozen: int) -> None:
    """The recording process: what `gc.get_freeze_count()` was before any code of its ran."""
    _Frozen.by_nobody = frozen


@contextlib.contextmanager
def _collector_spared() -> Iterator[None]:
    """The objects that exist before the run (torch's modules, the harness's) moved out of the
    garbage collector's sight for the run (`gc.freeze`), then back. A run allocates more than
    plain scripting, so Python's collections come sooner; when one is a full collection it
    walks every object torch made at import: 50 ms on Python 3.11 (a Transformer, a ResNet)
    where plain scripting made none. Frozen, those objects are not walked. A process that
    froze objects of its own is left as it is."""
    if gc.get_freeze_count() != _Frozen.by_nobody:
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()  # the interpreter's own frozen objects with the rest: none are left
        _Frozen.by_nobody = 0


@contextlib.contextmanager
def caller_state_kept(torch: Any) -> Iterator[None]:
    """A run in the caller's own process (the API's in_process, the debugger, the pytest
    plugin's fixture) leaves it as it found it: the random states it reseeds, and the module
    path entries and modules that loading the model added. (The trace function is put back
    by the backend; torch's own modules, once imported, stay.)"""
    random_state = random.getstate()
    torch_state = torch.random.get_rng_state()
    path_before = list(sys.path)
    modules_before = set(sys.modules)
    try:
        yield
    finally:
        random.setstate(random_state)
        torch.random.set_rng_state(torch_state)
        added = [p for p in sys.path if p not in path_before]
        sys.path[:] = [p for p in sys.path if p in path_before]
        folders = tuple(os.path.join(os.path.abspath(p), "") for p in added if p)
        for name in set(sys.modules) - modules_before:
            module = sys.modules.get(name)
            file = getattr(module, "__file__", None) or ""
            if folders and os.path.abspath(file).startswith(folders):
                del sys.modules[name]


def _header(scenario: Scenario, torch_version: str, backend_name: str) -> Header:
    return Header(
        kind="header", format=FORMAT, version=FORMAT_VERSION, harness=__version__,
        scenario=ScenarioInfo(name=scenario.name, hash=scenario.hash,
                              description=scenario.description),
        breakpoints=[BreakpointInfo(function=bp.function, at=bp.at.describe(),
                                    capture=list(bp.capture), when=bp.when, key=list(bp.key))
                     for bp in scenario.breakpoints],
        torch=torch_version, python=platform.python_version(), backend=backend_name,
        optimize=sys.flags.optimize, hashseed=os.environ.get("PYTHONHASHSEED"),
        encoding=ENCODING_VERSION)


def _end(engine: Engine, scripted: Any, error: Optional[BaseException], phase: str,
         stopped_by: Optional[BaseException], caught: list, reason: Optional[str],
         scripted_info: Callable[[Any], dict]) -> End:
    end = End(kind="end", outcome="ok", stops=engine.stops)
    if stopped_by is not None:
        end.outcome = "stopped"
        if isinstance(stopped_by, bdb.BdbQuit):
            end.stopped_by = reason or "the user quit the debugger"
        elif isinstance(stopped_by, Stopped):
            end.stopped_by = stopped_by.name
        else:
            end.stopped_by = type(stopped_by).__name__
    elif error is not None:
        message = relative_paths_in(strip_addresses(_error_text(error)))
        end.outcome = "error"
        end.error = ErrorInfo(type=type_name(type(error)), message=message, phase=phase,
                              attribute=diagnose.failed_attribute(message))
    else:
        end.scripted = scripted_info(scripted)
    end.warnings = _warnings(caught)
    summary = engine.summary()
    end.never_present = summary["never_present"]
    end.never_stopped = summary["never_stopped"]
    end.when_errors = summary["when_errors"]
    return end


def _error_text(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return f"the model's code called sys.exit({error.code!r})"
    return str(error)


def _warnings(caught: list) -> List[WarningInfo]:
    seen: dict = {}
    for w in caught:
        key = (type_name(w.category), strip_addresses(str(w.message)))
        seen[key] = seen.get(key, 0) + 1
    return [WarningInfo(category=cat, message=msg, count=n) for (cat, msg), n in seen.items()]
