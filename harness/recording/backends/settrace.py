"""The `sys.settrace` backend, for any Python.

The global trace function sees every call but answers None (no local tracing) for all but the
watched code objects, which keeps its cost to one dictionary lookup per call. In a watched
frame, line events stay on only when that function has a line breakpoint.
"""
from __future__ import annotations

import dis
import sys

# A 'return' trace event comes both for a return and for an exception leaving the frame; the
# instruction the frame stopped at tells them apart.
_RETURN_OPS = {dis.opmap[name] for name in ("RETURN_VALUE", "RETURN_CONST") if name in dis.opmap}


def returned_normally(frame) -> bool:
    """True at a 'return' event for a real return, False when an exception leaves."""
    code = frame.f_code.co_code
    return 0 <= frame.f_lasti < len(code) and code[frame.f_lasti] in _RETURN_OPS


def report_leave(engine, frame, value, raised) -> None:
    """A 'return' trace event on a watched frame: a return, or `raised` leaving it.
    (The interactive debugger, a settrace tracer too, shares this.)"""
    if returned_normally(frame):
        engine.on_return(frame.f_code, frame, value)
    else:
        engine.on_unwind(frame.f_code, frame, raised)


class SettraceBackend:
    name = "settrace"

    def __init__(self, engine):
        self.engine = engine
        self._previous = None

    def start(self) -> None:
        engine = self.engine
        codes = engine.codes
        lines = engine.lines

        def local_trace(frame, event, arg):
            if event == "line":
                if frame.f_lineno in lines.get(frame.f_code, ()):
                    engine.on_line(frame.f_code, frame, frame.f_lineno)
            elif event == "return":
                report_leave(engine, frame, arg, pending.pop(frame, None))
            elif event == "exception":
                pending[frame] = arg[1]
            return local_trace

        pending = {}

        def global_trace(frame, event, arg):
            code = frame.f_code
            if event != "call" or code not in codes:
                return None
            if not lines.get(code):
                frame.f_trace_lines = False
            engine.on_enter(code, frame)
            return local_trace

        self._previous = sys.gettrace()
        sys.settrace(global_trace)

    def stop(self) -> None:
        sys.settrace(self._previous)
