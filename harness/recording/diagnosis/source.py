"""The user's source at a place torch marks, read with `ast`.

Which function holds it (a method, a property, a free function), and what is written there
(the construct TorchScript refused, the call it could not compile, the expression of the wrong
type).

Only the standard library: this runs in the recording process. A file that cannot be read or
parsed gives nothing (the diagnosis then says less, never something false).
"""
from __future__ import annotations

import ast
import os
import sys
import sysconfig
from typing import Any, Dict, List, Optional, Tuple

from .message import Place

_TREES: Dict[str, Optional[ast.Module]] = {}
_NOT_USER = tuple(os.path.abspath(p) + os.sep for p in {
    sysconfig.get_paths().get("stdlib", ""), sysconfig.get_paths().get("platstdlib", "")} if p)


def tree(file: str) -> Optional[ast.Module]:
    if file not in _TREES:
        try:
            with open(file, encoding="utf-8") as f:
                _TREES[file] = ast.parse(f.read(), file)
        except (OSError, SyntaxError, ValueError):
            _TREES[file] = None
    return _TREES[file]


def real_file(name: str) -> Optional[str]:
    """The file a (possibly relative) name in torch's message stands for."""
    if os.path.isabs(name):
        return name if os.path.exists(name) else None
    for entry in sys.path:
        candidate = os.path.join(entry or os.curdir, name)
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    return None


def is_user_file(file: str) -> bool:
    """Code the user can edit: not torch's, not the standard library's."""
    absolute = os.path.abspath(file)
    parts = absolute.split(os.sep)
    if "torch" in parts and ("site-packages" in parts or "dist-packages" in parts):
        return False
    return not absolute.startswith(_NOT_USER) or "site-packages" in parts


def installed_package(file: str) -> Optional[str]:
    """The top-level package of a file installed in site-packages, or None."""
    parts = os.path.abspath(file).split(os.sep)
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            rest = parts[parts.index(marker) + 1:]
            return rest[0].split(".")[0] if rest else None
    return None


class Spot:
    """A place in the user's code: the functions around it (outermost first) and the nodes
    on the marked line."""

    def __init__(self, file: str, line: int, marked: str, scopes: List[ast.AST],
                 nodes: List[ast.AST]):
        self.file, self.line, self.marked, self.scopes, self.nodes = \
            file, line, marked, scopes, nodes

    @property
    def function(self) -> Any:
        """The innermost function holding the place."""
        defs = [s for s in self.scopes if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
        return defs[-1] if defs else None

    @property
    def class_name(self) -> Optional[str]:
        """The class the function is defined in directly, if any."""
        function = self.function
        if function is None:
            return None
        index = self.scopes.index(function)
        above = self.scopes[index - 1] if index > 0 else None
        return above.name if isinstance(above, ast.ClassDef) else None

    def is_property(self) -> bool:
        function = self.function
        return function is not None and any(
            _dotted(d) in ("property", "builtins.property") for d in function.decorator_list)

    def qualname(self) -> Optional[str]:
        names = [s.name for s in self.scopes if isinstance(
            s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        return ".".join(names) if names else None

    def marked_nodes(self) -> List[ast.AST]:
        """The nodes on the line whose source text is the marked text (else all of them)."""
        if self.marked:
            first = self.marked.splitlines()[0].strip()
            exact = [n for n in self.nodes if _segment_starts(n, first)]
            if exact:
                return exact
        return self.nodes


def spot(place: Place) -> Optional[Spot]:
    file = real_file(place.file)
    parsed = tree(file) if file else None
    if parsed is None or file is None:
        return None
    scopes: List[ast.AST] = []
    _scopes_at(parsed, place.line, scopes)
    nodes = [n for n in ast.walk(scopes[-1] if scopes else parsed)
             if getattr(n, "lineno", None) == place.line]
    for node in nodes:
        node._source_line = _line(file, place.line)  # type: ignore[attr-defined]
    return Spot(file, place.line, place.marked, scopes, nodes)


def function_def(file: str, qualname: str) -> Optional[ast.AST]:
    """The def of `Class.method` or `function` in a file."""
    parsed = tree(file)
    node: Any = parsed
    for name in qualname.split("."):
        if node is None:
            return None
        node = next((n for n in getattr(node, "body", []) if getattr(n, "name", None) == name),
                    None)
    return node


def _scopes_at(node: ast.AST, line: int, out: List[ast.AST]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([child.lineno] + [d.lineno for d in getattr(child, "decorator_list", [])])
            if first <= line <= (child.end_lineno or child.lineno):
                out.append(child)
                _scopes_at(child, line, out)
                return


def _line(file: str, line: int) -> str:
    try:
        with open(file, encoding="utf-8") as f:
            return f.read().splitlines()[line - 1]
    except (OSError, IndexError):
        return ""


def _segment_starts(node: ast.AST, text: str) -> bool:
    source = getattr(node, "_source_line", "")
    col = getattr(node, "col_offset", None)
    return col is not None and source[col:].startswith(text)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


dotted = _dotted


# -- what is written there -------------------------------------------------------------------
_CONSTRUCTS: Tuple[Tuple[type, str], ...] = (
    (ast.Lambda, "a lambda"),
    (ast.GeneratorExp, "a generator expression"),
    (ast.SetComp, "a set comprehension"),
    (ast.DictComp, "a dict comprehension"),
    (ast.With, "a with statement"),
    (ast.AsyncWith, "a with statement"),
    (ast.Try, "a try block"),
    (ast.Delete, "a del statement"),
    (ast.Yield, "a yield (a generator)"),
    (ast.YieldFrom, "a yield (a generator)"),
    (ast.Global, "a global statement"),
    (ast.Nonlocal, "a nonlocal statement"),
)
if sys.version_info >= (3, 11):
    _CONSTRUCTS += ((ast.TryStar, "a try block"),)


def construct_in(nodes: List[ast.AST]) -> Optional[str]:
    """The construct TorchScript does not compile among these nodes, by name."""
    for node in nodes:
        for klass, name in _CONSTRUCTS:
            if isinstance(node, klass):
                return name
        if isinstance(node, ast.Call) and _dotted(node.func) == "super":
            return "super()"
    for node in nodes:  # a node holding one (the line of a statement)
        for inner in ast.walk(node):
            for klass, name in _CONSTRUCTS:
                if isinstance(inner, klass):
                    return name
            if isinstance(inner, ast.Call) and _dotted(inner.func) == "super":
                return "super()"
    return None


def calls_in(nodes: List[ast.AST]) -> List[ast.Call]:
    return [n for node in nodes for n in ast.walk(node) if isinstance(n, ast.Call)]


def variadic(function: ast.AST) -> Optional[str]:
    """`*args` / `**kwargs` in a def, as written."""
    args = getattr(function, "args", None)
    if args is None:
        return None
    names = ([f"*{args.vararg.arg}"] if args.vararg else []) + \
            ([f"**{args.kwarg.arg}"] if args.kwarg else [])
    return ", ".join(names) or None


def unannotated_none_defaults(function: ast.AST) -> List[str]:
    """The arguments of a def declared `name=None` with no annotation."""
    args = getattr(function, "args", None)
    if args is None:
        return []
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
    return [a.arg for a, d in pairs if a.annotation is None and isinstance(d, ast.Constant)
            and d.value is None]


def default_of(function: ast.AST, name: str) -> Optional[ast.AST]:
    args = getattr(function, "args", None)
    if args is None:
        return None
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
    return next((d for a, d in pairs if a.arg == name), None)


def uses_self_attribute(class_def: ast.AST, name: str, skip: Optional[str] = None) -> bool:
    """Whether a method of the class (other than `skip`) reads `self.<name>`."""
    for item in getattr(class_def, "body", []):
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name != skip:
            args = item.args.posonlyargs + item.args.args
            me = args[0].arg if args else "self"
            for node in ast.walk(item):
                if isinstance(node, ast.Attribute) and node.attr == name and \
                        isinstance(node.value, ast.Name) and node.value.id == me:
                    return True
    return False
