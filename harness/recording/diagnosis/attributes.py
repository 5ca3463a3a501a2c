"""Diagnoses of a module's attributes: untypeable, lists of modules, functions, internals.

One TorchScript cannot type (and the right annotation for it), a Python list of modules, a
function stored on the module, nn.Module's own internals read by the code, and an attribute
the code uses that the module never set."""
from __future__ import annotations

import functools
import inspect
import re
from typing import Any, Dict, Optional

from ...records import Diagnosis
from . import fixes
from . import message as msg
from .facts import Facts, at

_NO_ATTRIBUTE = re.compile(r"has no attribute '(\w+)'")
_UNKNOWN_ANNOTATION = re.compile(r"Unknown type annotation: '([^']*)'")
INTERNALS = ("_modules", "_parameters", "_buffers")


def failed_attribute(message: str) -> Optional[str]:
    """The attribute in torch's "Module 'X' has no attribute 'y'"."""
    match = _NO_ATTRIBUTE.search(message)
    return match.group(1) if match else None


def attribute(f: Facts) -> Optional[Diagnosis]:
    head = msg.header(f.message).strip().splitlines()
    name = failed_attribute(head[0]) if head else None
    if name is None or "has no attribute or method" in head[0]:
        return None
    module = f.module()
    cls = type(module).__qualname__ if module is not None else "the module"
    places = f.user_places()
    method = f.method_at(module, list(reversed(places)))
    phase = f"compiling {cls}.{method}" if method else f.phase_name()
    common: Dict[str, Any] = dict(phase=phase, attribute=name, method=method,
                                  **f.where_module(module))
    user = f"{cls}.{method}" if method else "a scripted method"
    value = getattr(module, "__dict__", {}).get(name) if module is not None else None
    hint = f.failed_hint(module, name)
    if name in INTERNALS:
        return Diagnosis(
            kind="module-internals", **common, where=f.where_in_message(),
            summary=f"{user} of {f.label(module)} reads self.{name}, nn.Module's internals, "
                    "which TorchScript does not see",
            reason=msg.reason(f.raw), fix=fixes.MODULE_INTERNALS[name])
    if _modules_in(value):
        return Diagnosis(
            kind="module-list", **common, where=f.where_in_message(),
            summary=f"attribute {name} of {f.label(module)} is a Python "
                    f"{type(value).__name__} of modules, which TorchScript cannot hold; "
                    f"{user} uses it",
            reason=_hint_reason(hint) if hint else msg.reason(f.raw),
            fix=fixes.module_list(name))
    if hint is not None and "failed to compile it to a TorchScript function" in hint:
        function_error = hint.split("The error stack is reproduced here:", 1)[-1]
        places = msg.places(function_error)
        return Diagnosis(
            kind="function-attribute", **common,
            function=getattr(value, "__qualname__", None),
            summary=f"the function in attribute {name} of {f.label(module)} failed to "
                    f"compile; {user} uses it",
            reason=msg.inner_reason(hint),
            where=at(places[0].file, places[0].line) if places else f.where_in_message(),
            fix=fixes.function_attribute(name))
    if isinstance(value, functools.partial) or inspect.ismethod(value):
        held = "a functools.partial" if isinstance(value, functools.partial) \
            else "a bound method"
        return Diagnosis(
            kind="function-attribute", **common, where=f.where_in_message(),
            summary=f"attribute {name} of {f.label(module)} holds {held}, which TorchScript "
                    f"cannot call; {user} uses it",
            reason=_hint_reason(hint) if hint else msg.reason(f.raw),
            fix=fixes.function_attribute(name))
    if hint is not None:
        return Diagnosis(
            kind="attribute-type", **common, where=f.where_in_message(),
            summary=f"the type of attribute {name} of {f.label(module)} could not be "
                    f"inferred; {user} uses it",
            reason=_hint_reason(hint),
            fix=fixes.attribute_type(name, annotation_for(value), type(value).__name__))
    return Diagnosis(
        kind="missing-attribute", **common, where=f.where_in_message(),
        summary=f"{user} uses self.{name}, which {f.label(module)} does not have for "
                "TorchScript (never set, set to None, or ignored)",
        reason=msg.reason(f.raw), fix=fixes.missing_attribute(name, cls))


def annotated_module_list(f: Facts) -> Optional[Diagnosis]:
    """A class-body annotation TorchScript does not know, naming nn.Module: `List[nn.Module]`."""
    match = _UNKNOWN_ANNOTATION.search(f.message)
    module = f.module()
    if match is None or module is None or "Module" not in match.group(1):
        return None
    annotations = {}
    for klass in reversed(type(module).__mro__):
        annotations.update(getattr(klass, "__dict__", {}).get("__annotations__", {}))
    name = next((n for n, a in annotations.items()
                 if "Module" in str(a) and _modules_in(module.__dict__.get(n))), None) or \
        next((n for n, a in annotations.items() if "Module" in str(a)), None)
    return Diagnosis(
        kind="module-list", phase=f.phase_name(), attribute=name, **f.where_module(module),
        summary=f"attribute {name} of {f.label(module)} is annotated "
                f"{_short_type(match.group(1))}, which TorchScript does not know",
        reason=msg.reason(f.raw), fix=fixes.module_list(name or "the attribute"))


def _short_type(text: str) -> str:
    return text.replace("typing.", "").replace("torch.nn.modules.module.", "nn.")


def _modules_in(value: Any) -> bool:
    if not isinstance(value, (list, tuple)) or not value:
        return False
    try:
        import torch

        return all(isinstance(v, torch.nn.Module) for v in value)
    except ImportError:
        return False


def annotation_for(value: Any) -> Optional[str]:
    """The annotation that types this value for TorchScript, when one does; None when none
    can (values of mixed types) or the value says too little (an empty container says
    nothing of its elements, so a placeholder names what to fill in)."""
    import torch

    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float, str)):
        return type(value).__name__
    if isinstance(value, torch.Tensor):
        return "torch.Tensor"
    if isinstance(value, (list, tuple)):
        if not value:
            return "List[<element type>]" if isinstance(value, list) else None
        kinds = {annotation_for(v) for v in value}
        if len(kinds) != 1 or None in kinds:
            return None
        inner = str(kinds.pop())
        return f"List[{inner}]" if isinstance(value, list) else \
            f"Tuple[{', '.join([inner] * len(value))}]"
    if isinstance(value, dict):
        if not value:
            return "Dict[str, <value type>]"
        keys = {annotation_for(k) for k in value}
        values = {annotation_for(v) for v in value.values()}
        if len(keys) != 1 or len(values) != 1 or None in keys | values:
            return None
        return f"Dict[{keys.pop()}, {values.pop()}]"
    return None


def _hint_reason(hint: str) -> str:
    """torch's hint for a failed attribute, without its framing: the reason itself."""
    text = hint.strip().strip("()")
    marker = "to a TorchScript type. "
    if marker in text:
        text = text.split(marker, 1)[1]
    return msg.shorten(msg.clean(text))
