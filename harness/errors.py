"""The errors the harness raises on purpose, and the exit codes of every command.

Anything raised as a `HarnessError` is bad usage or bad input: the command line prints its
message (one paragraph, no traceback) and exits with its `exit_code`.
"""
from __future__ import annotations

import enum
import os
import sys
import traceback


class ExitCode(enum.IntEnum):
    """Exit codes of `harness`; the README's "Guarantees" section lists what each means."""

    OK = 0
    FAILED = 1  # the scripted model failed (run), or differences were found (diff, matrix)
    USAGE = 2  # bad usage or bad input
    STOPPED = 3  # the user quit the debugger before the run finished
    RECORDER_DIED = 4  # the recording process died (a signal, os._exit) before the run ended
    HANGUP = 129  # the harness got SIGHUP (its terminal closed): the run was stopped
    INTERRUPTED = 130  # Ctrl-C: the run was stopped
    OUTPUT_CLOSED = 141  # what read the output went away (`harness ... | head`): 128 + SIGPIPE
    TERMINATED = 143  # the harness got SIGTERM: the run was stopped


class HarnessError(Exception):
    """Bad usage or bad input; `str(err)` is the whole message a user sees."""

    exit_code = ExitCode.USAGE


class ScenarioError(HarnessError):
    """A scenario that cannot be run, located in its file: `file:line: key: message`."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 key: str | None = None):
        self.file, self.line, self.key, self.message = file, line, key, message
        where = file or "<scenario>"
        if line is not None:
            where += f":{line}"
        prefix = f"{where}: " + (f"{key}: " if key else "")
        super().__init__(prefix + message)


class SnapshotError(HarnessError):
    """A file that is not a snapshot, or one of a format version this harness cannot read."""


class RecorderDied(HarnessError):
    """The recording process ended before its run did (killed, or it exited by itself)."""

    exit_code = ExitCode.RECORDER_DIED


class Stopped(BaseException):
    """A signal (SIGINT, SIGTERM, SIGHUP) asked the run to stop: like KeyboardInterrupt, not an
    error of the model. The run closes its snapshot as "stopped" and exits with `exit_code`."""

    def __init__(self, signum: int, name: str, exit_code: int):
        super().__init__(name)
        self.signum, self.name, self.exit_code = signum, name, exit_code


def internal_error(exc: BaseException) -> str:
    """The one line for an exception nobody expected, the harness's own fault (exit 2);
    HARNESS_DEBUG=1 prints its traceback too."""
    if os.environ.get("HARNESS_DEBUG"):
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    text = str(exc)
    if len(text) > 500:
        text = text[:500] + "…"
    return (f"the harness failed, a bug in the harness: {type(exc).__name__}: {text} "
            "(HARNESS_DEBUG=1 shows the traceback)")
