"""The `sys.settrace` backend, for any Python.

The global trace function sees every call but answers None (no local tracing) for all but the
watched code objects, which keeps its cost to one dictionary lookup per call. In a watched
frame, line events stay on only when that function has a line breakpoint.

A trace function already set when the run starts (coverage's, an IDE debugger's) is chained,
not replaced: it is called first for every event, as if the harness were not there, and is put
back when the run ends. coverage's C tracer reinstalls itself as the global function whenever
it is called for a new frame, so the harness's function takes its place back at once.
"""
from __future__ import annotations

import dis
import sys
from typing import Any, Callable, Optional, Tuple

from . import Events

# (frame, event, arg) -> the frame's local trace function; typeshed's own (sys.gettrace's)
# types the event as a Literal, which a plain `str` parameter would not accept
TraceFn = Callable[..., Any]

# A 'return' trace event comes for a return, for a generator's yield and for an exception
# leaving the frame; the instruction the frame stopped at tells them apart.
_RETURN_OPS = {dis.opmap[name] for name in ("RETURN_VALUE", "RETURN_CONST") if name in dis.opmap}
_YIELD_OPS = {dis.opmap[name] for name in ("YIELD_VALUE",) if name in dis.opmap}
_YIELD_FROM = dis.opmap.get("YIELD_FROM")  # 3.10: its frame stops at the instruction before
_RESUME = dis.opmap.get("RESUME")  # 3.13: the frame stops at the RESUME after the yield


def returned_normally(frame, raised_at: Optional[int] = None) -> bool:
    """True at a 'return' event for a return or a yield, False when an exception leaves.
    `raised_at`: the instruction the frame was at when an exception last passed through it:
    an exception thrown into a generator at its yield (`close()`, `throw()`) leaves from the
    yield's own instruction."""
    code = frame.f_code.co_code
    at = frame.f_lasti
    if not 0 <= at < len(code):
        return False
    if code[at] in _RETURN_OPS:
        return True
    if at == raised_at:
        return False
    if code[at] in _YIELD_OPS:
        return True
    if _RESUME is not None and code[at] == _RESUME:
        return at >= 2 and code[at - 2] in _YIELD_OPS
    return _YIELD_FROM is not None and at + 2 < len(code) and code[at + 2] == _YIELD_FROM


def report_leave(events: Events, frame, value, pending: Optional[Tuple[Any, int]]) -> None:
    """A 'return' trace event on a watched frame: a return (a generator's yield is one: each
    resumption is a call, as sys.monitoring's PY_RESUME and PY_YIELD make it), or the
    exception in `pending` leaving it: (the exception, `frame.f_lasti` when it passed), as a
    local tracer's 'exception' event gives them. (The interactive debugger, a settrace tracer
    too, shares this.)"""
    raised: Any = pending[0] if pending is not None else None
    raised_at = pending[1] if pending is not None else None
    if returned_normally(frame, raised_at):
        events.on_return(frame.f_code, frame, value)
    else:
        events.on_unwind(frame.f_code, frame, raised)


class SettraceBackend:
    name = "settrace"

    def __init__(self, events: Events):
        self.events = events
        self._previous: Optional[TraceFn] = None
        self._started = False

    def start(self) -> None:
        previous = self._previous = sys.gettrace()
        local_trace = _local_tracer(self.events)
        if previous is None:
            global_trace = _global_tracer(self.events, local_trace)
        else:
            global_trace = _global_tracer_beside(self.events, local_trace, previous)
        sys.settrace(global_trace)
        self._global = global_trace
        self._started = True

    def removed(self) -> Optional[str]:
        """What the model's code did, if the trace function is no longer ours."""
        if not self._started:
            return None
        now = sys.gettrace()
        if now is self._global:
            return None
        if now is None:
            return "the model's code removed the harness's trace function (sys.settrace(None))"
        return "the model's code replaced the harness's trace function (sys.settrace)"

    def stop(self) -> None:
        if self._started:
            self._started = False
            sys.settrace(self._previous)


# The trace functions, made once per run: each reads what it needs from its closure (the
# fastest lookup in a function called for every line).
def _local_tracer(events: Events) -> TraceFn:
    """Inside a watched frame: its lines, its return, the exception passing through it."""
    lines = events.lines  # by id(code), as the two sets: see `Events`
    pending: dict = {}  # frame -> the exception passing through it

    def local_trace(frame, event, arg):
        if event == "line":
            if frame.f_lineno in lines.get(id(frame.f_code), ()):
                events.on_line(frame.f_code, frame, frame.f_lineno)
        elif event == "return":
            report_leave(events, frame, arg, pending.pop(frame, None))
        elif event == "exception":
            pending[frame] = (arg[1], frame.f_lasti)
        return local_trace
    return local_trace


def _global_tracer(events: Events, local_trace: TraceFn) -> TraceFn:
    """The only trace function: each call's frame traced only if its code is watched."""
    codes = events.code_ids
    traced = events.unwind_ids  # calls reported, or only exceptions leaving
    lines = events.lines

    def global_trace(frame, event, arg):
        code = frame.f_code
        key = id(code)
        if key not in traced:
            return None
        if key not in lines:
            frame.f_trace_lines = False
        if key in codes:
            events.on_enter(code, frame)
        return local_trace
    return global_trace


def _global_tracer_beside(events: Events, local_trace: TraceFn, previous: TraceFn) -> TraceFn:
    """Beside a trace function already there (coverage's, a debugger's): it sees every call
    as before, and in a watched frame both trace it."""
    codes = events.code_ids
    traced = events.unwind_ids

    def chained(their_local: TraceFn) -> TraceFn:
        """Our local tracing and theirs, in one frame."""
        def trace(frame, event, arg):
            nonlocal their_local
            if their_local is not None:
                their_local = their_local(frame, event, arg)
            local_trace(frame, event, arg)
            return trace
        return trace

    def global_trace(frame, event, arg):
        theirs = previous(frame, event, arg)
        if sys.gettrace() is not global_trace:  # coverage's CTracer took the seat back
            sys.settrace(global_trace)
        code = frame.f_code
        if id(code) not in traced:
            return theirs
        if id(code) in codes:
            events.on_enter(code, frame)
        return local_trace if theirs is None else chained(theirs)
    return global_trace
