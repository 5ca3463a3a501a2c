"""Encoders for torch's values, registered on a run's `Encoder`.

Imported only where a run happens (it imports torch). Each encoder reads only what torch
exposes without side effects: the design brief's trap is `ConcreteModuleTypeBuilder.build()`,
which registers a new JIT type and renames what torch then produces. A builder is read from
the calls recorded on it instead (`builder_log`).
"""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

import torch

from . import builder_log
from ..records import Tag
from .contents import tensor_digest
from .values import Encoder, cut_for_depth, type_name


def jit_type_name(jit_type: Any) -> str:
    return str(jit_type)


def _type_text(enc: Encoder, jit_type: Any) -> str:
    """A JIT type's text, read once per type object: a type never changes its name, and
    pybind hands back the same Python object for a type torch holds (`Tensor`, a module's
    class type), so the same types met at every `infer_type` stop are read once."""
    return enc.once("jit type", jit_type, lambda: jit_type_name(jit_type))


def _tensor(t: "torch.Tensor", enc: Encoder, depth: int) -> dict:
    """Shape, dtype, device, requires_grad, and a fingerprint of its contents (`contents.py`).
    The same tensor, unchanged, is encoded once: a parameter is met at several stops."""
    key = ("tensor", id(t), t._version)
    out = enc.cache.get(key)
    if out is not None:
        return out
    out = {
        "type": Tag.PARAMETER if isinstance(t, torch.nn.Parameter) else Tag.TENSOR,
        "shape": list(t.shape),
        "dtype": str(t.dtype).replace("torch.", ""),
        "device": str(t.device),
        "requires_grad": bool(t.requires_grad),
    }
    digest = tensor_digest(t)
    if digest is not None:
        out["digest"] = digest
    enc.cache[key] = out
    enc.keep(t)  # its id names it in the cache: alive for the run, so never reused
    return out


def _module(m: "torch.nn.Module", enc: Encoder, depth: int) -> dict:
    if isinstance(m, torch.jit.ScriptModule):
        return _script_module(m, enc, depth)
    path = enc.name_of(m)
    if path is None and enc.naming_open:  # no model path (made inside torch, or held
        path = enc.unnamed_label(type(m).__name__)  # outside the model's tree)
        enc.name_object(m, path)
    out: Dict[str, Any] = {"type": Tag.NN_MODULE, "class": type_name(type(m)), "path": path}
    also = enc.aliases_of(m)
    if also:
        out["also"] = list(also)
    if path is not None:  # named for good: the same encoding every time it is met
        enc.final(m, out)
    return out


def _script_module(m: Any, enc: Encoder, depth: int) -> dict:
    """A scripted module's class and names, which torch fixes when it makes it: encoded once
    (`create_script_module_impl` returns it, its parent's stops meet it again)."""
    out = {"type": Tag.SCRIPT_MODULE, "class": type_name(type(m)),
           "original_name": getattr(m, "original_name", None)}
    try:
        out["qualified_name"] = m._c._type().qualified_name()
    except Exception:
        return out  # not made whole (a module being set up): read again next time
    return enc.final(m, out)


def _inferred_type(it: Any, enc: Encoder, depth: int) -> dict:
    """A type inferred is written as its type: one encoding per type object (torch hands
    back the same object for the types it holds, `Tensor`, `bool`), as `_type_text` reads it:
    `infer_type` makes a new InferredType for every attribute of every module."""
    if it.success():
        jit_type = it.type()
        return enc.once("inferred", jit_type, lambda: {
            "type": Tag.INFERRED_TYPE, "success": True, "jit_type": _type_text(enc, jit_type)})
    return {"type": Tag.INFERRED_TYPE, "success": False, "reason": enc.string(it.reason())}


def _jit_type(t: Any, enc: Encoder, depth: int) -> dict:
    # as _type_text: once per type object
    return enc.final(t, {"type": Tag.JIT_TYPE, "kind": t.kind(), "name": jit_type_name(t)})


def _concrete_type(ct: Any, enc: Encoder, depth: int) -> dict:
    """torch never changes a ConcreteModuleType once built: encoded once (it is met inside
    `known_types` and again as the value returned, one level up). An encoding made at some
    depth that cut nothing for depth is the same at any smaller depth."""
    key = ("concrete type", id(ct))
    made = enc.cache.get(key)  # (depth, encoding, whether it cut anything for depth)
    if made is not None and (made[0] == depth or (depth < made[0] and not made[2])):
        return made[1]
    out = _concrete_type_fields(ct, enc, depth)
    enc.cache[key] = (depth, out, cut_for_depth(out))
    enc.keep(ct)
    return out


def _concrete_type_fields(ct: Any, enc: Encoder, depth: int) -> dict:
    attributes = ct.get_attributes()
    return enc.bounded({
        "type": Tag.CONCRETE_TYPE,
        "py_class": type_name(ct.py_class),
        "jit_type": jit_type_name(ct.jit_type),
        "attributes": {name: {"jit_type": jit_type_name(t), "is_param": bool(is_param)}
                       for name, (t, is_param) in sorted(attributes.items())},
        "modules": {name: _concrete_type_ref(sub) for name, sub in ct.get_modules()},
        "constants": {name: enc.encode(value, depth + 1)
                      for name, value in sorted(ct.get_constants().items())},
    }, ("attributes", "modules", "constants"))


def _concrete_type_ref(ct: Any) -> str:
    """A submodule's concrete type, by name only: its own stop shows the rest."""
    return jit_type_name(ct.jit_type)


def _builder(b: Any, enc: Encoder, depth: int) -> dict:
    calls = builder_log.calls_of(b)
    if calls is None:  # made outside a recorded run: nothing can be read from it
        return {"type": Tag.BUILDER, "recorded": False}
    return enc.bounded(builder_log.summarise(calls, enc, depth, _concrete_type_ref,
                                             lambda t: _type_text(enc, t)),
                       ("attributes", "modules", "constants", "failed_attributes", "functions",
                        "builtin_functions", "overloads"))


def install(enc: Encoder) -> Encoder:
    enc.register(torch.Tensor, _tensor)
    enc.register(torch.nn.Module, _module)
    enc.register(torch._C.InferredType, _inferred_type)
    enc.register(torch._C.Type, _jit_type)
    enc.register(torch._C.ConcreteModuleType, _concrete_type)
    enc.register_shared(torch._C.ConcreteModuleType, lambda ct: {
        "type": Tag.CONCRETE_TYPE, "jit_type": jit_type_name(ct.jit_type)})
    enc.register(torch._C.ConcreteModuleTypeBuilder, _builder)
    enc.register(torch.dtype, lambda v, e, d: {"type": Tag.DTYPE, "name": str(v)})
    enc.register(torch.device, lambda v, e, d: {"type": Tag.DEVICE, "name": str(v)})
    enc.register(torch.Size, lambda v, e, d: {"type": Tag.SIZE, "items": list(v)})
    return enc


def name_model(enc: Encoder, model: Any) -> None:
    """Name every module of the model by its path (`layer2.0`; the root is ""). A model that is
    not a module, or one not initialised (no `super().__init__()`), is left for torch to judge:
    its own error is the one the user must see."""
    enc.naming_open = True  # from here on, a module with no path gets a numbered name
    if not isinstance(model, torch.nn.Module):
        return
    for path, module in walk_modules(model):
        if enc.name_of(module) is None:
            enc.name_object(module, path)
        else:  # used at two places: the first path names it, the others are kept too
            enc.add_alias(module, path)


def walk_modules(model: Any):
    """(path, module) for the model and every submodule, in `named_modules` order, duplicates
    included. It reads `_modules` from each module's own `__dict__`, so a module that was
    never initialised (no `super().__init__()`) is listed rather than raising."""
    stack: List[Tuple[str, Any, Tuple[int, ...]]] = [("", model, ())]
    while stack:
        path, module, above = stack.pop()
        yield path, module
        children = module.__dict__.get("_modules") or {}
        for name, child in reversed(list(children.items())):
            if child is not None and id(child) not in above and len(above) < 100:
                stack.append((f"{path}.{name}" if path else name, child, above + (id(module),)))
