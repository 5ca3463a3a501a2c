"""The engine between a tracing backend and the records a run writes.

A backend (`backends.settrace`, `backends.monitoring`) only reports four events on the watched
code objects: enter, line, return, unwind (left by an exception). The engine keeps the stack of
watched calls (for parent links and "the module being worked on"), decides which breakpoints
stop (`at`, `when`), encodes the captured locals at once (values change later: `added_names`
grows), and hands plain-data records to a sink. Nothing here prints, and no record holds a
live frame. An optional `on_stop(record, frame)` hook is how the interactive debugger gets the
live frame of a stop.
"""
from __future__ import annotations

import hashlib
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set

from .scenario import Breakpoint
from .targets import Target, relative_file
from .values import Encoder

# Arguments that name the module a torch function is working on, in order of preference.
SUBJECT_ARGS = ("nn_module", "obj", "mod", "module", "self")
SUBJECT_SEARCH_DEPTH = 8  # callers looked at when no enclosing target call names a module

Sink = Callable[[dict], None]


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

    def describe(self) -> str:
        """`function at <at> [when <condition>]`, as summaries and the debugger show it."""
        return (f"{self.spec.function} at {self.spec.at.describe()}"
                + (f" when {self.spec.when}" if self.spec.when else ""))


@dataclass
class _Call:
    number: int
    code: types.CodeType
    frame: Any
    subject: Optional[str]
    parent: Optional[int]
    depth: int


@dataclass
class Tally:
    """What the end-of-run summary needs and the stop records alone do not say."""

    absent: Dict[str, Dict[str, int]] = field(default_factory=dict)  # function -> name -> count
    hits: Dict[int, int] = field(default_factory=dict)  # breakpoint index -> stops
    present: Dict[str, Set[str]] = field(default_factory=dict)  # function -> names seen
    when_errors: Dict[str, str] = field(default_factory=dict)  # function -> first error


class Engine:
    def __init__(self, breakpoints: List[WatchedBreakpoint], encoder: Encoder, sink: Sink,
                 is_subject: Callable[[Any], bool] = lambda v: False,
                 on_stop: Optional[Callable[[dict, Any], None]] = None):
        self.encoder, self.sink, self.is_subject, self.on_stop = encoder, sink, is_subject, on_stop
        self.breakpoints = sorted(breakpoints, key=lambda bp: bp.index)  # scenario order
        self.by_code: Dict[types.CodeType, List[WatchedBreakpoint]] = {}
        for bp in breakpoints:
            self.by_code.setdefault(bp.target.code, []).append(bp)
        self.lines: Dict[types.CodeType, Set[int]] = {
            code: {bp.line for bp in bps if bp.line is not None}
            for code, bps in self.by_code.items()}
        self.stack: List[_Call] = []
        self.calls = 0
        self.stops = 0
        self.tally = Tally()
        self._sources_written: Set[types.CodeType] = set()

    @property
    def codes(self) -> Set[types.CodeType]:
        return set(self.by_code)

    def never_stopped(self) -> List[str]:
        """The breakpoints that never stopped, as `function at <at>`, in scenario order."""
        return [bp.describe() for bp in self.breakpoints if not self.tally.hits.get(bp.index)]

    # -- backend-facing events --------------------------------------------------------------
    def on_enter(self, code: types.CodeType, frame: Any) -> None:
        if code not in self._sources_written:
            self._write_source(code)
        parent = self.stack[-1] if self.stack else None
        call = _Call(number=self.calls, code=code, frame=frame,
                     subject=self._subject(frame, parent), parent=parent.number if parent else None,
                     depth=len(self.stack))
        self.calls += 1
        self.stack.append(call)
        self._stop(call, "enter", frame, None)

    def on_line(self, code: types.CodeType, frame: Any, line: int) -> None:
        call = self._current(frame)
        if call is not None:
            self._stop(call, "line", frame, None, line=line)

    def on_return(self, code: types.CodeType, frame: Any, value: Any) -> None:
        call = self._pop(frame)
        if call is not None:
            self._stop(call, "return", frame, {"return": value})

    def on_unwind(self, code: types.CodeType, frame: Any, exc: BaseException) -> None:
        call = self._pop(frame)
        if call is not None:
            self._stop(call, "return", frame, {"raise": exc})

    # -- internals --------------------------------------------------------------------------
    def _current(self, frame: Any) -> Optional[_Call]:
        for call in reversed(self.stack):
            if call.frame is frame:
                return call
        return None

    def _pop(self, frame: Any) -> Optional[_Call]:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].frame is frame:
                call = self.stack[i]
                del self.stack[i:]  # frames above it left without a return event: drop them too
                call.frame = None
                return call
        return None

    def _subject(self, frame: Any, parent: Optional[_Call]) -> Optional[str]:
        """The module this call works on: its own argument, else the enclosing target call's,
        else (no enclosing target listed, e.g. infer_type alone) the nearest caller's."""
        found, subject = self._subject_argument(frame)
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

    def _subject_argument(self, frame: Any):
        code = frame.f_code
        args = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        f_locals = frame.f_locals
        for name in SUBJECT_ARGS:
            if name in args:
                value = f_locals.get(name)
                if self.is_subject(value):
                    return True, self.encoder.name_of(value)
        return False, None

    def _stop(self, call: _Call, event: str, frame: Any, extra: Optional[dict],
              line: Optional[int] = None) -> None:
        for bp in self.by_code.get(call.code, ()):
            if bp.spec.at.event != event or (event == "line" and bp.line != line):
                continue
            f_locals = frame.f_locals
            if bp.when is not None and not self._when(bp, frame, f_locals):
                continue
            record = self._record(bp, call, event, frame, f_locals, extra)
            self.sink(record)
            if self.on_stop is not None:
                self.on_stop(record, frame)

    def _when(self, bp: WatchedBreakpoint, frame: Any, f_locals: dict) -> bool:
        try:
            return bool(eval(bp.when, frame.f_globals, dict(f_locals)))
        except Exception as exc:  # a local the condition names is absent here: no stop
            self.tally.when_errors.setdefault(bp.spec.function, f"{type(exc).__name__}: {exc}")
            return False

    def _record(self, bp: WatchedBreakpoint, call: _Call, event: str, frame: Any,
                f_locals: dict, extra: Optional[dict]) -> dict:
        names = list(f_locals) if "*" in bp.spec.capture else list(bp.spec.capture)
        captured: Dict[str, Any] = {}
        absent: List[str] = []
        for name in names:
            if name in f_locals:
                captured[name] = self.encoder.encode(f_locals[name])
            else:
                absent.append(name)
        for name, value in (extra or {}).items():
            captured[name] = self._encode_extra(value, names, f_locals)
        self._tally(bp, captured, absent)
        record = {
            "kind": "stop", "index": self.stops, "function": bp.spec.function,
            "breakpoint": bp.index, "event": event, "line": frame.f_lineno, "call": call.number,
            "parent": call.parent, "depth": call.depth, "subject": call.subject,
            "locals": captured,
        }
        if absent:
            record["absent"] = absent
        self.stops += 1
        return record

    def _encode_extra(self, value: Any, names: List[str], f_locals: dict) -> Any:
        """The return value; when it is one of the captured locals, a reference to that local."""
        for name in names:
            if name in f_locals and f_locals[name] is value and not _is_plain(value):
                return {"type": "local", "name": name}
        return self.encoder.encode(value)

    def _tally(self, bp: WatchedBreakpoint, captured: dict, absent: List[str]) -> None:
        self.tally.hits[bp.index] = self.tally.hits.get(bp.index, 0) + 1
        function = bp.spec.function
        self.tally.present.setdefault(function, set()).update(captured)
        counts = self.tally.absent.setdefault(function, {})
        for name in absent:
            counts[name] = counts.get(name, 0) + 1

    def _write_source(self, code: types.CodeType) -> None:
        self._sources_written.add(code)
        bps = self.by_code[code]
        try:
            lines, first = bps[0].target.source()
            text = "".join(lines)
        except (OSError, TypeError):
            text, first = None, code.co_firstlineno
        record = {"kind": "source", "function": bps[0].spec.function,
                  "qualname": bps[0].target.qualname, "file": relative_file(code.co_filename),
                  "first_line": first, "sha256": hashlib.sha256((text or "").encode()).hexdigest(),
                  "text": text}
        for bp in bps[1:]:  # two scenario names for one function: one source record each
            if bp.spec.function != record["function"]:
                self.sink({**record, "function": bp.spec.function})
        self.sink(record)
