"""Tracing backends: each watches a set of code objects and reports enter / line / return /
unwind to an `Engine`, and puts back whatever tracing was in place before it started.

- `monitoring`: `sys.monitoring` (Python 3.12+), events set only on the watched code objects,
  so the rest of torch runs at full speed.
- `settrace`: `sys.settrace` (any Python), a global function that declines every frame but the
  watched ones; line events only in frames that have a line breakpoint.
"""
from __future__ import annotations

import sys

NAMES = ("auto", "monitoring", "settrace")


def available() -> list:
    return (["monitoring"] if hasattr(sys, "monitoring") else []) + ["settrace"]


def choose(name: str) -> str:
    """The backend that `name` means here; ValueError if it cannot run on this Python."""
    if name == "auto":
        return available()[0]
    if name not in NAMES:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(NAMES)}")
    if name not in available():
        raise ValueError(f"backend {name!r} needs Python 3.12 or newer "
                         f"(this is {sys.version.split()[0]}); use settrace or auto")
    return name


def create(name: str, engine):
    name = choose(name)
    if name == "monitoring":
        from .monitoring import MonitoringBackend

        return MonitoringBackend(engine)
    from .settrace import SettraceBackend

    return SettraceBackend(engine)
