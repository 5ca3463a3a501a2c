"""Changes made to a live model at run time, for `harness run --keep-going`: each one says in
a line what it does, and applies itself to a freshly built model before it is scripted.

torch stops at the first failure. To see the next one, the harness makes, in the recording
process only, the change a person would make in the model's source for the failure it just
diagnosed, and scripts the model again in a fresh process (torch's type caches are per
process). The user's files are never touched: a change edits classes and modules in memory.

A change is chosen from the diagnosis (the module's path, the attribute, method, property or
hook it names) and the live model (a list of modules is seen on the live attribute, the type
of an attribute on its value). Where no change fits, `choose` says why, in words. Every kind is
one that works on torch 2.13 (design.md, "What works as a fix"); `forward` of the root is
never marked unused: scripting would then pass and calling the model fail, which hides the
failures after it instead of showing them.

Standard library and torch only: this runs in the recording process.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import asdict, dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..records import Diagnosis, path_label

KINDS = ("ignore-attribute", "unused-property", "unused-method", "remove-hook",
         "module-list", "annotate-attribute")

# Kinds whose failure is in a method's code: marking that method unused gets past it.
_IN_A_METHOD = ("method-compile", "unsupported-syntax", "uncompilable-call", "type-mismatch",
                "optional-not-refined", "unannotated-argument", "module-internals", "other")
_INFERRING = re.compile(r"Error inferring type for (\w+):")
_FILE_LINE = re.compile(r'File "([^"]+)", line (\d+)')
_WHERE = re.compile(r"^(.+?):(\d+)")


class ChangeError(Exception):
    """A change that no longer fits the model it is applied to (a factory that builds a
    different model each time)."""


@dataclass(frozen=True)
class Change:
    kind: str  # one of KINDS
    module: str  # the model path of the module it changes ("" is the root)
    module_class: str  # that module's class, as its name reads (for the line that says it)
    name: str  # the attribute, property or method; for a hook: "forward" or "forward_pre"
    index: int = 0  # remove-hook: the hook's place in the module's hooks of that kind
    type: str = ""  # annotate-attribute: the type, as TorchScript reads it ("List[int]")
    what: str = ""  # remove-hook: how the hook reads

    def describe(self) -> str:
        where = path_label(self.module)
        cls = self.module_class.rsplit(".", 1)[-1]
        return {
            "ignore-attribute": f"{self.name} listed in {cls}.__jit_ignored_attributes__ "
                                f"(module {where})",
            "unused-property": f"{self.name} listed in {cls}.__jit_unused_properties__ "
                               f"(module {where})",
            "unused-method": f"{cls}.{self.name} marked @torch.jit.unused (module {where}; "
                             "it raises if called" + (", and calling the module calls it)"
                                                      if self.name == "forward" else ")"),
            "remove-hook": f"the {self.name.replace('_', '-')} hook {self.what} of module "
                           f"{where} removed",
            "module-list": f"{where}.{self.name} wrapped in nn.ModuleList" if self.module else
                           f"{self.name} wrapped in nn.ModuleList",
            "annotate-attribute": f"{cls}.{self.name} annotated {self.type} in the class's "
                                  f"__annotations__ (module {where})",
        }[self.kind]

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Change":
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            raise ChangeError(f"not a change the harness makes: {data!r}")
        return cls(**data)

    def apply(self, model: Any) -> None:
        module = _module_at(model, self.module)
        if module is None:
            raise ChangeError(f"the model has no module {path_label(self.module)} any more")
        _APPLY[self.kind](self, module)


def apply_all(changes: Sequence[dict], model: Any) -> None:
    """Apply the changes of the rounds before, in order, to the model just built."""
    for data in changes:
        change = Change.from_json(data)
        try:
            change.apply(model)
        except ChangeError as exc:
            raise ChangeError(f"with {change.describe()}: {exc}") from None


# -- applying each kind -----------------------------------------------------------------------
def _listed(cls: type, name: str, entry: str) -> None:
    """Add `entry` to the class's own list `name` (a copy: a base class keeps its own)."""
    setattr(cls, name, list(getattr(cls, name, None) or []) + [entry])


def _ignore_attribute(change: Change, module: Any) -> None:
    _listed(type(module), "__jit_ignored_attributes__", change.name)


def _unused_property(change: Change, module: Any) -> None:
    if not isinstance(inspect.getattr_static(type(module), change.name, None), property):
        raise ChangeError(f"{type(module).__qualname__}.{change.name} is not a property")
    _listed(type(module), "__jit_unused_properties__", change.name)


def _unused_method(change: Change, module: Any) -> None:
    import torch

    function = inspect.getattr_static(type(module), change.name, None)
    if not inspect.isfunction(function):
        raise ChangeError(f"{type(module).__qualname__}.{change.name} is not a method")
    torch.jit.unused(function)  # marks the function itself, as the decorator does


def _remove_hook(change: Change, module: Any) -> None:
    hooks = _hooks(module, change.name)
    keys = list(hooks)
    if change.index >= len(keys):
        raise ChangeError(f"module {path_label(change.module)} has no {change.name} hook "
                          f"#{change.index}")
    key = keys[change.index]
    del hooks[key]
    for extra in ("_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                  "_forward_pre_hooks_with_kwargs"):  # torch 2.x keeps a hook's flags apart
        table = module.__dict__.get(extra)
        if isinstance(table, dict):
            table.pop(key, None)


def _module_list(change: Change, module: Any) -> None:
    import torch

    value = getattr(module, change.name, None)
    if not _is_module_sequence(value):
        raise ChangeError(f"{path_label(change.module)}.{change.name} is not a list of modules")
    setattr(module, change.name, torch.nn.ModuleList(value))


def _annotate_attribute(change: Change, module: Any) -> None:
    named = name_type(getattr(module, change.name, None))
    if named.text != change.type:
        raise ChangeError(f"{path_label(change.module)}.{change.name} no longer holds a "
                          f"{change.type}")
    cls = type(module)
    # What an annotation in the class body makes: the class's own dict of annotations.
    cls.__annotations__ = {**cls.__dict__.get("__annotations__", {}), change.name: named.type}


_APPLY: Dict[str, Callable[[Change, Any], None]] = {
    "ignore-attribute": _ignore_attribute, "unused-property": _unused_property,
    "unused-method": _unused_method, "remove-hook": _remove_hook,
    "module-list": _module_list, "annotate-attribute": _annotate_attribute}


# -- naming a type from a value ---------------------------------------------------------------
@dataclass
class NamedType:
    text: str = ""  # "Dict[str, List[int]]"; empty when the value does not tell
    type: Any = None  # the typing object
    why_not: str = ""


def name_type(value: Any) -> NamedType:
    """The TorchScript type of a value, as far as the value itself tells it: an element type
    taken from the elements (an empty list beside a full one takes its sibling's type), None
    beside a value makes it Optional. An empty container alone, a mix of types, or an object
    TorchScript has no type for cannot be named."""
    found = _name(value)
    if isinstance(found, str):
        return NamedType(why_not=found)
    text, typ = found
    if text is None:
        return NamedType(why_not="its value is None, which says nothing of the type meant")
    if typ is None:  # an empty container with no sibling to take a type from
        return NamedType(why_not=f"it holds an empty container ({text.replace('?', '...')}): "
                                 "the value does not show what would go in it")
    return NamedType(text=text, type=typ)


_Named = Any  # (text or None for "no type yet", typing object), or a str: why not


def _name(value: Any) -> _Named:
    import torch

    if value is None:
        return (None, None)
    for base, text in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if type(value) is base:
            return (text, base)
    if isinstance(value, torch.Tensor):
        return ("Tensor", torch.Tensor)
    if isinstance(value, torch.device):
        return ("Device", torch.device)
    if type(value) is list and not value:
        return ("List[?]", None)  # its type may come from a sibling: [[], [1, 2]]
    if type(value) is dict and not value:
        return ("Dict[?]", None)
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return _name_sequence(value)
    if type(value) is dict:
        return _name_dict(value)
    return (f"a {type(value).__module__}.{type(value).__qualname__} has no TorchScript type "
            "the harness can name")


def _name_sequence(value: Any) -> _Named:
    """A list's or a tuple's type, from its items' (the list's merged into one)."""
    import typing

    items = [_name(v) for v in value]
    bad = next((i for i in items if isinstance(i, str)), None)
    if bad is not None:
        return bad
    if isinstance(value, tuple):
        if not value or any(t is None for t, _ in items):
            return "a tuple with None in it (or empty) does not show its types"
        return (f"Tuple[{', '.join(t for t, _ in items)}]",
                typing.Tuple[tuple(o for _, o in items)])
    element = _merge(items)
    if isinstance(element, str):
        return element
    if element[0] is None:
        return "a list of None only does not show its element type"
    # a type made at run time from a value: mypy checks only types written in the code
    listed = typing.List[element[1]] if element[1] else None  # type: ignore[valid-type]
    return (f"List[{element[0]}]", listed)


def _name_dict(value: dict) -> _Named:
    """A dict's type, from its keys' and its values' (each merged into one)."""
    import typing

    keys = _merge([_name(k) for k in value])
    values = _merge([_name(v) for v in value.values()])
    for part in (keys, values):
        if isinstance(part, str):
            return part
    if keys[0] is None or values[0] is None:
        return "a dict with None keys or values only does not show its types"
    mapped = (typing.Dict[keys[1], values[1]]  # type: ignore[valid-type]
              if keys[1] and values[1] else None)
    return (f"Dict[{keys[0]}, {values[0]}]", mapped)


def _merge(items: List[_Named]) -> _Named:
    """One type for all the elements: equal names, None making it Optional, an empty
    container giving way to a full one of the same kind."""
    import typing

    bad = next((i for i in items if isinstance(i, str)), None)
    if bad is not None:
        return bad
    optional = any(t is None for t, _ in items)
    named = [(t, o) for t, o in items if t is not None]
    full = {t: o for t, o in named if o is not None}
    partial = {t for t, o in named if o is None}  # "List[?]": an empty container
    if len(full) > 1 or (not full and len(partial) > 1):
        return f"its elements have different types ({', '.join(sorted(set(full) | partial))})"
    if full:
        text, typ = next(iter(full.items()))
        if any(not text.startswith(p.split("[", 1)[0] + "[") for p in partial):
            return f"its elements have different types ({', '.join(sorted({text} | partial))})"
    elif partial:
        text, typ = next(iter(partial)), None
    else:
        return (None, None)
    if optional:
        return (f"Optional[{text}]", typing.Optional[typ] if typ else None)
    return (text, typ)


# -- choosing a change ------------------------------------------------------------------------
def choose(diagnosis: Diagnosis, model: Any, error: BaseException,
           applied: Sequence[dict]) -> Tuple[Optional[Change], str]:
    """The change that should get scripting past this failure, or None and why not."""
    change, why_not = _choose(diagnosis, model, error)
    if change is not None and change.to_json() in list(applied):
        return None, (f"{change.describe()} was already made in an earlier round, and "
                      "scripting still fails here")
    return change, why_not


def _choose(diagnosis: Diagnosis, model: Any, error: BaseException
            ) -> Tuple[Optional[Change], str]:
    import torch

    error_text = str(error)
    if not isinstance(model, torch.nn.Module):
        return None, "the model was never built, so there is nothing to change"
    if diagnosis.module is None:
        return None, "the diagnosis names no module to change"
    module = _module_at(model, diagnosis.module)
    if module is None:
        return None, f"the model has no module {path_label(diagnosis.module)}"
    kind = diagnosis.kind
    if kind in ("model-constructor", "uninitialized", "prepare-scriptable", "type-builder"):
        return None, _NOT_AT_RUN_TIME.get(kind, "no change at run time fits this kind")
    if kind == "hook":
        return _hook_change(diagnosis, module)
    if diagnosis.property:
        return _property_change(diagnosis, module, diagnosis.property)
    inferring = _inferring(error, error_text)
    attribute = diagnosis.attribute or inferring
    if attribute is not None and kind != "missing-attribute":
        return _attribute_change(diagnosis, module, attribute, inferring)
    if kind in _IN_A_METHOD or kind == "property":
        return _method_change(diagnosis, model, module, error)
    if kind == "missing-attribute":
        return None, (f"{path_label(diagnosis.module)} has no attribute {attribute} for "
                      "TorchScript: only the model's code can give it one")
    return None, f"no change at run time fits a failure of kind {kind}"


_NOT_AT_RUN_TIME = {
    "model-constructor": "the model's factory failed: torch never saw the model",
    "uninitialized": "a module that never called super().__init__() cannot be mended at run "
                     "time",
    "prepare-scriptable": "__prepare_scriptable__ failed: only its code can be changed",
    "type-builder": "the class's own TorchScript declarations are refused: only its source "
                    "can be changed",
}


def _inferring(error: BaseException, error_text: str) -> Optional[str]:
    """The attribute whose type torch was inferring when the error left (its `infer_type`
    was on the traceback; or its message "Error inferring type for NAME:"): an annotation or
    value torch could not read, whether or not a method uses it."""
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "infer_type" and code.co_filename.replace("\\", "/").endswith(
                "torch/jit/_recursive.py"):
            name = tb.tb_frame.f_locals.get("name")
            if isinstance(name, str):
                return name
        tb = tb.tb_next
    match = _INFERRING.search(error_text)
    return match.group(1) if match else None


def _cls_name(module: Any) -> str:
    cls = type(module)
    return f"{cls.__module__}.{cls.__qualname__}"


def _attribute_change(diagnosis: Diagnosis, module: Any, attribute: str,
                      inferring: Optional[str]) -> Tuple[Optional[Change], str]:
    base: Dict[str, Any] = dict(module=diagnosis.module or "", module_class=_cls_name(module),
                                name=attribute)
    value = module.__dict__.get(attribute, getattr(module, attribute, None))
    if _is_module_sequence(value):
        return Change("module-list", **base), ""
    if inferring == attribute:
        return Change("ignore-attribute", **base), ""
    if diagnosis.kind == "function-attribute":
        return None, (f"the function in attribute {attribute} does not compile, and a scripted "
                      "method calls it: leaving it out or marking it @torch.jit.ignore at run "
                      "time does not help (torch compiles a function attribute whatever its "
                      "decorator, and the call then fails)")
    if isinstance(inspect.getattr_static(type(module), attribute, None), property):
        return _property_change(diagnosis, module, attribute)
    named = name_type(value)
    if named.text:
        return Change("annotate-attribute", type=named.text, **base), ""
    return None, f"the harness cannot name the type of {attribute}: {named.why_not}"


def _property_change(diagnosis: Diagnosis, module: Any, name: str
                     ) -> Tuple[Optional[Change], str]:
    owner = _owner(type(module), name)
    if not isinstance(inspect.getattr_static(type(module), name, None), property) \
            or owner is None:
        return None, f"{type(module).__qualname__}.{name} is not a property of the module"
    return Change(kind="unused-property", module=diagnosis.module or "",
                  module_class=_cls_name(module), name=name), ""


def _hook_change(diagnosis: Diagnosis, module: Any) -> Tuple[Optional[Change], str]:
    """The first hook of the module that cannot be scripted, in torch's order (forward hooks,
    then pre-hooks); one a round, so that a second bad hook shows its own failure."""
    found = []
    for which in ("forward", "forward_pre"):
        for index, hook in enumerate(_hooks(module, which).values()):
            found.append((which, index, hook))
    if not found:
        return None, f"module {path_label(diagnosis.module)} has no forward hooks"
    bad = [f for f in found if not _plain_function(f[2])] or found
    which, index, hook = bad[0]
    return Change(kind="remove-hook", module=diagnosis.module or "",
                  module_class=_cls_name(module), name=which, index=index,
                  what=_hook_label(hook)), ""


def _method_change(diagnosis: Diagnosis, model: Any, module: Any, error: BaseException
                   ) -> Tuple[Optional[Change], str]:
    found = _failing_code(diagnosis, model, module, str(error))
    if found is None:
        return None, ("the diagnosis names no method, and no method or property of the "
                      "model's modules holds the line torch points at")
    path, owner_module, name, is_property = found
    if is_property:
        return Change(kind="unused-property", module=path, module_class=_cls_name(owner_module),
                      name=name), ""
    if name == "forward" and path == "":
        return None, ("the failing method is the model's own forward: marked unused, "
                      "scripting would pass and calling the model would fail, hiding every "
                      "failure after it")
    return Change(kind="unused-method", module=path, module_class=_cls_name(owner_module),
                  name=name), ""


def _failing_code(diagnosis: Diagnosis, model: Any, module: Any, error_text: str
                  ) -> Optional[Tuple[str, Any, str, bool]]:
    """(module path, module, name, is a property) of the model's code that failed, looked for
    in the diagnosed module first, then in every module of the model:
    1. the function the diagnosis names (`Helper.describe`, called from the method being
       compiled), when it is a method or property of one of the model's classes;
    2. the method the diagnosis names, when the model's own classes define it;
    3. the method or property holding a line torch marked (the diagnosis's `where`, then each
       place torch's message names, innermost first);
    4. a torch method that failed (`nn.Module.parameters`: a generator) reached from the
       model's code: the one method or property of the module's class that calls it."""
    path = diagnosis.module or ""
    candidates = [(path, module)] + [
        (p, m) for p, m in model.named_modules(remove_duplicate=False) if m is not module]
    if diagnosis.function and "." in diagnosis.function:
        owner, _, name = diagnosis.function.rpartition(".")
        for where, candidate in candidates:
            qualname = type(candidate).__qualname__
            if qualname == owner or qualname.endswith("." + owner):
                found = _own_code(candidate, name)
                if found is not None:
                    return where, candidate, name, found
    if diagnosis.method:
        found = _own_code(module, diagnosis.method)
        if found is not None:
            return path, module, diagnosis.method, found
    places = ([_where(diagnosis)] if _where(diagnosis) else []) + [
        (file, int(line)) for file, line in _FILE_LINE.findall(error_text)]
    for file, line in places:
        for where, candidate in candidates:
            code = _code_at(type(candidate), file, line)
            if code is not None:
                return where, candidate, code[0], code[1]
    torch_names = [diagnosis.method] if diagnosis.method else []
    torch_names += [code[0] for code in (_code_at(type(module), file, line, torch_too=True)
                                         for file, line in places) if code is not None]
    for name in torch_names:
        callers = _callers(type(module), name)
        if len(callers) == 1:
            return (path, module) + callers[0]
    return None


def _own_code(module: Any, name: str) -> Optional[bool]:
    """Whether `name` is a property (True) or a method (False) of the module's class that the
    model defines (not torch: nn.Module's own methods are never changed); None if neither."""
    if _torch_owned(type(module), name):
        return None
    static = inspect.getattr_static(type(module), name, None)
    if isinstance(static, property):
        return True
    if inspect.isfunction(static):
        return False
    return None


def _callers(cls: type, name: str) -> List[Tuple[str, bool]]:
    """The model's own methods and properties of the class that name `name` in their code
    (torch's message about a torch method it could not compile does not say who called it)."""
    found = []
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] == "torch":
            continue
        for attr, value in vars(klass).items():
            is_property = isinstance(value, property)
            function = value.fget if is_property else value
            code = getattr(inspect.unwrap(function), "__code__", None) \
                if callable(function) else None
            if code is not None and attr != name and _names(code, name):
                found.append((attr, is_property))
    return found


def _names(code: Any, name: str) -> bool:
    """Whether the code, or code nested in it (a comprehension), uses the name."""
    return name in code.co_names or any(
        _names(c, name) for c in code.co_consts if hasattr(c, "co_names"))


def _torch_owned(cls: type, name: str) -> bool:
    owner = _owner(cls, name)
    return owner is None or owner.__module__.split(".")[0] == "torch"


def _where(diagnosis: Diagnosis) -> Optional[Tuple[str, int]]:
    match = _WHERE.match(diagnosis.where or "")
    return (match.group(1), int(match.group(2))) if match else None


def _code_at(cls: type, file: str, line: int, torch_too: bool = False
             ) -> Optional[Tuple[str, bool]]:
    """The method or property of the class (or a base of it; torch's own only `torch_too`)
    whose code holds file:line; `file` may be relative (as snapshots write paths)."""
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] == "torch" and not torch_too:
            continue
        for name, value in vars(klass).items():
            is_property = isinstance(value, property)
            function = value.fget if is_property else value
            function = inspect.unwrap(function) if callable(function) else None
            code = getattr(function, "__code__", None)
            if code is None or not _same_file(code.co_filename, file):
                continue
            lines = [n for _, _, n in code.co_lines() if n is not None]
            if lines and code.co_firstlineno <= line <= max(lines):
                return name, is_property
    return None


def _same_file(full: str, given: str) -> bool:
    full, given = full.replace("\\", "/"), given.replace("\\", "/")
    return full == given or full.endswith("/" + given.lstrip("./"))


# -- the live model ---------------------------------------------------------------------------
def _module_at(model: Any, path: str) -> Any:
    module = model
    for part in path.split(".") if path else []:
        module = (module.__dict__.get("_modules") or {}).get(part)
        if module is None:
            return None
    return module


def _hooks(module: Any, which: str) -> dict:
    return module.__dict__.get("_forward_hooks" if which == "forward"
                               else "_forward_pre_hooks") or {}


def _plain_function(hook: Any) -> bool:
    """A hook TorchScript may compile: a named function (not a lambda, partial or method)."""
    return inspect.isfunction(hook) and hook.__name__ != "<lambda>"


def _hook_label(hook: Any) -> str:
    if inspect.isfunction(hook):
        return hook.__qualname__
    return f"a {type(hook).__module__}.{type(hook).__qualname__}"


def _owner(cls: type, name: str) -> Optional[type]:
    return next((k for k in cls.__mro__ if name in vars(k)), None)


def _is_module_sequence(value: Any) -> bool:
    import torch

    return type(value) in (list, tuple) and len(value) > 0 and all(
        isinstance(v, torch.nn.Module) for v in value)


# -- in a round ---------------------------------------------------------------------------------
class KeepGoing:
    """What a round of `run --keep-going` does in the recording process: apply the changes of
    the rounds before to the model just built, and, when scripting fails, propose the next
    change to the parent (through `progress`) or say in the diagnosis why there is none."""

    def __init__(self, changes: Sequence[dict]):
        self.changes = list(changes)
        self.problem: Optional[str] = None  # a change that no longer fits: the harness's error

    def apply(self, model: Any) -> None:
        try:
            apply_all(self.changes, model)
        except ChangeError as exc:
            self.problem = (f"--keep-going could not repeat the change of an earlier round "
                            f"{exc}; does the model's factory build the same model each time?")
            raise

    def after_failure(self, diagnosis: Diagnosis, model: Any, error: BaseException,
                      progress: Callable[..., None]) -> None:
        try:
            change, why_not = choose(diagnosis, model, error, self.changes)
        except Exception as exc:  # a bug of ours must not pass for the model's failure
            change, why_not = None, f"the harness failed choosing a change ({exc!r})"
        if change is None:
            diagnosis.checked = f"no check possible: {why_not}"
        else:
            progress(change=change.to_json())
