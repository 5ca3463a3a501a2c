"""Record one scenario in several Python environments (one torch each) and diff them.

Each environment runs the recording process (`recording/launch.py`) with the harness package
put on its path, so an environment needs nothing but Python and torch. Runs go in parallel as
far as the machine's cores allow; a progress line per environment tells where each is.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, List, Optional

from .errors import HarnessError
from .job import Job
from .recording import launch
from .scenario import Scenario


@dataclass
class EnvRun:
    python: str
    path: str  # snapshot written (renamed by torch version once known)
    recording: launch.Recording
    seconds: float
    recorded: bool  # a snapshot with its end: the model scripted or failed

    @property
    def code(self) -> int:
        return self.recording.code

    @property
    def stderr(self) -> str:
        return self.recording.stderr

    def problem(self) -> str:
        """Why it recorded nothing, in one line: its own error message, or how it died."""
        for line in reversed(self.recording.stderr.strip().splitlines()):
            if line.startswith("harness: error: "):
                return line[len("harness: error: "):]
        try:
            self.recording.exit_code()
        except HarnessError as exc:
            return str(exc)
        last = (self.recording.stderr.strip().splitlines() or ["no output"])[-1]
        return f"exit {self.recording.code}: {last}"


# Runs on any Python, 2 included, to say which one it is.
_VERSION_PROBE = "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])"
MIN_PYTHON = (3, 8)


def check_pythons(pythons: List[str]) -> None:
    """Fail before starting anything on a path that is no executable, or no Python the
    recording side can run on; one line each."""
    if len(pythons) < 2:
        raise HarnessError("matrix needs at least two --python interpreters to compare")
    for python in pythons:
        if not (os.path.isfile(python) and os.access(python, os.X_OK)):
            raise HarnessError(f"--python {python}: no such executable")
        try:
            out = subprocess.run([python, "-c", _VERSION_PROBE], capture_output=True,
                                 text=True, timeout=60)
            version = tuple(int(x) for x in out.stdout.strip().split("."))
        except (OSError, ValueError, subprocess.SubprocessError):
            raise HarnessError(f"--python {python}: not a Python interpreter (it did not say "
                               "its version)") from None
        if version < MIN_PYTHON:
            raise HarnessError(f"--python {python} is Python {'.'.join(map(str, version))}; "
                               "the recording side needs Python "
                               f"{'.'.join(map(str, MIN_PYTHON))} or newer")


def check_out_dir(out_dir: str) -> None:
    """Refuse a folder that already holds a matrix's snapshots: a second run would mix its
    snapshots with the first one's."""
    if os.path.isdir(out_dir):
        found = sorted(f for f in os.listdir(out_dir)
                       if f.endswith(".jsonl") and (f.startswith("torch-") or f.startswith("env")))
        if found:
            raise HarnessError(f"{out_dir} already holds snapshots ({found[0]}"
                               + (f" and {len(found) - 1} more" if len(found) > 1 else "")
                               + "); choose another -o, or remove them first")


def record_all(scenario: Scenario, pythons: List[str], out_dir: str, backend: str = "auto",
               progress: Optional[IO[str]] = None) -> List[EnvRun]:
    os.makedirs(out_dir, exist_ok=True)
    progress = progress or sys.stderr
    lock = threading.Lock()

    def say(i: int, text: str) -> None:
        with lock:
            print(f"[{i + 1}/{len(pythons)}] {pythons[i]}: {text}", file=progress, flush=True)

    def one(i: int) -> EnvRun:
        path = os.path.join(out_dir, f"env{i + 1}.jsonl")
        job = Job(scenario=scenario, output=path, backend=backend, quiet=True, color=False)
        say(i, "recording…")
        start = time.monotonic()
        recording = launch.run(job, pythons[i], capture=True)
        seconds = time.monotonic() - start
        run = EnvRun(pythons[i], path, recording, seconds, recording.recorded)
        if os.path.exists(path):
            run.path = _rename_by_version(path, i)
        if run.recorded:
            say(i, f"done in {seconds:.1f}s: {os.path.basename(run.path)}"
                   + (" (scripting failed)" if recording.code == 1 else ""))
        else:
            last = (recording.stderr.strip().splitlines() or ["no output"])[-1]
            say(i, f"failed (exit {recording.code}): {last}")
        return run

    workers = max(1, min(len(pythons), (os.cpu_count() or 1)))
    with launch.signals_forwarded(), ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(len(pythons))))


def _rename_by_version(path: str, i: int) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            header = json.loads(f.readline())
        name = f"torch-{header['torch']}-py{header['python']}.jsonl"
    except (OSError, ValueError, KeyError):
        return path
    target = os.path.join(os.path.dirname(path), name)
    if os.path.exists(target):
        target = target[: -len(".jsonl")] + f"-env{i + 1}.jsonl"
    os.replace(path, target)
    return target
