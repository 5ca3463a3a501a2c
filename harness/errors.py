"""The errors the harness raises on purpose, and the exit codes they map to.

Anything raised as a `HarnessError` is bad usage or bad input: the command line prints its
message (one paragraph, no traceback) and exits 2.
"""
from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # the scripted model failed (run), or differences were found (diff)
EXIT_USAGE = 2  # bad usage or bad input
EXIT_STOPPED = 3  # the user quit the debugger before the run finished


class HarnessError(Exception):
    """Bad usage or bad input; `str(err)` is the whole message a user sees."""

    exit_code = EXIT_USAGE


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

    def to_data(self) -> dict:
        return {"file": self.file, "line": self.line, "key": self.key, "message": self.message}

    @classmethod
    def from_data(cls, data: dict) -> "ScenarioError":
        return cls(data["message"], file=data.get("file"), line=data.get("line"), key=data.get("key"))


class SnapshotError(HarnessError):
    """A file that is not a snapshot, or one of a format version this harness cannot read."""
