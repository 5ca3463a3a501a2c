"""Run a recording job in a fresh interpreter.

A fresh process because torch's concrete type store and class registry are process-wide; with
PYTHONHASHSEED fixed because torch iterates sets while building types. The child
(`python -m harness.child`) gets the harness package on its path and the scenario as validated
JSON, so any interpreter with torch will do, without harness or PyYAML installed in it.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
from typing import Iterator

HASHSEED = "0"


def child_environment() -> dict:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = HASHSEED
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


@contextlib.contextmanager
def interrupts_left_to_children() -> Iterator[None]:
    """Ctrl-C, which a terminal sends to every process of the group, is left to the children:
    each closes its snapshot as "stopped" (or hands Ctrl-C to its debugger) and exits, and this
    process waits for them instead of killing them mid-write. Main thread only (a signal rule);
    the children take SIGINT back when they start (`child.main`)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_child(job: dict, python: str, capture: bool = False) -> subprocess.CompletedProcess:
    """Run one job; with `capture`, its output comes back instead of reaching the terminal."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(job, f)
    try:
        return subprocess.run([python, "-m", "harness.child", f.name], env=child_environment(),
                              capture_output=capture, text=True)
    finally:
        os.unlink(f.name)
