"""The seam between a run and a front end that watches it live (the interactive debugger).

A run tells its observer what happens; the observer never reaches into the run. The default
`RunObserver` watches nothing, and `session.record` has no branch for any particular front end:
the debugger (`recording/frontends/debugger.py`) is just an observer that also brings its own
tracer, as hunter's `Debugger` action is one action among others and bdb splits dispatching
from the `user_*` hooks a front end overrides.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:  # pragma: no cover
    from ..records import Diagnosis, Stop
    from .backends import Tracer
    from .engine import Engine


class RunObserver:
    """Watches a run. Override what you need; every method has a do-nothing default."""

    # False when `should_write` may decline stops: a value is then always written whole,
    # never as what it gained since a stop that may not be in the file.
    writes_every_stop = True

    def tracer(self, engine: "Engine") -> Optional["Tracer"]:
        """A tracer of its own to drive the engine with, or None for the chosen backend."""
        return None

    def attach(self, engine: "Engine", write: Callable[["Stop"], None]) -> None:
        """The run begins: `engine` answers questions (breakpoints and their hits, encoding a
        value), `write` puts a stop into the snapshot (for stops `should_write` declined)."""

    def should_write(self, stop: "Stop") -> bool:
        """Whether a stop goes into the snapshot as it happens."""
        return True

    def on_stop(self, stop: "Stop", frame: Any) -> None:
        """A scenario stop happened; `frame` is live only during this call."""

    def on_failure(self, error: BaseException, diagnosis: "Diagnosis") -> None:
        """Scripting (or building the model) raised `error`; the run is about to end."""

    def stop_reason(self) -> Optional[str]:
        """Why the observer stopped the run (e.g. the user quit), or None if it did not."""
        return None

    def end_fields(self) -> dict:
        """Extra fields for the end record."""
        return {}
