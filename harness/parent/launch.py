"""Run a recording job in a fresh interpreter, and say what happened to it.

A fresh process because torch's concrete type store and class registry are process-wide; with
PYTHONHASHSEED fixed because torch iterates sets while building types. The child is started by
its script's path (`entry/harness_recorder.py`), never `-m`: the current directory must not
come first on its module path. It gets the job through a pipe (no temporary file to leave
behind) and tells its progress through another, so that when it dies the parent can say while
doing what, and which snapshot keeps the stops it reached.

Signals, in the main thread: Ctrl-C reaches the child (from the terminal, or forwarded from
here), which closes its snapshot as "stopped"; SIGTERM and SIGHUP are forwarded to it. The
parent waits for it (and kills it if it does not end within `GRACE_SECONDS`), then exits as
the signal says: never an orphan, never a half-written snapshot.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional

from ..errors import ExitCode, RecorderDied
from .job import Job
from ..text import counted

HASHSEED = "0"
# The child's start script, on the child's side of the package (recording/frontends/entry).
ENTRY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "recording",
                     "frontends", "entry", "harness_recorder.py")
GRACE_SECONDS = 10.0  # how long a child may take to close its snapshot after a stop signal


def child_environment() -> Dict[str, str]:
    """The environment of a recording process: PYTHONHASHSEED fixed, and only absolute
    PYTHONPATH entries (a relative or empty one would mean the current directory)."""
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = HASHSEED
    kept = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if os.path.isabs(p)]
    if kept:
        env["PYTHONPATH"] = os.pathsep.join(kept)
    else:
        env.pop("PYTHONPATH", None)
    return env


@dataclass
class Recording:
    """What a recording process left behind."""

    python: str
    code: int  # its exit code; negative: the signal that killed it
    snapshot: Optional[str] = None  # the snapshot it was writing, if it got that far
    phase: str = "starting"  # what it was doing last
    ready: bool = False  # it started and read its job
    stdout: str = ""  # with capture=True
    stderr: str = ""
    signals: List[int] = field(default_factory=list)  # stop signals this process received
    # run --keep-going: the change it proposes for the next round (remedies.Change as JSON)
    change: Optional[dict] = None
    told_exit: Optional[int] = None  # the exit code it said it would end with
    ending: bool = False  # it began writing its snapshot's end record

    @property
    def told(self) -> bool:
        """It ended as it said it would: its exit code is its own, not a model's `os._exit`."""
        return self.told_exit is not None and self.told_exit == self.code

    @property
    def finished(self) -> bool:
        """It ended by itself, having written its snapshot's end (or refused bad input)."""
        return self.told and (self.phase == "done" or self.code == ExitCode.USAGE)

    @property
    def recorded(self) -> bool:
        """A snapshot with an end record: the model scripted, failed, or the user quit."""
        return self.phase == "done" and self.snapshot is not None \
            and os.path.exists(self.snapshot)

    def exit_code(self) -> int:
        """The exit code `harness` ends with for this recording: the one it told, which its
        snapshot's end agrees with (a stop signal that came after the end was written changes
        nothing); else the signal this process got; else it died (RecorderDied)."""
        if self.told:
            return self.code
        if self.signals:
            return _exit_for_signal(self.signals[0])
        raise self.died()

    def died(self) -> RecorderDied:
        if self.code < 0:
            try:
                name = signal.Signals(-self.code).name
            except ValueError:
                name = f"signal {-self.code}"
            how = f"was killed by {name} ({-self.code})"
        else:
            how = (f"exited with code {self.code} on its own (os._exit, sys.exit or a crash "
                   "outside the run)")
        where = f"while {self.phase}" if self.ready else "while starting"
        if self.snapshot and os.path.exists(self.snapshot):
            kept = (f"; the snapshot keeps the {counted(_count_stops(self.snapshot), 'stop')} "
                    f"it reached: {self.snapshot}")
        else:
            kept = "; no snapshot was written"
        return RecorderDied(f"the recording process ({self.python}) {how} {where}{kept}")


def _count_stops(path: str) -> int:
    count = 0
    with open(path, "rb") as f:
        for line in f:
            count += line.startswith(b'{"kind": "stop"')
    return count


def _exit_for_signal(signum: int) -> int:
    exits: Dict[int, ExitCode] = {signal.SIGINT: ExitCode.INTERRUPTED,
                                  signal.SIGTERM: ExitCode.TERMINATED}
    return exits.get(signum, ExitCode.HANGUP if signum == getattr(signal, "SIGHUP", None)
                     else ExitCode.TERMINATED)


class _Child:
    """One running recording process and the two pipes to it."""

    def __init__(self, job: Job, python: str, capture: bool,
                 on_status: Optional[Callable[[dict], None]]):
        job_read, job_write = os.pipe()
        status_read, status_write = os.pipe()
        self.recording = Recording(python=python, code=0)
        self.on_status = on_status
        self.forward_on_ready: Optional[int] = None
        self.lock = threading.Lock()
        try:
            self.proc = subprocess.Popen(
                [python, ENTRY, str(job_read), str(status_write)],
                env=child_environment(), pass_fds=(job_read, status_write),
                stdout=subprocess.PIPE if capture else None,
                stderr=subprocess.PIPE if capture else None,
                stdin=subprocess.DEVNULL if capture else None, close_fds=True)
        finally:
            os.close(job_read)
            os.close(status_write)
        payload = json.dumps(job.to_json()).encode("utf-8")
        self.output: Dict[str, bytes] = {}
        self.threads = [threading.Thread(target=self._send, args=(job_write, payload)),
                        threading.Thread(target=self._read_status, args=(status_read,))]
        if capture:  # read as it comes: a full pipe would block the child
            self.threads += [threading.Thread(target=self._collect, args=(name, stream))
                             for name, stream in (("stdout", self.proc.stdout),
                                                  ("stderr", self.proc.stderr))]
        for thread in self.threads:
            thread.daemon = True
            thread.start()

    def _collect(self, name: str, stream) -> None:
        self.output[name] = stream.read()
        stream.close()

    def _send(self, fd: int, payload: bytes) -> None:
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
        except OSError:  # it died before reading its job: its exit says the rest
            pass

    def _read_status(self, fd: int) -> None:
        rec = self.recording
        with os.fdopen(fd, "rb") as f:
            for line in f:
                try:
                    status = json.loads(line)
                except ValueError:
                    continue
                with self.lock:
                    if status.get("ready"):
                        rec.ready = True
                        if self.forward_on_ready is not None:
                            self.send_signal(self.forward_on_ready)
                    if "phase" in status:
                        rec.phase = status["phase"]
                    if "snapshot" in status:
                        rec.snapshot = status["snapshot"]
                    if isinstance(status.get("change"), dict):
                        rec.change = status["change"]
                    if status.get("ending"):
                        rec.ending = True
                    if isinstance(status.get("exit"), int):
                        rec.told_exit = status["exit"]
                if self.on_status is not None:
                    self.on_status(status)

    def send_signal(self, signum: int) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signum)
            except OSError:
                pass

    def forward(self, signum: int) -> None:
        """A stop signal for the child: now if it can take it, else as soon as it can."""
        with self.lock:
            if self.recording.ready:
                self.send_signal(signum)
            else:
                self.forward_on_ready = signum

    def wait(self) -> Recording:
        self.proc.wait()
        for thread in self.threads:
            thread.join()
        rec = self.recording
        rec.code = self.proc.returncode
        rec.stdout = self.output.get("stdout", b"").decode("utf-8", "replace")
        rec.stderr = self.output.get("stderr", b"").decode("utf-8", "replace")
        return rec


class _SignalForwarding:
    """While children run: Ctrl-C, SIGTERM and SIGHUP are noted and passed on to them."""

    def __init__(self):
        self.children: List[_Child] = []
        self.received: List[int] = []
        self.deadline: Optional[float] = None

    def handle(self, signum, frame) -> None:
        self.received.append(signum)
        if signum != signal.SIGINT and self.deadline is None:
            self.deadline = time.monotonic() + GRACE_SECONDS
        for child in list(self.children):
            child.forward(signum)  # the same signal: the child stops as it says


_forwarding: Optional[_SignalForwarding] = None


def stop_requested() -> bool:
    """Whether a stop signal came while the forwarding handlers were installed."""
    return _forwarding is not None and bool(_forwarding.received)


@contextlib.contextmanager
def signals_forwarded() -> Iterator[_SignalForwarding]:
    """Install the forwarding handlers for the duration (main thread only: elsewhere signals
    cannot be handled, and the children get the terminal's Ctrl-C by themselves)."""
    global _forwarding
    if threading.current_thread() is not threading.main_thread() or _forwarding is not None:
        yield _forwarding or _SignalForwarding()
        return
    forwarding = _forwarding = _SignalForwarding()
    previous = {sig: signal.signal(sig, forwarding.handle) for sig in STOP_SIGNALS}
    try:
        yield forwarding
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, SIGNALS_AFTER.get(sig, handler))
        _forwarding = None


# What the stop signals do once a run is over: the command line, whose outcome the run
# decided, ignores them until it exits (a Ctrl-C then must not turn an "ok" into 130).
SIGNALS_AFTER: Dict[int, Any] = {}


STOP_SIGNALS = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP")
                                                  else [])


def _block(signals: List[signal.Signals]):
    """Block these signals; the mask before, to put back (None where masks do not exist)."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, signals)


def run(job: Job, python: Optional[str] = None, capture: bool = False,
        on_status: Optional[Callable[[dict], None]] = None) -> Recording:
    """Run one job in a fresh process and wait for it; `capture` keeps its output from the
    terminal (and gives it no stdin). Signals received meanwhile are in `Recording.signals`.

    An interactive job keeps Ctrl-C for its debugger: it interrupts a command there, as in
    any pdb session, so this process ignores it instead of stopping the run."""
    with signals_forwarded() as forwarding:
        in_main = threading.current_thread() is threading.main_thread()
        # The child starts with the stop signals blocked (the mask is inherited across exec)
        # and unblocks them once it can stop cleanly: one that comes meanwhile waits, pending,
        # in the child and here (blocked, not ignored: never lost), and is handled then.
        blocked = _block(STOP_SIGNALS) if in_main else None
        try:
            child = _Child(job, python or sys.executable, capture, on_status)
        finally:
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN) \
                if in_main and job.interactive else None
            if blocked is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        forwarding.children.append(child)
        try:
            for signum in forwarding.received:  # came while it was starting
                child.forward(signum)
            while True:
                try:
                    child.proc.wait(timeout=0.05)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if forwarding.deadline is not None and time.monotonic() > forwarding.deadline:
                    child.proc.kill()  # it did not stop in time: no orphan
            rec = child.wait()
        finally:
            forwarding.children.remove(child)
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        rec.signals = list(forwarding.received)
        return rec
