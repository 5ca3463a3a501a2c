"""The `sys.monitoring` backend (PEP 669, Python 3.12+).

Events are set only on the watched code objects (PY_START, PY_RETURN, and LINE where a line
breakpoint asks), so the rest of the program runs without instrumentation. PY_UNWIND, the one
way to see an exception leave a watched function, can only be set globally; its callback
returns at once for every other code object. The tool id is taken from the free ones and given
back, so other tools (a debugger, coverage) keep theirs.
"""
from __future__ import annotations

import sys
from typing import Any, Optional

from . import Events


# CO_GENERATOR, CO_COROUTINE, CO_ITERABLE_COROUTINE, CO_ASYNC_GENERATOR: code that yields
_SUSPENDS = 0x20 | 0x80 | 0x100 | 0x200


def _monitoring() -> Any:
    """sys.monitoring, Python 3.12's: this backend is chosen only where it exists. mypy checks
    the package as 3.11 (pyproject.toml), whose stubs do not have it."""
    return sys.monitoring  # type: ignore[attr-defined]


def _free_tool_id() -> int:
    mon = _monitoring()
    # DEBUGGER_ID first; then the ids no convention claims (COVERAGE_ID=1, PROFILER_ID=2 and
    # OPTIMIZER_ID=5 belong to others, 3 and 4 are unclaimed).
    for tool in (mon.DEBUGGER_ID, 3, 4):
        if mon.get_tool(tool) is None:
            return tool
    raise RuntimeError("no sys.monitoring tool id is free (DEBUGGER_ID, 3 and 4 are taken); "
                       "use --backend settrace")


class MonitoringBackend:
    name = "monitoring"

    def __init__(self, events: Events):
        self.events = events
        self.tool: Optional[int] = None

    def start(self) -> None:
        mon = _monitoring()
        ev = mon.events
        events = self.events
        unwind_ids = events.unwind_ids
        code_ids = events.code_ids
        lines = events.lines
        getframe = sys._getframe
        # PY_START, PY_RETURN and LINE are set only on the watched code objects: their
        # callbacks go straight to the engine, with no lookup of their own.
        on_enter, on_return_, on_unwind_ = events.on_enter, events.on_return, events.on_unwind
        on_line_ = events.on_line

        def on_start(code, offset):
            on_enter(code, getframe(1))

        def on_line(code, line):
            if line in lines.get(id(code), ()):
                on_line_(code, getframe(1), line)

        def on_return(code, offset, value):
            on_return_(code, getframe(1), value)

        def on_unwind(code, offset, exc):  # global: every exception leaving any function
            if id(code) in unwind_ids:
                on_unwind_(code, getframe(1), exc)

        # A generator's call ends at each yield and a new one starts at each resumption, as
        # settrace sees them (a stop's parent is then the call it runs under)
        def on_resume(code, offset):
            on_enter(code, getframe(1))

        def on_throw(code, offset, exc):  # global, as PY_UNWIND: a resumption by throw()
            if id(code) in code_ids:
                on_enter(code, getframe(1))

        def on_yield(code, offset, value):
            on_return_(code, getframe(1), value)

        self.tool = tool = _free_tool_id()
        mon.use_tool_id(tool, "harness")
        mon.register_callback(tool, ev.PY_START, on_start)
        mon.register_callback(tool, ev.PY_RETURN, on_return)
        mon.register_callback(tool, ev.LINE, on_line)
        mon.register_callback(tool, ev.PY_UNWIND, on_unwind)
        mon.register_callback(tool, ev.PY_RESUME, on_resume)
        mon.register_callback(tool, ev.PY_THROW, on_throw)
        mon.register_callback(tool, ev.PY_YIELD, on_yield)
        resumed_by_throw = False  # PY_THROW, only global, is set only if a generator is watched
        for code in events.codes:
            wanted = ev.PY_START | ev.PY_RETURN
            if code.co_flags & _SUSPENDS:
                wanted |= ev.PY_RESUME | ev.PY_YIELD
                resumed_by_throw = True
            if lines.get(id(code)):
                wanted |= ev.LINE
            mon.set_local_events(tool, code, wanted)
        mon.set_events(tool, ev.PY_UNWIND | (ev.PY_THROW if resumed_by_throw else 0))

    def removed(self) -> Optional[str]:
        """What the model's code did, if the tool id is no longer the harness's."""
        if self.tool is None:
            return None
        mon = _monitoring()
        if mon.get_tool(self.tool) != "harness":
            return (f"the model's code freed the harness's sys.monitoring tool id {self.tool} "
                    "(sys.monitoring.free_tool_id)")
        if not mon.get_events(self.tool) & mon.events.PY_UNWIND:
            return "the model's code turned off the harness's sys.monitoring events"
        return None

    def stop(self) -> None:
        if self.tool is None:
            return
        mon = _monitoring()
        tool, self.tool = self.tool, None
        if mon.get_tool(tool) != "harness":
            return  # freed by the model's code (`removed` says so): nothing of ours to undo
        mon.set_events(tool, 0)
        for code in self.events.codes:
            mon.set_local_events(tool, code, 0)
        for event in (mon.events.PY_START, mon.events.PY_RETURN, mon.events.LINE,
                      mon.events.PY_UNWIND, mon.events.PY_RESUME, mon.events.PY_THROW,
                      mon.events.PY_YIELD):
            mon.register_callback(tool, event, None)
        mon.free_tool_id(tool)
