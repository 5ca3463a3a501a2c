"""Run a recording job in a fresh interpreter.

A fresh process because torch's concrete type store and class registry are process-wide; with
PYTHONHASHSEED fixed because torch iterates sets while building types. The child
(`python -m harness.child`) gets the harness package on its path and the scenario as validated
JSON, so any interpreter with torch will do, without harness or PyYAML installed in it.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile

HASHSEED = "0"


def child_environment() -> dict:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = HASHSEED
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def run_child(job: dict, python: str, capture: bool = False,
              child_handles_interrupt: bool = False) -> subprocess.CompletedProcess:
    """Run one job; with `capture`, its output comes back instead of reaching the terminal.

    With `child_handles_interrupt` (the command line), Ctrl-C, which the terminal sends to both
    processes, is left to the child: it closes its snapshot as "stopped" (or hands Ctrl-C to
    its debugger) and exits, and this process waits for it instead of killing it mid-write."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(job, f)
    previous = (signal.signal(signal.SIGINT, signal.SIG_IGN)
                if child_handles_interrupt or job.get("interactive") else None)
    try:
        return subprocess.run([python, "-m", "harness.child", f.name], env=child_environment(),
                              capture_output=capture, text=True)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        os.unlink(f.name)
