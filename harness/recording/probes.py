"""The harness's own watches on torch functions: they keep names stable, and write no stop.

A scenario lists what it wants to see; these run whatever it lists (`engine.Probe`), on the
few torch functions the harness needs to follow itself. Each is best effort: a torch release
that moved things makes a probe do nothing, never fail the run.

- `ModuleNaming` on `call_prepare_scriptable_func_impl`: every module torch prepares gets a
  stable name before any stop can show it. A module reachable only through another's
  `__dict__` (not a submodule, so it has no model path) is named after the attribute that holds
  it (`helper`, `t1.t2`), and a module swapped in by `__prepare_scriptable__` takes the name of
  the one it replaces. So `memo`, keyed by `id()`, never shows an id.
- `FailureTrail` on the functions of the walk's phases (`PHASES`): which of them an exception
  left, innermost first, and the module each was working on. It is what the diagnosis of a
  failed run (`recording/diagnosis/`) reads, and it costs nothing on a run that scripts.
"""
from __future__ import annotations

import types
from typing import Any, Dict, List, Optional, Tuple

from .engine import Probe
from .targets import resolve
from .values import Encoder

PREPARE = "torch.jit._script.call_prepare_scriptable_func_impl"


class ModuleNaming:
    needs_calls = True

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


# The functions of the walk, the phase each stands for, and the argument naming its module
# (None: the module of the call it runs in).
PHASES = {
    PREPARE: ("preparing the module (__prepare_scriptable__)", "obj"),
    "torch.jit._recursive.check_module_initialized": ("checking the module was initialised",
                                                      "mod"),
    "torch.jit._recursive.infer_concrete_type_builder": ("inferring the module's type",
                                                         "nn_module"),
    "torch.jit._recursive.create_script_module_impl": ("compiling the module", "nn_module"),
    "torch.jit._recursive.infer_methods_to_compile": ("reading the methods to compile",
                                                      "nn_module"),
    "torch.jit._recursive.create_methods_and_properties_from_stubs": (
        "compiling the module's methods", None),
    "torch.jit._recursive.get_hook_stubs": ("reading the module's hooks", "nn_module"),
    "torch.jit._recursive.create_hooks_from_stubs": ("compiling the module's hooks", None),
}
MAX_TRAILS = 200  # exceptions followed at once; torch catches some of its own as it goes


class Unwound:
    """One function of the walk that an exception left: its phase and its module."""

    def __init__(self, function: str, phase: str, module: Any):
        self.function, self.phase, self.module = function, phase, module


class FailureTrail:
    """Follows exceptions through the walk's functions (one probe serves them all). It hears
    only of exceptions leaving them, never of their calls: it costs nothing on a run that
    scripts."""

    def __init__(self, module_type: type):
        self.module_type = module_type
        # id(exception) -> (exception, [Unwound...])
        self.trails: Dict[int, Tuple[BaseException, List[Unwound]]] = {}

    def watcher(self, function: str) -> Probe:
        trail = self
        phase, argument = PHASES[function]

        class Watch:
            needs_calls = False

            def enter(self, frame: Any) -> None:
                pass

            def leave(self, frame: Any, value: Any, raised: Optional[BaseException]) -> None:
                if raised is None:
                    return
                try:
                    trail.note(raised, Unwound(function, phase, trail.module_at(frame,
                                                                                  argument)))
                except Exception:
                    pass

        return Watch()

    def module_at(self, frame: Any, argument: Optional[str]) -> Any:
        """The module a frame works on: its own argument, else its callers' (a function like
        create_methods_and_properties_from_stubs runs for the module of its caller)."""
        for _ in range(12):
            if frame is None:
                return None
            for name in ((argument,) if argument else ()) + ("nn_module", "mod", "obj"):
                value = frame.f_locals.get(name)
                if isinstance(value, self.module_type):
                    return value
            frame = frame.f_back
        return None

    def note(self, exc: BaseException, unwound: Unwound) -> None:
        entry = self.trails.get(id(exc))
        if entry is None or entry[0] is not exc:
            if len(self.trails) >= MAX_TRAILS:
                self.trails.pop(next(iter(self.trails)))
            trail: List[Unwound] = []
            entry = self.trails[id(exc)] = (exc, trail)
        entry[1].append(unwound)

    def of(self, exc: BaseException) -> List[Unwound]:
        """The walk's functions `exc` (or the error it was raised from) left, innermost first."""
        seen = set()
        current: Optional[BaseException] = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            entry = self.trails.get(id(current))
            if entry is not None and entry[0] is current:
                return list(entry[1])
            current = current.__cause__ or current.__context__
        return []


class Probes:
    """The probes of one run, by the code object each watches, and what they found."""

    def __init__(self, encoder: Encoder, torch: Any):
        self.by_code: Dict[types.CodeType, List[Probe]] = {}
        self.trail = FailureTrail(torch.nn.Module)
        self._add(PREPARE, ModuleNaming(encoder, torch.nn.Module))
        for function in PHASES:
            self._add(function, self.trail.watcher(function))

    def add(self, function: str, probe: Probe) -> None:
        """Watch `function` with `probe` too (the frontend's source index adds its own)."""
        self._add(function, probe)

    def _add(self, function: str, probe: Probe) -> None:
        try:
            code = resolve(function).code
        except LookupError:  # another torch: this probe has nothing to watch
            return
        self.by_code.setdefault(code, []).append(probe)


def install(encoder: Encoder, torch: Any) -> Probes:
    """The probes for this run and this torch."""
    return Probes(encoder, torch)
