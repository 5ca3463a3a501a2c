"""The floor under any recorder: what a backend costs before the harness does anything.

Two stand-ins for the harness's engine, driven by the harness's own backends on the same
watched code objects (the seed walk's functions and the harness's probes), so that
`overhead.py` can show how far the harness is from the limit, not only from its peers:

- `NullEvents`: every callback returns at once (the backend's own price: instrumentation,
  the callback call);
- `MinimalRecorder`: at each stop the captured locals are read from the frame, a minimal JSON
  line is made (function, event, line, and each local's type name) and written with one
  `os.write`: the least a recorder that writes every stop as it is made can do.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict, List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from harness import shipped  # noqa: E402
from harness.recording.targets import resolve  # noqa: E402


def watched_codes(torch: Any) -> Tuple[Dict[int, Tuple[Any, str, str, List[str]]], list]:
    """The seed walk's targets (id -> code, name, event, capture) and the probes' functions
    (what the harness also watches, for exceptions only)."""
    from harness.recording import probes

    targets = {}
    for bp in shipped.seed_walk_data("model.py:Model")["breakpoints"]:
        code = resolve(bp["function"]).code
        targets[id(code)] = (code, bp["function"], bp["at"], list(bp["capture"]))
    unwind = [resolve(name).code for name in probes.PHASES] + [resolve(probes.PREPARE).code]
    return targets, unwind


class NullEvents:
    """The engine's interface (`backends.Events`), doing nothing."""

    def __init__(self, torch: Any):
        targets, unwind = watched_codes(torch)
        self.targets = targets
        self.codes = [t[0] for t in targets.values()]
        self.unwind_codes = self.codes + [c for c in unwind if id(c) not in targets]
        self.code_ids = frozenset(targets)
        self.unwind_ids = frozenset(id(c) for c in self.unwind_codes)
        self.lines: Dict[int, set] = {}

    def return_lines_matter(self, code) -> bool:
        """As the engine's: a return that makes a stop (its line recorded)."""
        target = self.targets.get(id(code))
        return target is not None and target[2] == "return"

    def on_enter(self, code, frame):
        pass

    def on_line(self, code, frame, line):
        pass

    def on_return(self, code, frame, value, line=None):
        pass

    def on_unwind(self, code, frame, exc, line=None):
        pass


class MinimalRecorder(NullEvents):
    """Reads the captured locals, makes a minimal JSON line and writes it, at each stop."""

    def __init__(self, torch: Any, path: str):
        super().__init__(torch)
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        self.stops = 0

    def _stop(self, code, frame, event, line):
        _, function, at, capture = self.targets[id(code)]
        if at != event:
            return
        f_locals = frame.f_locals
        line = json.dumps({"function": function, "event": event,
                           "line": frame.f_lineno if line is None else line,
                           "locals": {name: type(f_locals[name]).__name__
                                      for name in capture if name in f_locals}})
        os.write(self.fd, line.encode() + b"\n")
        self.stops += 1

    def on_enter(self, code, frame):
        self._stop(code, frame, "enter", None)

    def on_return(self, code, frame, value, line=None):
        self._stop(code, frame, "return", line)

    def on_unwind(self, code, frame, exc, line=None):
        if id(code) in self.targets:
            self._stop(code, frame, "return", line)

    def close(self):
        os.close(self.fd)
