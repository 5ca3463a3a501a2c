"""See inside `torch._C.ConcreteModuleTypeBuilder` without changing what torch builds.

The builder has no getters, and its `build()` registers a new JIT type (the design brief's
observer-effect trap). So during a recorded run `torch._C.ConcreteModuleTypeBuilder` is
replaced by a subclass whose mutating methods note their arguments and then call torch's own.
torch's C++ side accepts the subclass wherever it takes a builder (`equals`, `build`), so the
types torch produces are the same; tests/test_fidelity.py measures that.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, List, Optional, Tuple, Type, TypeVar, cast

from ..records import Tag
from .values import type_name

# Every method that adds to a builder; those missing from an older torch are skipped.
MUTATORS = (
    "set_module_dict", "set_module_list", "set_parameter_list", "set_parameter_dict",
    "set_poisoned", "add_attribute", "add_module", "add_constant", "add_failed_attribute",
    "add_function_attribute", "add_builtin_function", "add_ignored_attribute",
    "add_ignored_attributes", "add_overload", "add_forward_hook", "add_forward_pre_hook",
)
_LOG = "_harness_calls"

Call = Tuple[str, tuple]
_T = TypeVar("_T")


def _recording_subclass(base: Type[_T]) -> Type[_T]:
    def __init__(self, *args, **kwargs):
        base.__init__(self, *args, **kwargs)
        setattr(self, _LOG, [("__init__", args)])
        _made.append(self)

    namespace = {"__init__": __init__, "__module__": base.__module__,
                 "__qualname__": base.__qualname__, "__doc__": base.__doc__}
    for name in MUTATORS:
        if hasattr(base, name):
            namespace[name] = _recording_method(base, name)
    return cast(Type[_T], type(base.__name__, (base,), namespace))


def _recording_method(base: type, name: str) -> Callable:
    original = getattr(base, name)

    def method(self, *args):
        try:
            result = original(self, *args)
        except Exception as exc:  # torch's own error, passed on as is; noted for the diagnosis
            _refusals.append(Refusal(name, args, exc))
            raise
        getattr(self, _LOG).append((name, args))
        return result

    method.__name__ = name
    return method


class Refusal:
    """A call torch's C++ builder refused: which method, with what, and its error."""

    def __init__(self, method: str, args: tuple, error: BaseException):
        self.method, self.args, self.error = method, args, error


_refusals: List[Refusal] = []
_made: List[Any] = []  # the builders of the current run


def calls_made() -> List[List[Call]]:
    """The calls made on each builder of the current run, in the order they were made."""
    return [list(getattr(b, _LOG)) for b in _made]


def refusals() -> List[Refusal]:
    """The builder calls torch refused during the current run, oldest first."""
    return list(_refusals)


@contextlib.contextmanager
def recording_builders() -> Iterator[None]:
    """Swap in the recording builder for the duration of a run, and always put torch's back."""
    import torch

    original = torch._C.ConcreteModuleTypeBuilder
    # torch's stubs declare the class, not a name to rebind: swapping it is the point here
    torch._C.ConcreteModuleTypeBuilder = _recording_subclass(original)  # type: ignore[misc]
    _refusals.clear()
    _made.clear()
    try:
        yield
    finally:
        torch._C.ConcreteModuleTypeBuilder = original  # type: ignore[misc]  # as above
        _made.clear()


def calls_of(builder: Any) -> Optional[List[Call]]:
    return getattr(builder, _LOG, None)


def summarise(calls: List[Call], enc: Any, depth: int,
              concrete_type_ref: Callable[[Any], str],
              type_text: Callable[[Any], str] = str) -> dict:
    """What has been added to a builder so far, grouped the way torch's ConcreteModuleType is.
    `type_text`: a JIT type's text (`str`, or one that reads each type once)."""
    out: dict = {"type": Tag.BUILDER, "py_class": None, "kind": None,
                 "attributes": {}, "modules": {}, "constants": {}, "failed_attributes": {},
                 "functions": {}, "builtin_functions": {}, "ignored_attributes": [],
                 "overloads": {}, "hooks": 0, "pre_hooks": 0, "poisoned": False}
    for name, args in calls:
        if name == "__init__":
            out["py_class"] = type_name(args[0])
        elif name == "set_poisoned":
            out["poisoned"] = True
        elif name.startswith("set_"):
            out["kind"] = name[len("set_"):]
        else:
            _add(out, name, args, enc, depth, concrete_type_ref, type_text)
    # Drop what stayed empty, so a stop shows what was added and nothing else.
    return {k: v for k, v in out.items() if v not in ({}, [], 0, False, None) or k == "type"}


def _add(out: dict, name: str, args: tuple, enc: Any, depth: int,
         concrete_type_ref: Callable[[Any], str], type_text: Callable[[Any], str]) -> None:
    """One `add_*` call, where ConcreteModuleType keeps what it adds."""
    if name == "add_attribute":
        attr, jit_type, is_param, is_buffer = args
        out["attributes"][attr] = {"jit_type": type_text(jit_type), "is_param": bool(is_param),
                                   "is_buffer": bool(is_buffer)}
    elif name == "add_module":
        out["modules"][args[0]] = concrete_type_ref(args[1])
    elif name == "add_constant":
        out["constants"][args[0]] = enc.encode(args[1], depth + 1)
    elif name == "add_failed_attribute":
        out["failed_attributes"][args[0]] = enc.string(args[1])
    elif name == "add_function_attribute":
        out["functions"][args[0]] = str(args[1])
    elif name == "add_builtin_function":
        out["builtin_functions"][args[0]] = str(args[1])
    elif name == "add_ignored_attribute":
        out["ignored_attributes"].append(args[0])
    elif name == "add_ignored_attributes":
        out["ignored_attributes"].extend(args[0])
    elif name == "add_overload":
        out["overloads"][args[0]] = list(args[1])
    elif name == "add_forward_hook":
        out["hooks"] += 1
    elif name == "add_forward_pre_hook":
        out["pre_hooks"] += 1
