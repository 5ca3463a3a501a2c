"""Tracing backends: the `Tracer` protocol, and the choice of one for this Python.

Each watches a set of code objects, reports enter / line / return / unwind to an engine
(`Events`), and puts back whatever tracing was in place before it started.

- `monitoring`: `sys.monitoring` (Python 3.12+), events set only on the watched code objects,
  so the rest of torch runs at full speed.
- `instrument`: any Python; the watched functions get new code with calls into the harness
  added (compiled from their own source), and nothing else is traced: below 3.12, `auto`'s
  choice, falling back to settrace for what it cannot instrument (`instrument.Unsupported`).
- `settrace`: `sys.settrace` (any Python), a global function that declines every frame but the
  watched ones and chains to a trace function already set (coverage's, an IDE's).

The interactive debugger (`recording/frontends/debugger.py`) is a third `Tracer`: pdb's own settrace
dispatch, feeding the same `Events`.
"""
from __future__ import annotations

import sys
import types
from typing import Any, Dict, FrozenSet, List, Optional, Protocol, Set

NAMES = ("auto", "monitoring", "instrument", "settrace")


class Events(Protocol):
    """What a backend reports to (the engine)."""

    codes: List[types.CodeType]  # the code objects whose calls and returns to report
    unwind_codes: List[types.CodeType]  # those whose exceptions leaving to report (a superset)
    # The same as sets of id(code): a code object's hash is computed anew at each lookup
    # (4 µs for a big function), an id's is not. The code objects outlive the run.
    code_ids: FrozenSet[int]
    unwind_ids: FrozenSet[int]
    lines: Dict[int, Set[int]]  # id(code) -> its line breakpoints, for those that have some

    def on_enter(self, code: types.CodeType, frame: Any) -> None: ...

    def on_line(self, code: types.CodeType, frame: Any, line: int) -> None: ...

    def on_return(self, code: types.CodeType, frame: Any, value: Any,
                  line: Optional[int] = None) -> None: ...

    def on_unwind(self, code: types.CodeType, frame: Any, exc: BaseException,
                  line: Optional[int] = None) -> None: ...


class Tracer(Protocol):
    """A backend: start watching, stop and put back what was there."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


def available() -> List[str]:
    return (["monitoring"] if hasattr(sys, "monitoring") else []) + ["instrument", "settrace"]


def choose(name: str) -> str:
    """The backend that `name` means here; ValueError if it cannot run on this Python.
    `auto` is sys.monitoring where there is one (it costs nothing outside the watched code),
    else instrument (which `create` replaces by settrace where it cannot instrument)."""
    if name == "auto":
        return available()[0]
    if name not in NAMES:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(NAMES)}")
    if name not in available():
        raise ValueError(f"backend {name!r} needs Python 3.12 or newer "
                         f"(this is {sys.version.split()[0]}); use instrument, settrace or "
                         "auto")
    return name


def create(name: str, events: Events) -> Tracer:
    """The backend `name` means, watching `events`' code objects. `auto` below 3.12 is the
    instrument backend, or settrace where that cannot instrument what this run watches (the
    tracer's `name` says which); asked for by name, instrument raises ValueError saying why."""
    chosen = choose(name)
    if chosen == "monitoring":
        return monitoring.MonitoringBackend(events)
    if chosen == "instrument":
        try:
            return instrument.InstrumentBackend(events)
        except Exception as exc:  # Unsupported, or a fault in looking: settrace does it all
            if name != "auto":
                reason = str(exc) if isinstance(exc, instrument.Unsupported) else \
                    f"{type(exc).__name__}: {exc}"
                raise ValueError(f"the instrument backend cannot record this run: {reason}; "
                                 "use --backend settrace") from None
    return settrace.SettraceBackend(events)


# Imported with the package, not at a run's first `create`: importing a module is the
# process's start-up work, not a run's (where no .pyc can be written, as under
# PYTHONDONTWRITEBYTECODE, compiling the instrument backend cost 5 ms of the first run).
from . import instrument, monitoring, settrace  # noqa: E402
