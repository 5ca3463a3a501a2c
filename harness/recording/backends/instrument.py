"""The `instrument` backend (any Python): only the watched functions change; nothing is traced.

`sys.settrace` makes every Python call of the run pay for a trace function (1.25x to 1.6x on
torch.jit.script before a single stop). This backend instead gives each watched function new
code, compiled from its own source as pytest rewrites asserts, with three calls added:

    def f(args):
        "docstring"                      # kept first
        HOOK.enter()                     # the call began      (functions whose calls count)
        try:
            ...original body...          # each `return x` is `return HOOK.leave(x)`
        except BaseException:
            HOOK.unwind()                # an exception leaves (every watched function)
            raise

`HOOK` is an object put into the new code's constants (no global name is added anywhere);
it hands the event, with the original code object and the function's live frame, to the same
engine as the other backends. The new code keeps the original's file, line numbers and columns
(the source is compiled where it stands in its file), its names, arguments and locals, so
tracebacks, `inspect.getsource` (read from the file) and `f_locals` are those of the original.
A function nested in a watched one (`infer_concrete_type_builder.<locals>.infer_type`) gets its
new code through its enclosing function's, which holds it among its constants. The function
objects get the new code (`function.__code__`) at `start()` and their own back at `stop()`,
which the session calls on every way out (an error, Ctrl-C, a stop signal); a hook outliving
the run (a closure made during it) does nothing.

What it leaves to `settrace` (`Unsupported` says why; `auto` then falls back to settrace and
the header says which ran): line breakpoints (`at: line`), generators and coroutines, code
whose source is not at hand or no longer matches it, functions not reachable by their
qualified name from their module, and, for functions whose returns make stops, the few places
where the line or the locals that `settrace` reports at a return cannot be told from the
syntax tree (a return inside `with`, `finally` or `except ... as`, and a fall-through end
after a compound statement).
"""
from __future__ import annotations

import __future__
import ast
import hashlib
import importlib.util
import linecache
import marshal
import os
import sys
import threading
import types
from typing import Any, Dict, List, Optional, Tuple

from .. import disk_cache
from ..targets import function_lines
from . import Events

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag

_NOT_PLAIN = 0x20 | 0x80 | 0x100 | 0x200  # CO_GENERATOR, COROUTINE, ITERABLE_COROUTINE, ASYNC_GEN
# Statements after which a fall-through return gets the statement's own line.
_SIMPLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Pass, ast.Delete,
           ast.Import, ast.ImportFrom)


_MAGIC = importlib.util.MAGIC_NUMBER  # of this Python's bytecode
CACHE_VERSION = 6  # of the rewriting: a change to it must not meet code cached before it


class Unsupported(Exception):
    """This run watches something the instrument backend cannot instrument faithfully."""


class _State:
    """Shared by a run's hooks: whether the run is on, on which thread, and whether a hook is
    already inside the engine (the harness's own work never reports events, as with the
    tracing backends, which are off inside their callbacks)."""

    __slots__ = ("active", "thread", "busy")

    def __init__(self) -> None:
        self.active = False
        self.thread = 0
        self.busy = False


class _Hook:
    """The object a watched function's new code calls; one per watched code object."""

    __slots__ = ("code", "events", "state")

    def __init__(self, code: types.CodeType, events: Events, state: _State):
        self.code, self.events, self.state = code, events, state

    def enter(self) -> None:
        state = self.state
        if state.active and not state.busy and threading.get_ident() == state.thread:
            state.busy = True
            try:
                self.events.on_enter(self.code, sys._getframe(1))
            finally:
                state.busy = False

    def leave(self, value: Any) -> Any:
        state = self.state
        if state.active and not state.busy and threading.get_ident() == state.thread:
            state.busy = True
            try:
                self.events.on_return(self.code, sys._getframe(1), value)
            finally:
                state.busy = False
        return value

    def unwind(self, tries: tuple = ()) -> None:
        """`tries`: the function's try statements (`_exit_table`), for the line it is left
        from."""
        state = self.state
        if state.active and not state.busy and threading.get_ident() == state.thread:
            state.busy = True
            try:
                frame = sys._getframe(1)
                exc = sys.exc_info()[1]
                if exc is not None:
                    self.events.on_unwind(self.code, frame, exc,
                                          _left_from(_raised_at(exc, frame), tries))
            finally:
                state.busy = False


def _raised_at(exc: BaseException, frame: Any) -> Optional[int]:
    """The line the exception last passed through `frame` at: the frame's newest entry in its
    traceback (a `raise e` of the same exception adds one; entries are added in front)."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame is frame:
            return tb.tb_lineno
        tb = tb.tb_next
    return None


def _left_from(line: Optional[int], tries: tuple) -> Optional[int]:
    """The line a tracer sees an exception leave the frame from, when it was raised at `line`.
    On its way out it passes through the try statements around that line, innermost first
    (`tries` is in that order): `except` clauses that did not match leave the frame on the
    last one's line, and a `finally` body, run on the way, on its last statement's (measured
    on 3.10-3.12: settrace's line at the frame's exit, and sys.monitoring's at PY_UNWIND)."""
    if line is None:
        return None
    for body_first, body_last, handlers_last, last_handler, final_line in tries:
        if body_first <= line <= handlers_last:  # raised in its body, handlers or else
            if line <= body_last and last_handler:  # no handler took it (none re-raises)
                line = last_handler
            if final_line:
                line = final_line
    return line


# -- finding the function objects ---------------------------------------------------------------
def _modules_by_file() -> Dict[str, types.ModuleType]:
    found: Dict[str, types.ModuleType] = {}
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str):
            found.setdefault(file, module)
    return found


def _module_of_file(file: str, every: List[Dict[str, types.ModuleType]]) -> Optional[Any]:
    """The module imported from `file`. Its name is looked for first among the dotted
    endings of the path (`torch/jit/_recursive.py`: `_recursive`, `jit._recursive`,
    `torch.jit._recursive`): a few lookups, where reading every module's `__file__` (torch
    imports 1,500) cost a millisecond of every run. `every` holds that full table once made."""
    parts = file[:-3].replace("\\", "/").split("/") if file.endswith(".py") else []
    if parts and parts[-1] == "__init__":
        parts.pop()
    for start in range(len(parts) - 1, max(len(parts) - 8, 0) - 1, -1):
        module = sys.modules.get(".".join(parts[start:]))
        if module is not None and getattr(module, "__file__", None) == file:
            return module
    if not every:
        every.append(_modules_by_file())
    return every[0].get(file)


def _qualname(code: types.CodeType) -> str:
    return getattr(code, "co_qualname", None) or code.co_name


def _name(code: types.CodeType) -> str:
    return f"{_qualname(code)} ({code.co_filename}:{code.co_firstlineno})"


# -- rewriting ----------------------------------------------------------------------------------
def _first_line(node: ast.AST) -> int:
    decorators = getattr(node, "decorator_list", None)
    return decorators[0].lineno if decorators else node.lineno  # type: ignore[attr-defined]


def _own_nodes(fn: ast.AST):
    """The nodes of a function's own body, not those of functions or classes inside it."""
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _may_fall_through(body: List[ast.stmt]) -> bool:
    if not body:
        return True
    last = body[-1]
    if isinstance(last, (ast.Return, ast.Raise)):
        return False
    if isinstance(last, ast.If):
        return _may_fall_through(last.body) or _may_fall_through(last.orelse)
    return True


def _fall_through_line(fn: ast.FunctionDef) -> Optional[int]:
    """The line a tracer reports when the function runs off its end (checked on 3.10-3.12):
    its last statement's, or a last `for` loop's own line; None where it depends on the path
    taken (an `if` without `else`...). Any line where it cannot run off its end."""
    if not _may_fall_through(fn.body):
        return fn.body[-1].lineno
    last = fn.body[-1]
    if isinstance(last, _SIMPLE):
        return last.lineno
    if isinstance(last, ast.For) and not last.orelse:
        return last.lineno
    return None


def _returns_in_cleanup(fn: ast.AST) -> bool:
    """A return that runs cleanup code after its value is made (a `with` exit, a `finally`
    body, an `except ... as name` handler's deletion of the name): settrace sees the locals
    and the line after that cleanup, the hook before it."""
    def walk(nodes, inside: bool) -> bool:
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                 ast.ClassDef)):
                continue
            if isinstance(node, ast.Return) and inside:
                return True
            here = inside
            if isinstance(node, (ast.With, ast.AsyncWith)):
                here = True
            if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                if node.finalbody:
                    here = True
            if isinstance(node, ast.ExceptHandler) and node.name:
                here = True
            if walk(list(ast.iter_child_nodes(node)), here):
                return True
        return False

    return walk(list(ast.iter_child_nodes(fn)), False)


def _exit_table(fn: ast.AST) -> tuple:
    """The function's own try statements, innermost first, as `_left_from` reads them: (first
    and last line of the body, last line of the handlers and `else`, the last `except`
    clause's line or 0, the `finally` body's last statement's line or 0)."""
    rows = []
    for node in _own_nodes(fn):
        if not isinstance(node, ast.Try):
            continue
        parts: List[Any] = [*node.body, *node.handlers, *node.orelse]
        ends = [n.end_lineno or n.lineno for n in parts]
        rows.append((node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno,
                     max(ends),
                     node.handlers[-1].lineno if node.handlers else 0,
                     node.finalbody[-1].lineno if node.finalbody else 0))
    # innermost first: a try inside another's body starts later (or on the same line, then
    # it ends sooner)
    return tuple(sorted(rows, key=lambda r: (-r[0], r[2])))


def _unknown_exit_line(fn: ast.AST) -> Optional[str]:
    """Why the line an exception leaves this function from cannot be told from its syntax
    tree and the traceback (else None): a bare `raise` re-raises with no traceback entry of
    its own (in a handler, from the line the handler took it at; elsewhere, the exception
    its caller is handling, which has none for this frame at all); a `finally` body ending in
    a compound statement leaves from wherever that path ended."""
    for node in _own_nodes(fn):
        if type(node).__name__ == "TryStar":
            return "an `except*` clause"
        if isinstance(node, ast.Raise) and node.exc is None:
            return "a bare `raise`"
        if isinstance(node, ast.Try) and node.finalbody \
                and not isinstance(node.finalbody[-1], _SIMPLE):
            return "a `finally` body that ends in a compound statement"
    return None


class _Rewriter:
    """Adds the hook calls to one function's syntax tree."""

    def __init__(self, placeholder: str, calls: bool):
        self.placeholder = placeholder
        self.calls = calls  # enter and return reported too, not only exceptions leaving

    def _hook(self, method: str, at: ast.AST, args: List[ast.expr]) -> ast.Call:
        """`PLACEHOLDER.method(*args)`, at `at`'s first line (the arguments keep theirs). It
        ends there too: a method call's instruction takes the line where its attribute ends,
        which for `return f(\n...)` would be the return's last line, not the one a tracer
        reports at the return."""
        line, col = at.lineno, at.col_offset  # type: ignore[attr-defined]

        def placed(node):
            node.lineno, node.col_offset, node.end_lineno, node.end_col_offset = \
                line, col, line, col
            return node
        target = placed(ast.Constant(self.placeholder))
        func = placed(ast.Attribute(value=target, attr=method, ctx=ast.Load()))
        return placed(ast.Call(func=func, args=args, keywords=[]))

    def rewrite(self, fn: ast.FunctionDef, fall_through_line: Optional[int]) -> None:
        body = list(fn.body)
        doc: List[ast.stmt] = []
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            doc, body = body[:1], body[1:]
        anchor = body[0] if body else fn
        if self.calls:
            for node in list(_own_nodes(fn)):
                if isinstance(node, ast.Return):
                    value = node.value if node.value is not None else ast.copy_location(
                        ast.Constant(None), node)
                    node.value = self._hook("leave", node, [value])
            if _may_fall_through(body):
                end = ast.Return(value=None)
                end.lineno = end.end_lineno = fall_through_line or fn.body[-1].lineno
                end.col_offset, end.end_col_offset = 0, 0
                end.value = self._hook("leave", end, [ast.copy_location(ast.Constant(None),
                                                                        end)])
                body.append(end)
        table: Any = _exit_table(fn)  # a tuple of int tuples: a constant compile() takes
        tries = ast.copy_location(ast.Constant(table), anchor)
        handler = ast.ExceptHandler(
            type=ast.copy_location(ast.Name("BaseException", ast.Load()), anchor), name=None,
            body=[ast.copy_location(ast.Expr(self._hook("unwind", anchor, [tries])), anchor),
                  ast.copy_location(ast.Raise(exc=None, cause=None), anchor)])
        ast.copy_location(handler, anchor)
        guarded: ast.stmt = ast.copy_location(
            ast.Try(body=body or [ast.copy_location(ast.Pass(), anchor)], handlers=[handler],
                    orelse=[], finalbody=[]), anchor)
        first: List[ast.stmt] = []
        if self.calls:  # at the function's first line, where a tracer's call event is
            at = ast.Pass()
            at.lineno = at.end_lineno = _first_line(fn)
            at.col_offset = at.end_col_offset = 0
            first = [ast.copy_location(ast.Expr(self._hook("enter", at, [])), at)]
        fn.body = doc + first + [guarded]


class _Plan:
    """The new code for each function object to patch, and the hooks in it."""

    def __init__(self) -> None:
        self.patches: List[Tuple[Any, types.CodeType, types.CodeType]] = []  # fn, old, new
        self.hooks: List[_Hook] = []
        self.state = _State()


def _same_shape(old: types.CodeType, new: types.CodeType) -> bool:
    return (old.co_name == new.co_name and old.co_firstlineno == new.co_firstlineno
            and old.co_varnames == new.co_varnames and old.co_freevars == new.co_freevars
            and old.co_cellvars == new.co_cellvars and old.co_argcount == new.co_argcount
            and old.co_kwonlyargcount == new.co_kwonlyargcount
            and old.co_flags == new.co_flags)


def _nested(code: types.CodeType) -> List[types.CodeType]:
    return [c for c in code.co_consts if isinstance(c, types.CodeType)]


def plan(events: Events) -> _Plan:
    """The new code of every watched function; Unsupported if one cannot be instrumented."""
    if events.lines:
        raise Unsupported("line breakpoints (`at: line`) are not instrumented")
    modules: List[Dict[str, types.ModuleType]] = []  # every module by file, made if needed
    tops: Dict[str, Dict[int, Any]] = {}  # file -> id(code) -> its top-level function
    calls = {id(c) for c in events.codes}
    lines_matter = getattr(events, "return_lines_matter", lambda code: True)
    by_root: Dict[int, Tuple[Any, types.CodeType, List[types.CodeType]]] = {}
    for code in events.unwind_codes:
        if code.co_flags & _NOT_PLAIN:
            raise Unsupported(f"{_name(code)}: a generator or coroutine")
        file = code.co_filename
        if file not in tops:
            module = _module_of_file(file, modules)
            if module is None:
                raise Unsupported(f"{_name(code)}: no module imported from its file")
            tops[file] = _top_level_functions(module)
        fn = _holding(code, tops[file])
        if fn is None:  # the file imported under another name too (`__main__` and `mod`)
            for module in list(sys.modules.values()):
                if getattr(module, "__file__", None) == file:
                    for key, each in _top_level_functions(module).items():
                        tops[file].setdefault(key, each)
            fn = _holding(code, tops[file])
        if fn is None:
            raise Unsupported(f"{_name(code)}: no module-level function or method of a "
                              "module-level class holds it")
        root = fn.__code__
        by_root.setdefault(id(root), (fn, root, []))[2].append(code)
    result = _Plan()
    for fn, root, members in by_root.values():
        new_root, hooks = _compile(fn, root, members, calls, lines_matter, events,
                                   result.state)
        result.patches.append((fn, root, new_root))
        result.hooks.extend(hooks)
    return result


def _holding(code: types.CodeType, functions: Dict[int, Any]) -> Optional[Any]:
    """The top-level function whose code is `code`, or holds it nested."""
    fn = functions.get(id(code))
    if fn is None:
        fn = next((f for f in functions.values() if _encloses(f.__code__, code)), None)
    return fn


def _top_level_functions(module: types.ModuleType) -> Dict[int, Any]:
    """id(code) -> function, for the module's own functions and its classes' methods."""
    found: Dict[int, Any] = {}
    for value in list(vars(module).values()):
        members = list(vars(value).values()) if isinstance(value, type) else [value]
        for member in members:
            for fn in _unwrapped(member):
                found.setdefault(id(fn.__code__), fn)
    return found


def _unwrapped(value: Any):
    """The plain functions a namespace entry holds (through staticmethod, classmethod,
    property and functools.wraps). Only these types are looked into: a module's other
    entries may answer any attribute (torch's `classes` namespace raises on one)."""
    if isinstance(value, property):
        items = [value.fget, value.fset, value.fdel]
    elif isinstance(value, (staticmethod, classmethod)):
        items = [value.__func__]
    else:
        items = [value]
    for item in items:
        seen = 0
        while isinstance(item, types.FunctionType) and seen < 20:
            yield item
            item = item.__dict__.get("__wrapped__")
            seen += 1


def _encloses(outer: types.CodeType, code: types.CodeType) -> bool:
    stack = _nested(outer)
    while stack:
        item = stack.pop()
        if item is code:
            return True
        stack.extend(_nested(item))
    return False


def _compile(fn: Any, root: types.CodeType, members: List[types.CodeType], calls: set,
             lines_matter, events: Events, state: _State):
    """The root function's new code, with hooks in the `members` (itself, nested ones)."""
    qualname = fn.__qualname__
    parts = qualname.split(".")
    flags = root.co_flags & _FUTURE_FLAGS
    decisions = [(code.co_name, code.co_firstlineno, id(code) in calls,
                  id(code) in calls and bool(lines_matter(code))) for code in members]
    hooks = [_Hook(code, events, state) for code in members]
    placeholders = {_placeholder(i): hook for i, hook in enumerate(hooks)}
    # Kept code is looked up by the file's name, size and modification time (as a .pyc is),
    # without reading the function's source: cutting it out of the file costs more than
    # loading the code made from it.
    key = _cache_key(root, qualname, flags, decisions)
    new_root = _cached(key) if key else None
    if new_root is None:
        new_root = _rewritten_from_source(fn, root, parts, flags, members, decisions)
        if key and _lines_are_the_file(root.co_filename):  # kept under the file's stat only
            _store(key, new_root)  # if made from the file as it is
    if not _same_shape(root, new_root):
        raise Unsupported(f"{_name(root)}: its source no longer matches it")
    new_root = _with_hooks(new_root, placeholders)
    _check_nested(root, new_root)
    return new_root, hooks


def _rewritten_from_source(fn: Any, root: types.CodeType, parts: List[str], flags: int,
                           members: List[types.CodeType],
                           decisions: List[tuple]) -> types.CodeType:
    """The function's source, where it stands in its file, compiled with the hooks."""
    lines = linecache.getlines(root.co_filename)
    first = root.co_firstlineno
    if not lines or first > len(lines):
        raise Unsupported(f"{_name(root)}: its source is not at hand")
    snippet = function_lines(root, lines)
    indented = bool(snippet) and snippet[0][:1] in (" ", "\t")
    if len(parts) == 2:
        if first < 2:
            raise Unsupported(f"{_name(root)}: no room for its class line")
        header = "\n" * (first - 2) + f"class {parts[0]}:\n"
    elif len(parts) == 1:
        header = "\n" * (first - 2) + "if 1:\n" if indented else "\n" * (first - 1)
        if indented and first < 2:
            raise Unsupported(f"{_name(root)}: no room for its enclosing line")
    else:
        raise Unsupported(f"{_name(root)}: only module-level functions and methods of "
                          "module-level classes are instrumented")
    text = header + "".join(snippet)
    return _rewritten(root, text, flags, parts, indented, members, decisions)


def _placeholder(i: int) -> str:
    """The constant a hook stands in for in the compiled code, until `_with_hooks`."""
    return f"__harness_hook_{i}_7d1f3a__"


def _rewritten(root: types.CodeType, text: str, flags: int, parts: List[str], indented: bool,
               members: List[types.CodeType], decisions: List[tuple]) -> types.CodeType:
    """The root function compiled anew with the hooks' placeholders in its members."""
    try:
        tree = compile(text, root.co_filename, "exec", ast.PyCF_ONLY_AST | flags,
                       dont_inherit=True)
    except SyntaxError as exc:
        raise Unsupported(f"{_name(root)}: its source does not parse alone ({exc.msg})") \
            from None
    container = tree.body[0]
    if len(parts) == 2 or indented:
        container = container.body[0]
    if not isinstance(container, ast.FunctionDef) or container.name != root.co_name:
        raise Unsupported(f"{_name(root)}: its source no longer matches it")
    # the function nodes by (name, first line), as code objects know them
    nodes: Dict[Tuple[str, int], ast.AST] = {}
    for each in ast.walk(container):
        if isinstance(each, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nodes[(each.name, _first_line(each))] = each
    for i, (code, (_, _, reports_calls, lines_matter)) in enumerate(zip(members, decisions)):
        node = nodes.get((code.co_name, code.co_firstlineno))
        if not isinstance(node, ast.FunctionDef):
            raise Unsupported(f"{_name(code)}: its definition was not found in its source")
        fall_line = _fall_through_line(node)
        if lines_matter:
            if _returns_in_cleanup(node):
                raise Unsupported(f"{_name(code)}: a return inside `with`, `finally` or "
                                  "`except ... as` (settrace's line and locals there differ)")
            unknown = _unknown_exit_line(node)
            if unknown:
                raise Unsupported(f"{_name(code)}: {unknown} (the line settrace reports for "
                                  "an exception leaving is not known before it runs)")
            if fall_line is None:
                raise Unsupported(f"{_name(code)}: its end after a compound statement (the "
                                  "line settrace reports there is not known before it runs)")
        _Rewriter(_placeholder(i), reports_calls).rewrite(node, fall_line)
    ast.fix_missing_locations(tree)
    try:
        module_code = compile(tree, root.co_filename, "exec", flags, dont_inherit=True)
    except (SyntaxError, ValueError, TypeError) as exc:
        raise Unsupported(f"{_name(root)}: the instrumented code does not compile ({exc})") \
            from None
    new_root = _find(module_code, root.co_name, root.co_firstlineno)
    if new_root is None:
        raise Unsupported(f"{_name(root)}: its source no longer matches it")
    return new_root


# -- the compiled code, kept between runs -------------------------------------------------------
# Parsing and compiling a dozen torch functions costs 10 to 20 ms, a run's largest fixed cost:
# the rewritten code (placeholders in place of the hooks) is kept on disk, as Python keeps
# .pyc files, under a key made of everything it was made from.
def _cache_key(root: types.CodeType, qualname: str, flags: int,
               decisions: List[tuple]) -> Optional[str]:
    """Everything the new code is made from: the file as it stands (name, size, modification
    time: its text), the function in it and the code this process runs for it (a file edited
    after it was imported must not meet code made from its new text), the interpreter, what
    each member reports. None for a file that cannot be looked at (nothing is kept for it)."""
    try:
        stat = os.stat(root.co_filename)
    except (OSError, ValueError):
        return None
    return disk_cache.key_of((CACHE_VERSION, _MAGIC, sys.version, sys.flags.optimize,
                              root.co_filename, stat.st_size, stat.st_mtime_ns, root.co_name,
                              root.co_firstlineno, qualname, flags, decisions,
                              _fingerprint(root)))


def _fingerprint(code: types.CodeType) -> str:
    """What a function's code does (its instructions, constants and names, its nested
    functions'), summed the same in every process: sets of constants are sorted, since their
    order follows the hash seed."""
    digest = hashlib.sha256()

    def constant(value: Any) -> str:
        if isinstance(value, frozenset):
            return "frozenset(" + ",".join(sorted(map(constant, value))) + ")"
        if isinstance(value, tuple):
            return "(" + ",".join(map(constant, value)) + ")"
        return repr(value)

    def feed(item: types.CodeType) -> None:
        digest.update(item.co_code)
        digest.update(repr((item.co_names, item.co_varnames, item.co_freevars,
                            item.co_cellvars, item.co_firstlineno)).encode())
        for value in item.co_consts:
            if isinstance(value, types.CodeType):
                feed(value)
            else:
                digest.update(constant(value).encode("utf-8", "surrogatepass"))

    feed(code)
    return digest.hexdigest()


def _lines_are_the_file(filename: str) -> bool:
    """Whether the source linecache holds for the file is the file as it is on disk now
    (linecache does not look again once it has read a file)."""
    entry: Any = linecache.cache.get(filename)  # (size, mtime, lines, name), or a lazy one
    try:
        stat = os.stat(filename)
    except (OSError, ValueError):
        return False
    return bool(entry) and len(entry) == 4 and entry[0] == stat.st_size \
        and entry[1] == stat.st_mtime


def _cached(key: str) -> Optional[types.CodeType]:
    data = disk_cache.read("instrument", key)
    try:
        code = marshal.loads(data) if data is not None else None
    except (ValueError, EOFError, TypeError):
        return None
    return code if isinstance(code, types.CodeType) else None


def _store(key: str, code: types.CodeType) -> None:
    disk_cache.write("instrument", key, marshal.dumps(code))


def _find(code: types.CodeType, name: str, line: int) -> Optional[types.CodeType]:
    stack = [code]
    while stack:
        item = stack.pop()
        if item.co_name == name and item.co_firstlineno == line and item is not code:
            return item
        stack.extend(_nested(item))
    return None


def _with_hooks(code: types.CodeType, placeholders: Dict[str, _Hook]) -> types.CodeType:
    consts = tuple(placeholders[c] if isinstance(c, str) and c in placeholders
                   else _with_hooks(c, placeholders) if isinstance(c, types.CodeType) else c
                   for c in code.co_consts)
    return code.replace(co_consts=consts)


def _check_nested(old: types.CodeType, new: types.CodeType) -> None:
    """Every function nested in the original is in the new code, with the same shape."""
    old_nested = {(c.co_name, c.co_firstlineno): c for c in _nested(old)}
    new_nested = {(c.co_name, c.co_firstlineno): c for c in _nested(new)}
    if set(old_nested) != set(new_nested):
        raise Unsupported(f"{_name(old)}: its source no longer matches it")
    for key, c in old_nested.items():
        if not _same_shape(c, new_nested[key]):
            raise Unsupported(f"{_name(c)}: its source no longer matches it")
        _check_nested(c, new_nested[key])


class InstrumentBackend:
    name = "instrument"

    def __init__(self, events: Events):
        self.events = events
        self.plan = plan(events)  # Unsupported, before anything changes, if it cannot
        self._patched: List[Tuple[Any, types.CodeType]] = []

    def start(self) -> None:
        state = self.plan.state
        state.thread = threading.get_ident()
        state.active = True
        try:
            for fn, old, new in self.plan.patches:
                fn.__code__ = new
                self._patched.append((fn, old))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.plan.state.active = False
        while self._patched:
            fn, old = self._patched.pop()
            fn.__code__ = old
