"""The harness's own watches on torch functions: they keep names stable, and write no stop.

A scenario lists what it wants to see; these run whatever it lists (`engine.Probe`), on the
few torch functions the harness needs to follow itself. Each is best effort: a torch release
that moved things makes a probe do nothing, never fail the run.

- `ModuleNaming` on `call_prepare_scriptable_func_impl`: every module torch prepares gets a
  stable name before any stop can show it. A module reachable only through another's
  `__dict__` (not a submodule, so it has no model path) is named after the attribute that holds
  it (`helper`, `t1.t2`), and a module swapped in by `__prepare_scriptable__` takes the name of
  the one it replaces. So `memo`, keyed by `id()`, never shows an id.
"""
from __future__ import annotations

import types
from typing import Any, Dict, List, Optional

from .engine import Probe
from .targets import resolve
from .values import Encoder

PREPARE = "torch.jit._script.call_prepare_scriptable_func_impl"


class ModuleNaming:
    def __init__(self, encoder: Encoder, module_type: type):
        self.encoder = encoder
        self.module_type = module_type
        self.originals: Dict[Any, Any] = {}  # frame -> the module it was called with

    def enter(self, frame: Any) -> None:
        try:
            obj = frame.f_locals.get("obj")
            if not isinstance(obj, self.module_type):
                return
            self.originals[frame] = obj
            if self.encoder.name_of(obj) is None:
                self.encoder.name_object(obj, self._reached_as(frame))
        except Exception:  # best effort: a name is a convenience, never worth a failed run
            pass

    def leave(self, frame: Any, value: Any, raised: Optional[BaseException]) -> None:
        try:
            original = self.originals.pop(frame, None)
            if original is None or value is original or not isinstance(value, self.module_type):
                return
            name = self.encoder.name_of(original)
            if name is not None and self.encoder.name_of(value) is None:
                self.encoder.name_object(value, name)  # swapped in: it stands where that was
        except Exception:
            pass

    def _reached_as(self, frame: Any) -> str:
        """`parent.attribute` when the caller is the same function walking the parent's
        `__dict__` (or its `_modules`), else a numbered name: both the same run after run."""
        caller = frame.f_back
        if caller is not None and caller.f_code is frame.f_code:
            parent = self.encoder.name_of(caller.f_locals.get("obj"))
            attribute = caller.f_locals.get("name")
            if attribute == "_modules":
                attribute = caller.f_locals.get("k")
            if parent is not None and isinstance(attribute, str):
                return f"{parent}.{attribute}" if parent else attribute
        return self.encoder.unnamed_label(type(frame.f_locals.get("obj")).__name__)


def install(encoder: Encoder, torch: Any) -> Dict[types.CodeType, List[Probe]]:
    """The probes for this torch, by the code object each watches."""
    probes: Dict[types.CodeType, List[Probe]] = {}
    try:
        probes.setdefault(resolve(PREPARE).code, []).append(
            ModuleNaming(encoder, torch.nn.Module))
    except LookupError:
        pass
    return probes
