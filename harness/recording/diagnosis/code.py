"""Diagnoses of the code torch compiles, from its whole message and the user's source.

The code is a module's methods and properties and the free functions they call; the kinds:
unsupported syntax (naming the construct), a call torch cannot compile, a type
mismatch, an Optional not refined, an argument without annotation taken as a Tensor, a failing
property. A message none of these explain gives None: the caller files it as "other"."""
from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from typing import Any, List, Optional, Tuple

from ...records import Diagnosis
from . import fixes
from . import message as msg
from . import source
from .facts import Facts, at, member_at, module_globals, resolve

_RECURSIVE = re.compile(r"(method|function) '([\w.]+)' is called recursively")
_BUILTIN = re.compile(r"Python builtin <(?:built-in (?:function|method) |ufunc ')(\w+)")
_DEFAULT = re.compile(r'Expected a default value of type (.+?) on parameter "(\w+)"')
# torch's words for a class created in scripted code: the first time it meets the class, and
# once the class is known to the compiler (a submodule of that class was compiled before)
_INSTANTIATE = re.compile(r"Cannot instantiate class '(\w+)'"
                          r"|Class (\w+) does not have an __init__ function defined")
_NO_SOURCE = re.compile(r"Failed to get source for <function ([\w.]+)\.__init__")
_NOT_SUPPORTED = {  # torch's "X aren't supported" names the node
    "Lambda": "a lambda", "GeneratorExp": "a generator expression",
    "SetComp": "a set comprehension", "DictComp": "a dict comprehension",
    "Yield": "a yield (a generator)", "YieldFrom": "a yield (a generator)",
    "try blocks": "a try block", "with statements": "a with statement",
    "Delete": "a del statement", "del statements": "a del statement",
    "Global": "a global statement", "Set": "a set comprehension",
}
_FRONTEND = ("NotSupportedError", "UnsupportedNodeError", "FrontendError")


class Place:
    """Where in the user's code the failure is: the module whose code torch was compiling,
    the method of its class torch compiled (the outermost), and the innermost place in the
    user's code with what holds it (a method, a property or a free function)."""

    def __init__(self, f: Facts):
        self.f = f
        self.module = f.module()
        self.cls = type(self.module).__qualname__ if self.module is not None else None
        self.places = f.user_places()
        self.inner = self.places[0] if self.places else None
        self.spot = source.spot(self.inner) if self.inner else None
        self.member: Optional[Tuple[str, str]] = None  # (name, method | property)
        self.function: Optional[str] = None  # a free function holding the inner place
        if self.inner is not None and self.module is not None:
            self.member = member_at(type(self.module), self.inner.file, self.inner.line)
        if self.member is None and self.spot is not None and self.spot.function is not None:
            self.function = self.spot.qualname()
        self.method = self._outer_method()
        if self.member is not None and self.member[1] == "method":
            self.method = self.member[0]
        if self.method is None and self.function is not None:
            self.method = self._caller_of(self.function.split(".")[-1])

    def _outer_method(self) -> Optional[str]:
        for place in reversed(self.places):
            found = member_at(type(self.module), place.file, place.line) \
                if self.module is not None else None
            if found and found[1] == "method":
                return found[0]
        return None

    def _caller_of(self, function: str) -> Optional[str]:
        """The method of the module's class whose code calls `function` (torch marks only
        the function when its declaration fails)."""
        if self.module is None:
            return None
        for klass in type(self.module).__mro__:
            if klass.__module__.startswith("torch."):
                continue
            for name, value in vars(klass).items():
                code = getattr(value, "__code__", None)
                if code is not None and function in code.co_names:
                    return name
        return None

    @property
    def property(self) -> Optional[str]:
        return self.member[0] if self.member and self.member[1] == "property" else None

    def phase(self) -> str:
        if self.cls and self.method:
            return f"compiling {self.cls}.{self.method}"
        if self.cls and self.property:
            return f"compiling property {self.cls}.{self.property}"
        return self.f.phase_name()

    def who(self, fields: Optional[dict] = None) -> str:
        """What holds the failing code, as a person names it."""
        fields = fields or self.fields()
        method, function = fields.get("method"), fields.get("function")
        if fields.get("property"):
            return f"property {fields['property']} of {self.cls}"
        if function:
            caller = f" (called from {self.cls}.{method})" if method else ""
            return f"function {function}{caller}"
        if method:
            return f"{self.cls}.{method}"
        return "the code torch compiled"

    def where(self) -> Optional[str]:
        return at(self.inner.file, self.inner.line) if self.inner else \
            self.f.where_in_message()

    def fields(self, **extra) -> dict:
        out = dict(phase=self.phase(), method=self.method, property=self.property,
                   function=self.function, where=self.where(),
                   **self.f.where_module(self.module))
        out.update(extra)
        return out

    def nodes(self) -> List[ast.AST]:
        return self.spot.marked_nodes() if self.spot else []

    def line_nodes(self) -> List[ast.AST]:
        return self.spot.nodes if self.spot else []

    def namespace(self) -> dict:
        return module_globals(self.spot.file) if self.spot else {}

    def editable_method(self) -> Optional[str]:
        """The method that may be left out of TorchScript: never forward, never a
        property."""
        if self.function or self.property:
            return None
        return self.method


def code_error(f: Facts) -> Optional[Diagnosis]:
    p = Place(f)
    if p.property and not _property_used(p):
        return _property(f, p)
    for rule in (_recursion, _builtin, _literal_index, _instantiate, _unannotated_default,
                 _unsupported_value_kind, _dataclass, _function_value, _frontend,
                 _super, _python_value, _library_call, _mismatch):
        found = rule(f, p)
        if found is not None:
            return found
    return None


def _summary(p: Place, what: str, fields: Optional[dict] = None) -> str:
    return f"{p.who(fields)} in {p.f.label(p.module)} {what}"


def article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _syntax(f: Facts, p: Place, construct: str, **extra) -> Diagnosis:
    fields = p.fields(**extra)
    method = fields.get("method") if not (fields.get("function") or fields.get("property")) \
        else None
    return Diagnosis(
        kind="unsupported-syntax", construct=construct, **fields,
        summary=_summary(p, f"uses {construct}, which TorchScript does not compile", fields),
        reason=_reason(f, p), fix=fixes.construct(construct, method))


def _reason(f: Facts, p: Place) -> str:
    """torch's reason; where torch failed in a library the user's line pulled in, say so."""
    text = msg.reason(f.raw)
    if f.places and p.inner is not None and f.places[0] is not p.inner:
        inner = f.places[0]
        text += (f" (in {at(inner.file, inner.line)}, library code torch compiled for the "
                 f"line at {at(p.inner.file, p.inner.line)})")
    return text


def _property(f: Facts, p: Place) -> Diagnosis:
    construct = source.construct_in(p.nodes()) if p.spot else None
    return Diagnosis(
        kind="property", construct=construct, **p.fields(),
        summary=f"property {p.property} of {f.label(p.module)} does not compile (torch "
                "compiles a module's properties with its methods)",
        reason=msg.reason(f.raw), fix=fixes.unused_property(p.property or "", p.cls or ""))


def _property_used(p: Place) -> bool:
    class_def = source.function_def(p.spot.file, p.spot.class_name) \
        if p.spot and p.spot.class_name else None
    return class_def is not None and source.uses_self_attribute(class_def, p.property or "",
                                                                skip=p.property)


def _recursion(f: Facts, p: Place) -> Optional[Diagnosis]:
    match = _RECURSIVE.search(f.message)
    if match is None:
        return None
    extra = {"method": match.group(2)} if match.group(1) == "method" else \
        {"function": match.group(2)}
    return _syntax(f, p, "recursion", **extra)


def _builtin(f: Facts, p: Place) -> Optional[Diagnosis]:
    match = _BUILTIN.search(f.message)
    if match is None:
        return None
    name = match.group(1)
    if name in ("next", "iter"):
        return _syntax(f, p, f"the iterator protocol ({name}())")
    call = _marked_call(p)
    function = source.dotted(call.func) if call is not None else name
    return _call(f, p, function or name)


def _call(f: Facts, p: Place, function: str) -> Diagnosis:
    return Diagnosis(
        kind="uncompilable-call", construct=f"a call to {function}", **p.fields(),
        summary=_summary(p, f"calls {function}, which TorchScript cannot compile"),
        reason=_reason(f, p), fix=fixes.python_call(function, p.editable_method()))


def _literal_index(f: Facts, p: Place) -> Optional[Diagnosis]:
    if "getattr's second argument must be a string literal" in f.message:
        return _syntax(f, p, "getattr with a name built at run time")
    if "ModuleDict indexing is only supported with string literals" in f.message or \
            "Unable to extract string literal index" in f.message:
        return _syntax(f, p, "a ModuleDict indexed by a key built at run time",
                       attribute=_indexed_attribute(p))
    if "ModuleList/Sequential indexing is only supported with integer literals" in f.message \
            or "Expected integer literal for index" in f.message:
        return _syntax(f, p, "a ModuleList indexed by a variable",
                       attribute=_indexed_attribute(p))
    return None


def _indexed_attribute(p: Place) -> Optional[str]:
    for node in p.nodes():
        for inner in ast.walk(node):
            if isinstance(inner, ast.Subscript) and isinstance(inner.value, ast.Attribute):
                return inner.value.attr
    return None


def _instantiate(f: Facts, p: Place) -> Optional[Diagnosis]:
    match = _INSTANTIATE.search(f.message)
    if match is None:
        return None
    call = _marked_call(p)
    name = source.dotted(call.func) if call is not None else (match.group(1) or match.group(2))
    cls = resolve(name, p.namespace())
    try:
        import torch

        is_module = isinstance(cls, type) and issubclass(cls, torch.nn.Module)
    except ImportError:
        is_module = False
    if not is_module:
        return _call(f, p, name)
    return Diagnosis(
        kind="uncompilable-call",
        construct=f"a module class instantiated in {p.method or 'scripted code'}", **p.fields(),
        summary=_summary(p, f"creates a module ({name}(...)), which TorchScript does not compile"),
        reason=msg.reason(f.raw), fix=fixes.module_instantiated(name))


def _unannotated_default(f: Facts, p: Place) -> Optional[Diagnosis]:
    match = _DEFAULT.search(f.message)
    if match is None or "inferred" not in match.group(1):
        return None
    argument = match.group(2)
    function = p.spot.function if p.spot else None
    default = source.default_of(function, argument) if function is not None else None
    annotation = _annotation_of_default(default)
    return _unannotated(f, p, argument, annotation)


def _unannotated(f: Facts, p: Place, argument: str, annotation: str, **extra) -> Diagnosis:
    fields = p.fields(**extra)
    if fields.get("function") and fields.get("method") == fields.get("function"):
        fields["method"] = None
    holder = fields.get("function") or (
        f"{p.cls}.{fields['method']}" if fields.get("method") else "its function")
    return Diagnosis(
        kind="unannotated-argument", construct=f"argument {argument}", **fields,
        summary=f"argument {argument} of {holder} (in {f.label(p.module)}) has no "
                "annotation, so TorchScript takes it for a Tensor",
        reason=msg.reason(f.raw), fix=fixes.unannotated(argument, holder, annotation))


def _annotation_of_default(default: Optional[ast.AST]) -> str:
    if isinstance(default, ast.Constant):
        value = default.value
        if value is None:
            return "Optional[<its type>] = None"
        return f"{type(value).__name__} = {value!r}"
    if isinstance(default, (ast.Tuple, ast.List)) and default.elts and all(
            isinstance(e, ast.Constant) for e in default.elts):
        kinds = {type(getattr(e, "value", None)).__name__ for e in default.elts}
        inner = kinds.pop() if len(kinds) == 1 else "<element type>"
        return f"List[{inner}]"
    return "<its type>"


def _unsupported_value_kind(f: Facts, p: Place) -> Optional[Diagnosis]:
    """torch gives no place for this one: a free function the module's code calls declares
    `x=None` without an annotation, so torch takes the default for a Tensor."""
    if "Unsupported value kind" not in f.message or p.module is None:
        return None
    for method, function, argument in _called_functions_with_none_default(p.module):
        code = function.__code__
        return _unannotated(f, p, argument, "Optional[<its type>] = None",
                            function=function.__qualname__, method=method,
                            where=at(code.co_filename, code.co_firstlineno),
                            phase=f"compiling {p.cls}.{method}")
    return None


def _called_functions_with_none_default(module: Any):
    """(method, free function, argument) for each free function a method of the module's
    class calls that has an argument `name=None` with no annotation."""
    seen = set()
    for klass in type(module).__mro__:
        if klass.__module__.startswith("torch."):
            continue
        for name, value in vars(klass).items():
            if not inspect.isfunction(value):
                continue
            try:
                tree = ast.parse(inspect.cleandoc("\n" + inspect.getsource(value)))
            except (OSError, TypeError, SyntaxError):
                continue
            for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
                target = resolve(source.dotted(call.func), value.__globals__)
                if not inspect.isfunction(target) or target in seen:
                    continue
                seen.add(target)
                try:
                    parsed = ast.parse(inspect.cleandoc("\n" + inspect.getsource(target)))
                except (OSError, TypeError, SyntaxError):
                    continue
                for argument in source.unannotated_none_defaults(parsed.body[0]):
                    yield name, target, argument


def _dataclass(f: Facts, p: Place) -> Optional[Diagnosis]:
    match = _NO_SOURCE.search(f.message)
    if match is None or p.module is None:
        return None
    name = match.group(1).split(".")[-1]
    for klass in type(p.module).__mro__:
        for value in vars(klass).values():
            target = getattr(value, "__globals__", {}).get(name)
            if isinstance(target, type) and dataclasses.is_dataclass(target):
                where = None
                try:
                    where = at(inspect.getsourcefile(target) or "?",
                               inspect.getsourcelines(target)[1])
                except (OSError, TypeError):
                    pass
                method = value.__name__ if inspect.isfunction(value) else p.method
                return _syntax(f, p, "a dataclass", function=None, method=method,
                               where=where, phase=f"compiling {p.cls}.{method}")
    return None


def _function_value(f: Facts, p: Place) -> Optional[Diagnosis]:
    """`if self.act is not None:` on a function attribute: an Optional[Callable]."""
    if not re.search(r"\b(builtin|function) cannot be used as a value", f.message):
        return None
    attribute = next((n.attr for node in p.nodes() for n in ast.walk(node)
                      if isinstance(n, ast.Attribute)), None)
    if attribute is None:
        return None
    return Diagnosis(
        kind="function-attribute", attribute=attribute, **p.fields(),
        summary=_summary(p, f"tests self.{attribute}, a function that may be None "
                            "(Optional[Callable]), which TorchScript cannot hold"),
        reason=msg.reason(f.raw), fix=fixes.optional_callable(attribute))


def _frontend(f: Facts, p: Place) -> Optional[Diagnosis]:
    """Syntax the frontend refuses, named from the user's line first (torch may mark a line in
    a library the user's construct pulled in), then from torch's words."""
    frontend = type(f.error).__name__ in _FRONTEND
    construct = source.construct_in(p.line_nodes()) if p.spot else None
    if construct == "a with statement" or (frontend and construct):
        return _syntax(f, p, construct)
    if "can't take variable number of arguments" in f.message:
        function = p.spot.function if p.spot else None
        if p.places and p.places[0] is f.places[0]:
            return _syntax(f, p, "variadic arguments")
        return None if function is None else _syntax(f, p, "variadic arguments")
    match = re.search(r"^\s*([\w ]+?) aren't supported", f.message, re.M)
    if frontend and match and match.group(1) in _NOT_SUPPORTED:
        return _syntax(f, p, _NOT_SUPPORTED[match.group(1)])
    return None


def _super(f: Facts, p: Place) -> Optional[Diagnosis]:
    if source.construct_in(p.nodes()) == "super()":
        return _syntax(f, p, "super()")
    return None


def _python_value(f: Facts, p: Place) -> Optional[Diagnosis]:
    """A Python object the code names (sys.stderr, a module-level object) that TorchScript
    cannot hold."""
    match = re.search(r"python value of type '([\w.]+)' cannot be used as a value", f.message)
    if match is None or p.inner is None or f.places[0] is not p.inner:
        return None
    value = p.inner.marked.splitlines()[0].strip() if p.inner.marked else match.group(1)
    return Diagnosis(
        kind="uncompilable-call", construct=f"a Python value ({value})", **p.fields(),
        summary=_summary(p, f"uses {value}, a Python {match.group(1)} TorchScript cannot hold"),
        reason=msg.reason(f.raw), fix=fixes.python_value(value, p.editable_method()))


def _library_call(f: Facts, p: Place) -> Optional[Diagnosis]:
    """torch failed inside code the user's code calls from a library (the standard library,
    numpy...): the call at the user's place is what to change."""
    if not f.places or not p.places or f.places[0] is p.places[0]:
        return None
    call = _marked_call(p)
    name = source.dotted(call.func) if call is not None else None
    if not name:
        return None
    return _call(f, p, name)


def _mismatch(f: Facts, p: Place) -> Optional[Diagnosis]:
    mismatch = msg.best_mismatch(msg.header(f.message)) or msg.best_mismatch(f.message)
    if mismatch is None:
        return None
    nodes = p.nodes()
    if any(isinstance(n, ast.GeneratorExp) for node in nodes for n in ast.walk(node)):
        return _syntax(f, p, "a generator expression")
    if mismatch.found.startswith("Optional[") or mismatch.found == "NoneType":
        return _optional(f, p, mismatch)
    if "(inferred)" in mismatch.found:
        name = _unannotated_name(p)
        if name is not None:
            return _unannotated(f, p, name, mismatch.expected)
    at_ = "at this call" if "for argument" in f.message else "in the assignment"
    return Diagnosis(
        kind="type-mismatch", construct=f"argument {mismatch.argument}"
        if at_ == "at this call" else f"variable {mismatch.argument}", **p.fields(),
        summary=_summary(p, f"gives {article(mismatch.found)} where {article(mismatch.expected)}"
                            f" is expected ({mismatch.argument})"),
        reason=msg.reason(f.raw),
        fix=fixes.mismatch(mismatch.argument, mismatch.expected, mismatch.found, at_))


def _optional(f: Facts, p: Place, mismatch: msg.Mismatch) -> Diagnosis:
    nodes = p.nodes()
    function = p.spot.function if p.spot else None
    me = _self_name(function)
    attribute = next((n.attr for node in nodes for n in ast.walk(node)
                      if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                      and n.value.id == me), None)
    optional_args = _optional_arguments(function)
    name = next((n.id for node in nodes for n in ast.walk(node)
                 if isinstance(n, ast.Name) and n.id in optional_args), None)
    if attribute is not None and name is None:
        thing, fix = f"self.{attribute}", fixes.optional_attribute(attribute)
    else:
        thing = name or mismatch.argument
        fix = fixes.optional_value(thing)
        attribute = None
    return Diagnosis(
        kind="optional-not-refined", attribute=attribute, construct=f"{thing} may be None",
        **p.fields(),
        summary=_summary(p, f"uses {thing}, which may be None, where "
                            f"{article(mismatch.expected)} is needed"),
        reason=msg.reason(f.raw), fix=fix)


def _self_name(function: Optional[ast.AST]) -> Optional[str]:
    args = getattr(function, "args", None)
    positional = (args.posonlyargs + args.args) if args is not None else []
    return positional[0].arg if positional else None


def _optional_arguments(function: Optional[ast.AST]) -> List[str]:
    args = getattr(function, "args", None)
    if args is None:
        return []
    out = []
    for a in args.posonlyargs + args.args + args.kwonlyargs:
        text = ast.unparse(a.annotation) if a.annotation is not None else ""
        if "Optional" in text or "None" in text:
            out.append(a.arg)
    return out


def _unannotated_name(p: Place) -> Optional[str]:
    function = p.spot.function if p.spot else None
    args = getattr(function, "args", None)
    if args is None:
        return None
    skip = 1 if p.spot is not None and p.spot.class_name else 0  # a method's self
    plain = {a.arg for a in (args.posonlyargs + args.args + args.kwonlyargs)[skip:]
             if a.annotation is None}
    return next((n.id for node in p.nodes() for n in ast.walk(node)
                 if isinstance(n, ast.Name) and n.id in plain), None)


def _marked_call(p: Place) -> Optional[ast.Call]:
    calls = source.calls_in(p.nodes())
    return calls[0] if calls else None
