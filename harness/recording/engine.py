"""The engine between a tracing backend and the records a run writes.

A backend (`backends.settrace`, `backends.monitoring`, the debugger) only reports four events
on the watched code objects: enter, line, return, unwind (left by an exception). The engine
keeps the stack of watched calls (for parent links and "the module being worked on"), decides
which breakpoints stop (`at`, `when`), encodes the captured locals at once (values change
later: `added_names` grows), and hands `records.Stop` / `records.Source` to its sink and each
stop, with its live frame, to the run's observer. At the end it says what the stop records
alone do not (`summary()`): breakpoints that never stopped, locals never present, `when`
errors. Nothing here prints, and no record holds a live frame.
"""
from __future__ import annotations

import bdb
import hashlib
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence, Set, Tuple

from ..records import Source, Stop, Tag, local_ref
from ..scenario import Breakpoint
from .observer import RunObserver
from .paths import relative_file
from .targets import Target
from .values import Encoder

# Arguments that name the module a torch function is working on, in order of preference.
SUBJECT_ARGS = ("nn_module", "obj", "mod", "module", "self")
SUBJECT_SEARCH_DEPTH = 8  # callers looked at when no enclosing target call names a module

Sink = Callable[[Any], None]
PASS_THROUGH = (bdb.BdbQuit,)  # an Exception, but the debugger's way to stop the run


class Probe(Protocol):
    """The harness's own watch on a torch function (to name modules, to diagnose a failure):
    told when a call of it starts and ends, it writes no stop. One that only wants to hear of
    exceptions leaving (`needs_calls` False) costs nothing on the calls that return."""

    needs_calls: bool

    def enter(self, frame: Any) -> None: ...

    def leave(self, frame: Any, value: Any, raised: Optional[BaseException]) -> None: ...


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


@dataclass
class WatchedBreakpoint:
    """A scenario breakpoint resolved against the running interpreter."""

    index: int  # position in the scenario
    spec: Breakpoint
    target: Target
    line: Optional[int] = None  # for `at: line`
    when: Optional[types.CodeType] = None

    def __post_init__(self) -> None:
        # read at every stop: kept at hand
        self.event = self.spec.at.event
        self.capture_all = "*" in self.spec.capture
        self.capture = tuple(self.spec.capture)

    def describe(self) -> str:
        """`function at <at> [when <condition>]`, as summaries and the debugger show it."""
        return (f"{self.spec.function} at {self.spec.at.describe()}"
                + (f" when {self.spec.when}" if self.spec.when else ""))


class _Call:
    """A watched call in progress (slots: made at every call of a target)."""

    __slots__ = ("number", "watch", "frame", "subject", "parent", "depth")

    def __init__(self, number: int, watch: "_Watch", frame: Any, subject: Optional[str],
                 parent: Optional[int], depth: int):
        self.number, self.watch, self.frame = number, watch, frame
        self.subject, self.parent, self.depth = subject, parent, depth


@dataclass
class _Tally:
    """What the end-of-run summary needs and the stop records alone do not say."""

    absent: Dict[str, Dict[str, int]] = field(default_factory=dict)  # function -> name -> count
    hits: Dict[int, int] = field(default_factory=dict)  # breakpoint index -> stops
    present: Dict[str, Set[str]] = field(default_factory=dict)  # function -> names seen
    when_errors: Dict[str, str] = field(default_factory=dict)  # function -> first error
    # (breakpoint, the names of a stop that had every name): counted once
    all_present: Set[Tuple[int, Tuple[str, ...]]] = field(default_factory=set)


class _Watch:
    """What the engine does on one watched code object, worked out once: the events report
    calls by this, looked up by id(code) (a code object's own hash is computed anew at every
    lookup: 4 µs for a big function)."""

    __slots__ = ("code", "breakpoints", "enter", "leave", "probes", "unwind_probes",
                 "source_written")

    def __init__(self, code: types.CodeType, breakpoints: List[WatchedBreakpoint],
                 probes: List[Probe], unwind_probes: List[Probe]):
        self.code = code
        self.breakpoints = breakpoints  # its scenario breakpoints, in scenario order
        self.enter = [bp for bp in breakpoints if bp.event == "enter"]
        self.leave = [bp for bp in breakpoints if bp.event == "return"]
        self.probes = probes  # told of every call
        self.unwind_probes = unwind_probes  # told only of exceptions leaving
        self.source_written = False


class Engine:
    def __init__(self, breakpoints: List[WatchedBreakpoint], encoder: Encoder, sink: Sink,
                 observer: Optional[RunObserver] = None,
                 is_subject: Callable[[Any], bool] = lambda v: False,
                 probes: Optional[Dict[types.CodeType, List[Probe]]] = None,
                 plain_stops: bool = False):
        """`plain_stops`: the sink gets each stop as the plain dict written to the file, not as
        a `records.Stop` (the usual run, where only the file sees them: a record object and
        its `to_json()` saved at every stop). Only an observer that does not watch stops
        allows it."""
        self.encoder, self.sink, self.is_subject = encoder, sink, is_subject
        self.observer = observer or RunObserver()
        # told of each stop only when it listens (a call saved at every stop otherwise)
        self._on_stop = None if type(self.observer).on_stop is RunObserver.on_stop \
            else self.observer.on_stop
        self.plain_stops = plain_stops and self._on_stop is None
        self.breakpoints = sorted(breakpoints, key=lambda bp: bp.index)  # scenario order
        by_code: Dict[int, List[WatchedBreakpoint]] = {}
        codes: Dict[int, types.CodeType] = {}
        for bp in self.breakpoints:
            by_code.setdefault(id(bp.target.code), []).append(bp)
            codes[id(bp.target.code)] = bp.target.code
        every = probes or {}
        for code in every:
            codes[id(code)] = code
        # Every watched code object, by id (the code objects stay alive: the targets and
        # the probes hold them, so no id is reused during the run).
        self.watched: Dict[int, _Watch] = {}
        for key, code in codes.items():
            ps = every.get(code, [])
            self.watched[key] = _Watch(code, by_code.get(key, []),
                                       [p for p in ps if p.needs_calls],
                                       [p for p in ps if not p.needs_calls])
        # What the backends watch: calls and returns of `codes`, exceptions leaving
        # `unwind_codes` (a superset), line events where `lines` lists lines (by id(code)).
        self.codes: List[types.CodeType] = [w.code for w in self.watched.values()
                                            if w.breakpoints or w.probes]
        self.unwind_codes: List[types.CodeType] = [w.code for w in self.watched.values()]
        self.code_ids = frozenset(id(c) for c in self.codes)
        self.unwind_ids = frozenset(self.watched)
        self.lines: Dict[int, Set[int]] = {
            key: lines for key, lines in
            ((key, {bp.line for bp in bps if bp.line is not None})
             for key, bps in by_code.items()) if lines}
        self.failure: Optional[Exception] = None  # the harness's own fault, if one halted it
        self.stack: List[_Call] = []
        self._subject_names: Dict[int, Tuple[str, ...]] = {}
        self.calls = 0
        self.stops = 0
        self._tally = _Tally()

    # -- what observers and the session may ask --------------------------------------------
    def watches(self, code: types.CodeType) -> bool:
        """Whether a frame of this code must be traced (for its calls, or its exceptions)."""
        return id(code) in self.watched

    def is_target(self, code: types.CodeType) -> bool:
        """A scenario breakpoint's function (not only one the harness watches for itself)."""
        watch = self.watched.get(id(code))
        return watch is not None and bool(watch.breakpoints)

    def return_lines_matter(self, code: types.CodeType) -> bool:
        """Whether a return from this code object makes a stop (which records its line)."""
        watch = self.watched.get(id(code))
        return watch is not None and bool(watch.leave)

    def line_breakpoints(self, code: types.CodeType) -> Set[int]:
        """The lines of this code object that a breakpoint stops at (`at: line`)."""
        return self.lines.get(id(code), set())

    def encode(self, value: Any) -> Any:
        return self.encoder.encode(value)

    def breakpoint_hits(self) -> List[Tuple[WatchedBreakpoint, int]]:
        """Each breakpoint, in scenario order, with the number of stops it made so far."""
        return [(bp, self._tally.hits.get(bp.index, 0)) for bp in self.breakpoints]

    def never_stopped(self) -> List[str]:
        """The breakpoints that never stopped, as `function at <at>`, in scenario order."""
        return [bp.describe() for bp, hits in self.breakpoint_hits() if not hits]

    def summary(self) -> dict:
        """The end record's fields that the engine knows: what did not happen, and why."""
        tally = self._tally
        never = {fn: sorted(n for n in names if n not in tally.present.get(fn, ()))
                 for fn, names in tally.absent.items()}
        return {"never_present": {fn: names for fn, names in never.items() if names},
                "never_stopped": self.never_stopped(),
                "when_errors": dict(tally.when_errors)}

    # -- backend-facing events --------------------------------------------------------------
    # Each is guarded: a fault of the harness's own (a bug, a snapshot that cannot be
    # written) must never surface inside torch, where it would read as the model failing. It
    # halts the recording instead (`failure`), torch runs on unobserved, and the session
    # reports it once the scripting is over. Stop requests (Ctrl-C, a signal, the debugger's
    # quit) pass through: they are meant to stop the run. (The guard is written out in each
    # rather than as a decorator: these run at every watched call.)
    def on_enter(self, code: types.CodeType, frame: Any) -> None:
        if self.failure is not None:
            return
        try:
            watch = self.watched.get(id(code))
            if watch is None:
                return
            for probe in watch.probes:
                probe.enter(frame)
            if watch.breakpoints:
                self._enter(watch, frame)
        except PASS_THROUGH:
            raise
        except Exception as exc:
            self.failure = exc

    def on_line(self, code: types.CodeType, frame: Any, line: int) -> None:
        if self.failure is not None:
            return
        try:
            call = self._current(frame)
            if call is not None:
                bps = [bp for bp in call.watch.breakpoints if bp.line == line]
                if bps:
                    self._stop(call, bps, "line", frame, None, line)
        except PASS_THROUGH:
            raise
        except Exception as exc:
            self.failure = exc

    def on_return(self, code: types.CodeType, frame: Any, value: Any,
                  line: Optional[int] = None) -> None:
        self._leave(code, frame, "return", value, line)

    def on_unwind(self, code: types.CodeType, frame: Any, exc: BaseException,
                  line: Optional[int] = None) -> None:
        """`line`: where the exception left the frame, when `frame.f_lineno` does not say it
        (a backend that reports from a handler of its own in the function)."""
        self._leave(code, frame, "raise", exc, line)

    def _leave(self, code: types.CodeType, frame: Any, how: str, value: Any,
               line: Optional[int]) -> None:
        if self.failure is not None:
            return
        try:
            watch = self.watched.get(id(code))
            if watch is None:
                return
            if watch.probes:
                returned, raised = (value, None) if how == "return" else (None, value)
                for probe in watch.probes:
                    probe.leave(frame, returned, raised)
            if how == "raise":
                for probe in watch.unwind_probes:
                    probe.leave(frame, None, value)
            if watch.breakpoints:
                call = self._pop(frame)
                if call is not None and watch.leave:
                    self._stop(call, watch.leave, "return", frame, {how: value}, line)
        except PASS_THROUGH:
            raise
        except Exception as exc:
            self.failure = exc

    def _enter(self, watch: _Watch, frame: Any) -> None:
        if not watch.source_written:
            self._write_source(watch)
        stack = self.stack
        parent = stack[-1] if stack else None
        # read once for the subject and the stop (each read copies every local into it)
        f_locals = frame.f_locals if watch.enter else None
        call = _Call(self.calls, watch, frame, self._subject(frame, parent, f_locals),
                     parent.number if parent else None, len(stack))
        self.calls += 1
        stack.append(call)
        if watch.enter:
            self._stop(call, watch.enter, "enter", frame, None, None, f_locals)

    # -- internals --------------------------------------------------------------------------
    def _current(self, frame: Any) -> Optional[_Call]:
        for call in reversed(self.stack):
            if call.frame is frame:
                return call
        return None

    def _pop(self, frame: Any) -> Optional[_Call]:
        stack = self.stack
        if stack and stack[-1].frame is frame:  # nearly always: the innermost call returns
            call = stack.pop()
            call.frame = None
            return call
        for i in range(len(stack) - 1, -1, -1):
            if stack[i].frame is frame:
                call = stack[i]
                del stack[i:]  # frames above it left without a return event: drop them too
                call.frame = None
                return call
        return None

    def _subject(self, frame: Any, parent: Optional[_Call],
                 f_locals: Optional[dict] = None) -> Optional[str]:
        """The module this call works on: its own argument, else the enclosing target call's,
        else (no enclosing target listed, e.g. infer_type alone) the nearest caller's.
        `f_locals`: the frame's, when already read."""
        found, subject = self._subject_argument(frame, f_locals)
        if found:
            return subject
        if parent is not None:
            return parent.subject
        caller = frame.f_back
        for _ in range(SUBJECT_SEARCH_DEPTH):
            if caller is None:
                break
            found, subject = self._subject_argument(caller)
            if found:
                return subject
            caller = caller.f_back
        return None

    def _subject_argument(self, frame: Any, f_locals: Optional[dict] = None):
        code = frame.f_code
        names = self._subject_names.get(id(code))
        if names is None:
            args = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
            names = tuple(n for n in SUBJECT_ARGS if n in args)
            self._subject_names[id(code)] = names
            self.encoder.keep(code)  # its id keys the table: alive for the run
        if names:  # reading f_locals builds a dict: only where there is something to find
            if f_locals is None:
                f_locals = frame.f_locals
            for name in names:
                value = f_locals.get(name)
                if self.is_subject(value):
                    return True, self.encoder.name_of(value)
        return False, None

    def _stop(self, call: _Call, bps: List[WatchedBreakpoint], event: str, frame: Any,
              extra: Optional[dict], line: Optional[int],
              f_locals: Optional[dict] = None) -> None:
        """`bps`: the call's breakpoints for this event; `line`: the line to record, when
        not the frame's own; `f_locals`: the frame's, when already read."""
        if f_locals is None:
            f_locals = frame.f_locals
        for bp in bps:
            if bp.when is not None and not self._when(bp, bp.when, frame, f_locals):
                continue
            stop = self._record(bp, call, event, frame.f_lineno if line is None else line,
                                f_locals, extra)
            self.sink(stop)
            if self._on_stop is not None:
                self._on_stop(stop, frame)

    def _when(self, bp: WatchedBreakpoint, condition: types.CodeType, frame: Any,
              f_locals: dict) -> bool:
        try:
            return bool(eval(condition, frame.f_globals, dict(f_locals)))
        except Exception as exc:  # a local the condition names is absent here: no stop
            self._tally.when_errors.setdefault(bp.spec.function, f"{type(exc).__name__}: {exc}")
            return False
        except SystemExit as exc:  # the condition itself called sys.exit: say so, go on
            self._tally.when_errors.setdefault(bp.spec.function,
                                               f"it called sys.exit({exc.code!r})")
            return False

    def _record(self, bp: WatchedBreakpoint, call: _Call, event: str, line: int,
                f_locals: dict, extra: Optional[dict]) -> Any:
        """The stop: a `records.Stop`, or its plain dict (`plain_stops`)."""
        names = list(f_locals) if bp.capture_all else bp.capture
        captured: Dict[str, Any] = {}
        absent: List[str] = []
        encode_local = self.encoder.encode_local
        for name in names:
            if name in f_locals:
                captured[name] = encode_local((bp.index, name), f_locals[name], self.stops)
            else:
                absent.append(name)
        for name, value in (extra or {}).items():
            captured[name] = self._encode_extra(bp.index, name, value, names, f_locals)
        self._count(bp, captured, absent)
        stop: Any
        if self.plain_stops:  # as Stop.to_json() writes it
            stop = {"kind": "stop", "index": self.stops, "function": bp.spec.function,
                    "breakpoint": bp.index, "event": event, "line": line, "call": call.number,
                    "parent": call.parent, "depth": call.depth, "subject": call.subject,
                    "locals": captured}
            if absent:
                stop["absent"] = absent
        else:
            stop = Stop(kind="stop", index=self.stops, function=bp.spec.function,
                        breakpoint=bp.index, event=event, line=line, call=call.number,
                        parent=call.parent, depth=call.depth, subject=call.subject,
                        locals=captured, absent=absent or None)
        self.stops += 1
        return stop

    def _encode_extra(self, bp_index: int, name: str, value: Any, names: Sequence[str],
                      f_locals: dict) -> Any:
        """The return value (or what was raised). Where it is, or a tuple or list holds, the
        very object a captured local holds, that part is a reference to the local: made here,
        by identity, and never for plain values (`True` returned is `True`, whichever local
        happens to equal it)."""
        if _is_plain(value):  # never a reference: `True` returned is `True`
            return self.encoder.encode_local((bp_index, name), value, self.stops)
        named: Dict[int, str] = {}  # id of a captured local's object -> the first such local
        for local_name in names:
            if local_name in f_locals:
                local = f_locals[local_name]
                if not _is_plain(local):  # alive in the frame: its id is its own
                    named.setdefault(id(local), local_name)
        if named:
            whole = named.get(id(value))  # an id matched is that very object, so not plain
            if whole is not None:
                return local_ref(whole)
            if type(value) in (tuple, list) and len(value) <= self.encoder.limits.items:
                parts = [named.get(id(item)) for item in value]
                if any(part is not None for part in parts):
                    return {"type": Tag.TUPLE if type(value) is tuple else Tag.LIST,
                            "items": [local_ref(part) if part is not None
                                      else self.encoder.encode(item, 1)
                                      for part, item in zip(parts, value)]}
        return self.encoder.encode_local((bp_index, name), value, self.stops)

    def _count(self, bp: WatchedBreakpoint, captured: dict, absent: List[str]) -> None:
        tally = self._tally
        tally.hits[bp.index] = tally.hits.get(bp.index, 0) + 1
        if not absent and not bp.capture_all:
            # the same names (a return's value or what was raised included) as a stop of this
            # breakpoint counted before, none absent: nothing new to count
            seen = (bp.index, tuple(captured))
            if seen in tally.all_present:
                return
            tally.all_present.add(seen)
        function = bp.spec.function
        tally.present.setdefault(function, set()).update(captured)
        counts = tally.absent.setdefault(function, {})
        for name in absent:
            counts[name] = counts.get(name, 0) + 1

    def _write_source(self, watch: _Watch) -> None:
        watch.source_written = True
        code, bps = watch.code, watch.breakpoints
        try:
            lines, first = bps[0].target.source()
            text: Optional[str] = "".join(lines)
        except (OSError, TypeError):
            text, first = None, code.co_firstlineno
        record = Source(kind="source", function=bps[0].spec.function,
                        qualname=bps[0].target.qualname, file=relative_file(code.co_filename),
                        first_line=first,
                        sha256=hashlib.sha256((text or "").encode()).hexdigest(), text=text)
        for bp in bps[1:]:  # two scenario names for one function: one source record each
            if bp.spec.function != record.function:
                self.sink(Source(**{**record.__dict__, "function": bp.spec.function}))
        self.sink(record)
