"""Diagnoses of torch's walk over the modules, before any code is compiled.

The model's own constructor, a module never initialised, a value the type builder refuses, a
`__prepare_scriptable__` that raises, a hook that cannot be scripted."""
from __future__ import annotations

import inspect
from typing import Optional

from ...records import Diagnosis
from .. import builder_log
from ..probes import PREPARE
from . import fixes
from . import message as msg
from .facts import Facts, causes, in_traceback, short_repr, source_of

_HOOKS = ("torch.jit._recursive.get_hook_stubs", "torch.jit._recursive.create_hooks_from_stubs")


def model_constructor(f: Facts) -> Diagnosis:
    return Diagnosis(
        kind="model-constructor", phase="building the model",
        summary=f"the model's factory raised {type(f.error).__name__} before scripting began",
        reason=msg.reason(f.raw), where=f.where_in_traceback(), fix=fixes.MODEL_CONSTRUCTOR)


def uninitialized(f: Facts) -> Optional[Diagnosis]:
    candidates = [u.module for u in f.trail if u.module is not None]
    if f.model is not None:
        from ..torch_values import walk_modules

        candidates += [m for _, m in walk_modules(f.model)]
    for module in candidates:
        if "_parameters" not in getattr(module, "__dict__", {"_parameters": None}):
            cls = type(module).__qualname__
            return Diagnosis(
                kind="uninitialized", phase=f.phase_name(),
                summary=f"{f.label(module)} was never initialised: its __init__ does not call "
                        "super().__init__()",
                reason=msg.reason(f.raw), **f.where_module(module), method="__init__",
                where=source_of(type(module).__init__), fix=fixes.uninitialized(cls))
    return None


def type_builder(f: Facts) -> Optional[Diagnosis]:
    chain = causes(f.error)
    refused = [r for r in builder_log.refusals() if any(r.error is c for c in chain)]
    if not refused:
        return None
    refusal = refused[-1]
    module = f.module()
    cls = type(module).__qualname__ if module is not None else "the module"
    args = ", ".join(short_repr(a) for a in refusal.args)
    return Diagnosis(
        kind="type-builder", phase="inferring the module's type",
        summary=f"torch's ConcreteModuleTypeBuilder.{refusal.method}({args}) refused what "
                f"{f.label(module)} gave it",
        reason=msg.reason(str(refusal.error)), **f.where_module(module),
        fix=fixes.BUILDER.get(refusal.method, "the value comes from the module's class "
                              f"({cls}): give it the shape torch expects there"))


def prepare_scriptable(f: Facts) -> Optional[Diagnosis]:
    if not f.inner or f.inner.function != PREPARE:
        return None
    if not in_traceback(f.error, "__prepare_scriptable__"):
        return None
    module = f.inner.module
    cls = type(module).__qualname__
    return Diagnosis(
        kind="prepare-scriptable", phase=f.inner.phase, method="__prepare_scriptable__",
        summary=f"{cls}.__prepare_scriptable__ of {f.label(module)} raised "
                f"{type(f.error).__name__}",
        reason=msg.reason(f.raw), where=f.where_in_traceback(), **f.where_module(module),
        fix=fixes.prepare_scriptable(cls))


def hook(f: Facts) -> Optional[Diagnosis]:
    if not f.inner or f.inner.function not in _HOOKS:
        return None
    module = f.inner.module
    hooks = list(getattr(module, "_forward_hooks", {}).values()) + \
        list(getattr(module, "_forward_pre_hooks", {}).values())
    bad = [h for h in hooks if not inspect.isfunction(h) or h.__name__ == "<lambda>"]
    named = [h for h in hooks if inspect.isfunction(h) and h.__name__ in f.raw]
    chosen = (bad or named or [None])[0]
    what = _hook_name(chosen)
    where = source_of(getattr(chosen, "func", chosen)) if chosen is not None else None
    return Diagnosis(
        kind="hook", phase=f.inner.phase, hook=what, **f.where_module(module),
        summary=f"a forward hook of {f.label(module)} cannot be scripted: {what}",
        reason=msg.reason(f.raw), where=where or f.where_in_message(), fix=fixes.HOOK)


def _hook_name(hook) -> str:
    if hook is None:
        return "a hook"
    if inspect.isfunction(hook):
        return "a lambda" if hook.__name__ == "<lambda>" else hook.__qualname__
    func = getattr(hook, "func", None)
    if func is not None:  # functools.partial
        return f"functools.partial({getattr(func, '__qualname__', short_repr(func))})"
    if inspect.ismethod(hook):
        return f"the bound method {hook.__qualname__}"
    return short_repr(hook)
