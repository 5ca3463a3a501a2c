"""The recording process: one job in, one snapshot out, and its progress told as it goes.

Started by `launch.start` through `entry/harness_recorder.py JOB_FD STATUS_FD`: the job (a
`Job` as JSON) is read from one pipe, and progress lines go to the other, so that the parent can
say what the process was doing if it dies (a signal, `os._exit` in model code) and which
snapshot it was writing. It imports nothing beyond the standard library and torch, so `harness
matrix` can run it in an environment that holds only torch.

Signals: the process starts with Ctrl-C (SIGINT) ignored and takes it once it can stop cleanly;
SIGINT, SIGTERM and SIGHUP then stop the run, which closes its snapshot as "stopped". A second
signal while that happens is ignored, so the snapshot is never left half-written. The process
ends with `os._exit` after flushing its output: a signal during interpreter shutdown cannot
print a traceback or change the exit code.
"""
from __future__ import annotations

import json
import os
import signal
import sys
from typing import Dict, Optional

from ...errors import ExitCode, HarnessError, Stopped, internal_error
from ...parent.job import Job
from ...show import render
from ...show.run_report import LivePrinter

STOP_SIGNALS: Dict[int, ExitCode] = {signal.SIGINT: ExitCode.INTERRUPTED,
                                     signal.SIGTERM: ExitCode.TERMINATED}
if hasattr(signal, "SIGHUP"):
    STOP_SIGNALS[signal.SIGHUP] = ExitCode.HANGUP


def stopped(signum: int) -> Stopped:
    return Stopped(signum, signal.Signals(signum).name,
                   STOP_SIGNALS.get(signum, ExitCode.TERMINATED))


class Status:
    """Progress lines to the parent: {"ready": true}, {"phase": ...}, {"snapshot": path}."""

    def __init__(self, fd: Optional[int]):
        self.fd = fd

    def __call__(self, **fields) -> None:
        if fields.get("ending"):
            _State.ending = True
        if self.fd is None:
            return
        try:
            os.write(self.fd, (json.dumps(fields) + "\n").encode("utf-8"))
        except OSError:  # the parent is gone: nobody to tell
            self.fd = None


class _State:
    ending = False  # the end record is being written: the run's outcome is decided


def _stop_on_signal(signum, frame):
    if _State.ending:  # too late to stop: the snapshot says how the run ended, and so do we
        return
    for sig in STOP_SIGNALS:  # the run is ending: a second signal must not cut that short
        signal.signal(sig, signal.SIG_IGN)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt  # what Ctrl-C always was: the run is "stopped: KeyboardInterrupt"
    raise stopped(signum)


def run_job(job: Job, status: Optional[Status] = None, frozen_at_start: int = 0) -> int:
    """`frozen_at_start`: `gc.get_freeze_count()` as this process started (`session`)."""
    status = status or Status(None)  # no parent to tell (a Status is always true)
    from ..session import interpreter_started_with, record

    interpreter_started_with(frozen_at_start)

    printer = LivePrinter(quiet=job.quiet, color=job.color, mode=job.stops,
                          show_stops=not job.interactive)  # the debugger shows them
    observer = None
    if job.interactive:
        from .debugger import create

        observer = create(color=job.color)
    writing = {"path": job.output}

    def progress(**fields) -> None:
        if "snapshot" in fields:  # the path the run chose, for the report if it is stopped
            writing["path"] = fields["snapshot"]
        status(**fields)

    try:
        result = record(job.scenario, output=job.output, backend=job.backend,
                        save_scripted=job.save_scripted, sink=printer, observer=observer,
                        progress=progress, interactive=job.interactive,
                        replace_last=job.force, keep_going=_keep_going(job))
    except HarnessError as exc:
        render.error(str(exc))
        return exc.exit_code
    except (KeyboardInterrupt, Stopped) as exc:  # the snapshot's end already says "stopped"
        printer.finish(_shown(writing["path"]) or "none")
        stop = exc if isinstance(exc, Stopped) else stopped(signal.SIGINT)
        render.error("interrupted" if stop.signum == signal.SIGINT else f"stopped by {stop.name}")
        return stop.exit_code
    printer.finish(result.path)
    return result.exit_code


def _shown(path: Optional[str]) -> Optional[str]:
    """A path as the report shows it: relative to the current directory when below it."""
    if not path:
        return None
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


def _keep_going(job: Job):
    if not job.keep_going:
        return None
    from ..remedies import KeepGoing

    return KeepGoing(job.changes)


def _end_with_parent() -> None:
    """Linux: be sent SIGTERM if the parent dies, so this process is never left behind."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before that took effect
        raise stopped(signal.SIGTERM)


def main(argv, frozen_at_start: int = 0) -> None:
    code: int = ExitCode.USAGE
    status = Status(None)
    try:
        for sig in STOP_SIGNALS:
            signal.signal(sig, _stop_on_signal)
        # The parent starts this process with the stop signals blocked, so that one sent while
        # it starts waits here, pending, rather than being lost or killing it half-started.
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, set(STOP_SIGNALS))
        _end_with_parent()
        render.escape_unencodable(sys.stdout, sys.stderr)
        if len(argv) != 2:
            print("usage: harness_recorder.py JOB_FD STATUS_FD", file=sys.stderr)
            code = ExitCode.USAGE
        else:
            status = Status(int(argv[1]))
            status(ready=True)
            with os.fdopen(int(argv[0]), "r", encoding="utf-8") as f:
                job = Job.from_json(json.load(f))
            if job.interactive:  # Ctrl-C belongs to the debugger, as in any pdb session
                signal.signal(signal.SIGINT, signal.default_int_handler)
            code = run_job(job, status, frozen_at_start)
            status(phase="done")
    except (KeyboardInterrupt, Stopped) as exc:
        code = exc.exit_code if isinstance(exc, Stopped) else ExitCode.INTERRUPTED
        if not _State.ending:  # before the run began: nothing to close
            render.error("interrupted before the run began; no snapshot was written")
    except BaseException as exc:  # noqa: B902 - the harness's own fault: said, never silent
        code = ExitCode.USAGE
        render.error(internal_error(exc))
    finally:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        status(exit=int(code))  # the parent trusts an exit code only when it was told it
        os._exit(int(code))

