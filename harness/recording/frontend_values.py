"""Encoders for the values of torch's frontend: where Python source becomes TorchScript.

Registered on a run's `Encoder` next to `torch_values`. Every value names the *user's* code it
stands for, as `file:line` relative to its `sys.path` entry, with that code shortened to one
line, so a stop deep in `torch.jit.frontend` says which construct of the model it is compiling:

- Python `ast` nodes (`{"type": "ast", "node": "For", "where": "frontend_models.py:12",
  "code": "for x in xs:"}`). An ast node does not know its file; torch parses each function
  with `torch._sources.parse_def` (and a class body in `get_jit_class_def`), so a probe on
  those (`SourceIndex`) notes, for every node of the parsed tree, the file and the first line.
- torch's tree views (`torch._C._jit_tree_views`: `Def`, `For`, `Assign`, ...): kind, name,
  where, and the S-expression on one line, shortened.
- source ranges and source contexts, parsed definitions, method and property stubs, the
  resolution callbacks torch hands the compiler (which scope they resolve names in), and
  compiled functions.

Nothing here is read with side effects: a tree view prints itself, a range highlights itself
(text only), and the rest are plain Python attributes.
"""
from __future__ import annotations

import ast
import re
import textwrap
import types
import weakref
from typing import Any, Dict, List, Optional, Tuple

from ..records import Tag
from .paths import relative_file
from .values import Encoder

CODE_WIDTH = 80  # the user's code, on one line
SEXPR_WIDTH = 160  # a tree view's S-expression, on one line
RESOLUTION_MAKERS = ("createResolutionCallbackFromClosure", "createResolutionCallbackFromFrame",
                     "createResolutionCallbackForClassMethods",
                     "createResolutionCallbackFromEnv")

# torch's highlight() starts `File "<path>", line N` (older releases: `at <path>:N:C`)
_HIGHLIGHT_WHERE = (re.compile(r'File "([^"]+)", line (\d+)'), re.compile(r"at (\S+):(\d+):\d+"))


def one_line(text: str, width: int = CODE_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# -- where each parsed node came from --------------------------------------------------------
class SourceIndex:
    """Where each ast node torch parsed came from: (file, the file line of the parsed text's
    line 1, the parsed text), for the trees the probes below see torch parse.

    A tree is only noted as it is parsed, by weak reference; its nodes are walked (and its text
    dedented) when a node is first looked up: most runs never encode an ast node. Holding
    the trees themselves would keep every function's syntax tree alive for the run, tens of
    thousands of objects that made Python run a full garbage collection torch alone does not
    (53 ms on a ResNet on Python 3.11). A tree torch has dropped has no node left to encode;
    each entry checks, by a weak reference to its node, that an id is not a reused one."""

    def __init__(self) -> None:
        self.nodes: Dict[int, Tuple[Any, Tuple[str, int, str]]] = {}
        self._pending: List[Tuple[Any, Any, int, str]] = []

    def add(self, tree: Any, filename: Any, first_line: Any, text: Any) -> None:
        """`text`: the parsed text as torch read it (dedented when the tree is walked)."""
        if not isinstance(tree, ast.AST) or not isinstance(first_line, int) \
                or not isinstance(text, str):
            return
        self._pending.append((weakref.ref(tree), filename, first_line, text))

    def _walk_pending(self) -> None:
        pending, self._pending = self._pending, []
        for tree_ref, filename, first_line, text in pending:
            tree = tree_ref()
            if tree is None:  # dropped by torch: none of its nodes can be met any more
                continue
            place = (relative_file(str(filename)), first_line, textwrap.dedent(text))
            for node in ast.walk(tree):
                self.nodes[id(node)] = (weakref.ref(node), place)

    def where(self, node: ast.AST) -> Optional[Tuple[str, str]]:
        """(`file:line`, the node's code on one line), or None for a node torch never parsed
        from a file (one the harness did not see parsed)."""
        if self._pending:
            self._walk_pending()
        entry = self.nodes.get(id(node))
        line = getattr(node, "lineno", None)
        if entry is None or entry[0]() is not node or not isinstance(line, int):
            return None
        filename, first, text = entry[1]
        segment = ast.get_source_segment(text, node) or ""
        return f"{filename}:{first + line - 1}", one_line(segment.split("\n", 1)[0]
                                                          if isinstance(node, ast.stmt)
                                                          else segment)


class ParsedDefProbe:
    """On `torch._sources.parse_def`'s return: the function's tree, file, first line."""

    needs_calls = True

    def __init__(self, index: SourceIndex):
        self.index = index

    def enter(self, frame: Any) -> None:
        pass

    def leave(self, frame: Any, value: Any, raised: Optional[BaseException]) -> None:
        try:
            if value is not None:
                self.index.add(value.ast, value.filename, value.file_lineno, value.source)
        except Exception:  # best effort: a value then reads without its file
            pass


class ClassDefProbe:
    """On `torch.jit.frontend.build_class_def`'s entry: the class body torch parsed itself
    in `get_jit_class_def` (its caller, whose locals hold the file and first line)."""

    needs_calls = True

    def __init__(self, index: SourceIndex):
        self.index = index

    def enter(self, frame: Any) -> None:
        try:
            caller = frame.f_back.f_locals
            self.index.add(frame.f_locals.get("py_def"), caller.get("filename"),
                           caller.get("file_lineno"), caller.get("dedent_src"))
        except Exception:
            pass

    def leave(self, frame: Any, value: Any, raised: Optional[BaseException]) -> None:
        pass


PROBED = {"torch._sources.parse_def": ParsedDefProbe,
          "torch.jit.frontend.build_class_def": ClassDefProbe}


# -- the encoders ----------------------------------------------------------------------------
def _ast_node(index: SourceIndex):
    def encode(node: ast.AST, enc: Encoder, depth: int) -> dict:
        out: Dict[str, Any] = {"type": Tag.AST, "node": type(node).__name__}
        found = index.where(node)
        if found is not None:
            out["where"], out["code"] = found
            return out
        if isinstance(node, (ast.stmt, ast.expr)):  # not parsed from a file we saw
            try:
                text = ast.unparse(node)
            except Exception:
                text = ""
            out["code"] = one_line(text.split("\n", 1)[0])
        return out

    return encode


def range_where(source_range: Any) -> Tuple[Optional[str], Optional[str]]:
    """(`file:line`, the first line of code it covers) of a torch SourceRange."""
    try:
        text = source_range.highlight()
    except Exception:
        return None, None
    for pattern in _HIGHLIGHT_WHERE:
        match = pattern.search(text)
        if match:
            where = f"{relative_file(match.group(1))}:{match.group(2)}"
            return where, one_line(_marked(text[match.end():].split("\n")[1:]))
    return None, None


def _marked(lines: List[str]) -> str:
    """The code a highlight marks: the columns under the first line of `~` (torch shows a
    few lines of context around the range, each line of the range underlined)."""
    for above, below in zip(lines, lines[1:]):
        marks = below.replace("<--- HERE", "").rstrip()
        if marks.strip() and not set(marks.strip()) - set("~^"):
            start = len(marks) - len(marks.lstrip())
            return above[start:len(marks)]
    return ""


def _source_range(r: Any, enc: Encoder, depth: int) -> dict:
    where, code = range_where(r)
    out: Dict[str, Any] = {"type": Tag.SOURCE_RANGE, "where": where}
    if code:
        out["code"] = code
    return out


def _tree_view(tv: Any, enc: Encoder, depth: int) -> dict:
    out: Dict[str, Any] = {"type": Tag.TREE_VIEW, "kind": type(tv).__name__}
    name = _tree_name(tv)
    if name is not None:
        out["name"] = name
    try:
        where, code = range_where(tv.range())
    except Exception:
        where, code = None, None
    out["where"] = where
    if code:
        out["code"] = code
    try:
        text = str(tv)
    except Exception as exc:
        text = f"<{type(exc).__name__}>"
    if name is None:  # a ClassDef has no name() binding: its S-expression names it
        match = _NAMED_SEXPR.match(text)
        if match:
            out["name"] = match.group(1)
    out["sexpr"] = one_line(text, SEXPR_WIDTH)
    return out


_NAMED_SEXPR = re.compile(r"\((?:class|def)\s+\(ident\s+([^\s()]+)\)")


def _tree_name(tv: Any) -> Optional[str]:
    name = getattr(tv, "name", None)
    try:
        value = name() if callable(name) else name
        value = getattr(value, "name", value)
    except Exception:
        return None
    return value if isinstance(value, str) else None


def _source_context(ctx: Any, enc: Encoder, depth: int) -> dict:
    return {"type": Tag.SOURCE_CONTEXT, "file": relative_file(str(getattr(ctx, "filename", ""))),
            "function": getattr(ctx, "funcname", None)}


def _parsed_def(pd: Any, enc: Encoder, depth: int) -> dict:
    return {"type": Tag.PARSED_DEF, "function": getattr(pd.ctx, "funcname", None),
            "where": f"{relative_file(str(pd.filename))}:{pd.file_lineno}",
            "lines": pd.source.count("\n")}


def _defined_at(fn: Any) -> Optional[str]:
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if not isinstance(code, types.CodeType):
        return None
    return f"{relative_file(code.co_filename)}:{code.co_firstlineno}"


def _qualname(fn: Any) -> str:
    fn = getattr(fn, "__func__", fn)
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "?")
    return f"{module}.{qualname}" if module else str(qualname)


def _method_stub(stub: Any, enc: Encoder, depth: int) -> dict:
    return {"type": Tag.METHOD_STUB, "method": _qualname(stub.original_method),
            "def": _tree_name(stub.def_), "source": _defined_at(stub.original_method)}


def _property_stub(stub: Any, enc: Encoder, depth: int) -> dict:
    return {"type": Tag.PROPERTY_STUB, "def": _tree_name(stub.def_)}


def resolution_maker(fn: Any) -> Optional[str]:
    """Which of torch's `createResolutionCallback*` made this function, or None."""
    qualname = getattr(fn, "__qualname__", "") or ""
    outer = qualname.split(".", 1)[0]
    if outer not in RESOLUTION_MAKERS or getattr(fn, "__module__", "") != "torch._jit_internal":
        return None
    if outer == "createResolutionCallbackFromEnv":  # the lambda: its lookup base says more
        base = _closure_value(fn, "lookup_base")
        base_outer = (type(base).__qualname__ or "").split(".", 1)[0]
        if base_outer in RESOLUTION_MAKERS:
            return base_outer
    return outer


def _closure_value(fn: Any, name: str) -> Any:
    code = getattr(fn, "__code__", None)
    closure = getattr(fn, "__closure__", None) or ()
    names = getattr(code, "co_freevars", ())
    for free, cell in zip(names, closure):
        if free == name:
            try:
                return cell.cell_contents
            except ValueError:
                return None
    return None


def _function(previous: Any):
    """Functions as before, except torch's resolution callbacks, which say who made them."""
    def encode(fn: Any, enc: Encoder, depth: int) -> Any:
        maker = resolution_maker(fn)
        if maker is None:
            return previous(fn, enc, depth)
        return {"type": Tag.RESOLUTION_CALLBACK,
                "scope": maker.replace("createResolutionCallback", "")}

    return encode


def _script_function(fn: Any, enc: Encoder, depth: int) -> dict:
    return {"type": Tag.SCRIPT_FUNCTION, "qualified_name": str(fn.qualified_name)}


def install(enc: Encoder, torch: Any, add_probe: Any) -> SourceIndex:
    """Register the frontend's encoders on `enc`; `add_probe(function, probe)` watches the
    functions that tell where parsed code came from."""
    index = SourceIndex()
    for function, probe in PROBED.items():
        add_probe(function, probe(index))
    enc.register(ast.AST, _ast_node(index))
    views = torch._C._jit_tree_views
    enc.register(views.TreeView, _tree_view)
    enc.register(views.SourceRange, _source_range)
    enc.register(views.SourceRangeFactory, _source_context)
    try:
        from torch._sources import ParsedDef
        enc.register(ParsedDef, _parsed_def)
    except ImportError:  # an older torch
        pass
    from torch.jit import _recursive
    enc.register(_recursive.ScriptMethodStub, _method_stub)
    enc.register(_recursive.PropertyStub, _property_stub)
    enc.register(torch.jit.ScriptFunction, _script_function)
    previous = enc.registered(types.FunctionType)
    if previous is not None:
        enc.register(types.FunctionType, _function(previous))
    return index
