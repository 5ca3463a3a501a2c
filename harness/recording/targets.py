"""Dotted names -> the code objects a recorder watches.

A name is what a scenario writes: a module-level function
(`torch.jit._recursive.create_script_module`), a method
(`torch.jit._recursive.ConcreteTypeStore.get_or_create_concrete_type`), or a closure
(`torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type`), found among the
enclosing function's constants. Names, not line numbers, are the stable key across torch
releases. A name that does not resolve raises `LookupError` with a "did you mean" hint.
"""
from __future__ import annotations

import importlib
import inspect
import linecache
import os
import sys
import types
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, List, Optional, Tuple

from ..text import counted, did_you_mean
from . import disk_cache

LOCALS = "<locals>"


@dataclass(frozen=True)
class Target:
    name: str  # as the scenario wrote it
    code: types.CodeType

    @property
    def qualname(self) -> str:
        return getattr(self.code, "co_qualname", self.code.co_name)

    def source(self) -> Tuple[List[str], int]:
        """The function's source lines and the number of its first line."""
        return source_lines(self.code)


def source_lines(code: types.CodeType) -> Tuple[List[str], int]:
    """A function's source lines (from its first decorator to its last line of code) and the
    number of the first (`function_lines`)."""
    lines = linecache.getlines(code.co_filename)
    first = code.co_firstlineno
    if not lines or first > len(lines):
        if not hasattr(code, "co_positions"):
            return inspect.getsourcelines(code)
        raise OSError(f"no source for {code.co_filename}")
    return function_lines(code, lines), first


def function_lines(code: types.CodeType, lines: List[str]) -> List[str]:
    """The function's lines in its file's `lines`, from its first (decorator) line to its
    last. Where code objects know their instructions' end lines (3.11+), the range comes from
    them, without tokenizing the file as inspect does (a run pays this for every target).
    Before 3.11 inspect's block is found by tokenizing, and its length is kept on disk, as
    Python keeps .pyc files, under the file's name, size and modification time: tokenizing
    a dozen torch functions cost 10 ms of every run on 3.10."""
    first = code.co_firstlineno
    if hasattr(code, "co_positions"):
        return lines[first - 1:last_line(code)]
    key = _block_key(code)
    count = _kept_block_length(key) if key else None
    if count is None:
        block = inspect.getblock(lines[first - 1:])
        if key:
            _keep_block_length(key, len(block))
        return block
    return lines[first - 1:first - 1 + count]


BLOCKS_VERSION = 1  # of the kept block lengths: a change to how they are found bumps it


def _block_key(code: types.CodeType) -> Optional[str]:
    try:
        stat = os.stat(code.co_filename)
    except (OSError, ValueError):
        return None
    return disk_cache.key_of((BLOCKS_VERSION, sys.version, code.co_filename, stat.st_size,
                              stat.st_mtime_ns, code.co_name, code.co_firstlineno))


def _kept_block_length(key: str) -> Optional[int]:
    data = disk_cache.read("blocks", key)
    try:
        count = int(data) if data is not None else 0
    except ValueError:
        return None
    return count if count > 0 else None


def _keep_block_length(key: str, count: int) -> None:
    disk_cache.write("blocks", key, str(count).encode("ascii"))


def last_line(code: types.CodeType) -> int:
    """The last line of a function's code, nested functions included, from its instructions'
    end positions (Python 3.11+)."""
    last = code.co_firstlineno
    stack = [code]
    while stack:
        item = stack.pop()
        for _, end_line, _, _ in item.co_positions():
            if end_line is not None and end_line > last:
                last = end_line
        stack.extend(c for c in item.co_consts if isinstance(c, types.CodeType))
    return last


def resolve(name: str) -> Target:
    outer, *nested = name.split("." + LOCALS + ".")
    obj = _resolve_dotted(outer)
    code = _code_of(obj, outer)
    path = outer
    for part in nested:
        for step in part.split("."):
            code = _nested_code(code, step, path)
            path = f"{path}.{LOCALS}.{step}"
    return Target(name=name, code=code)


def _resolve_dotted(dotted: str) -> Any:
    parts = dotted.split(".")
    obj = _import(parts[0])
    done = parts[0]
    for part in parts[1:]:
        if hasattr(obj, part):
            obj = getattr(obj, part)
        elif isinstance(obj, types.ModuleType):
            obj = _import(f"{done}.{part}", missing=_missing(part, done, dir(obj)))
        else:
            raise LookupError(_missing(part, done, dir(obj)))
        done = f"{done}.{part}"
    return obj


def _import(name: str, missing: Optional[str] = None) -> Any:
    """Import a module a breakpoint names. Whatever its import raises (an error, or even
    sys.exit) is a LookupError that says so: it is bad input, not the model failing."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name or (exc.name and name.startswith(exc.name + ".")):
            raise LookupError(missing or f"no module named {name!r}") from None
        raise LookupError(f"importing {name} failed: ModuleNotFoundError: {exc}") from None
    except SystemExit as exc:
        raise LookupError(f"importing {name} called sys.exit({exc.code!r})") from None
    except Exception as exc:
        raise LookupError(f"importing {name} failed: {type(exc).__name__}: {exc}") from None


def _missing(part: str, owner: str, candidates: Iterable[str]) -> str:
    hint = did_you_mean(part, [c for c in candidates if not c.startswith("__")])
    return f"{owner} has no attribute {part!r}" + hint


def _code_of(obj: Any, name: str) -> types.CodeType:
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    obj = inspect.unwrap(obj) if callable(obj) else obj
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    code = getattr(obj, "__code__", None)
    if isinstance(code, types.CodeType):
        return code
    if inspect.isclass(obj):
        methods = sorted(k for k, v in vars(obj).items() if inspect.isfunction(v))
        raise LookupError(f"{name} is a class, not a function; name one of its methods"
                          + (f": {', '.join(methods[:8])}" if methods else ""))
    raise LookupError(f"{name} is a {type(obj).__name__}, not a Python function")


def _nested_code(code: types.CodeType, step: str, path: str) -> types.CodeType:
    nested = [c for c in code.co_consts if isinstance(c, types.CodeType)]
    for c in nested:
        if c.co_name == step:
            return c
    names = [c.co_name for c in nested if not c.co_name.startswith("<")]
    hint = did_you_mean(step, names) or (f" (it defines: {', '.join(names)})" if names else "")
    raise LookupError(f"{path} defines no function {step!r} inside it{hint}")


# -- line breakpoints -------------------------------------------------------------------------
def code_lines(code: types.CodeType) -> List[int]:
    """Lines where this code object (not a function nested in it) starts a line event."""
    if hasattr(code, "co_lines"):
        lines = {line for _, _, line in code.co_lines() if line is not None}
    else:  # pragma: no cover - Python < 3.10
        import dis

        lines = {line for _, line in dis.findlinestarts(code)}
    lines.discard(code.co_firstlineno)  # the `def` line itself (RESUME), not a statement
    return sorted(lines)


def match_line(target: Target, fragment: str, occurrence: Optional[int]) -> int:
    """The line of `target` whose source contains `fragment`; LookupError unless exactly one."""
    source, first = target.source()
    wanted = fragment.strip()
    matches = [(n, source[n - first].strip()) for n in code_lines(target.code)
               if 0 <= n - first < len(source) and wanted in source[n - first]]
    if occurrence is not None:
        if 1 <= occurrence <= len(matches):
            return matches[occurrence - 1][0]
        raise LookupError(f"occurrence {occurrence} asked, but {fragment!r} matches "
                          f"{counted(len(matches), 'line')} of {target.name}")
    if len(matches) == 1:
        return matches[0][0]
    if not matches:
        raise LookupError(f"no line of {target.name} contains {fragment!r}")
    shown = "; ".join(f"line {n}: {text}" for n, text in matches[:6])
    raise LookupError(f"{fragment!r} matches {counted(len(matches), 'line')} of {target.name} "
                      f"({shown}); "
                      "make the fragment longer or add `occurrence: N`")


# -- listing ----------------------------------------------------------------------------------
TORCH_JIT_MODULES = (
    "torch.jit._script", "torch.jit._recursive", "torch.jit.frontend", "torch.jit.annotations",
    "torch.jit._check", "torch.jit._state", "torch.jit._trace", "torch._jit_internal",
    "torch._sources",
)


def list_targets(modules: Iterable[str] = TORCH_JIT_MODULES) -> Iterator[Tuple[str, str, int]]:
    """(dotted name, file, first line) of every function a scenario can stop at."""
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name, value in sorted(vars(module).items()):
            if inspect.isfunction(value) and value.__module__ == module_name:
                yield from _walk_code(f"{module_name}.{name}", value.__code__)
            elif inspect.isclass(value) and value.__module__ == module_name:
                for attr, member in sorted(vars(value).items()):
                    try:
                        code = _code_of(member, attr)
                    except LookupError:
                        continue
                    # a method of the module's own file (a staticmethod too: StmtBuilder's
                    # build_*), not one a namedtuple made in collections' file
                    if code.co_filename == getattr(module, "__file__", None):
                        yield from _walk_code(f"{module_name}.{name}.{attr}", code)


def module_of(name: str, modules: Iterable[str] = TORCH_JIT_MODULES) -> Optional[str]:
    """The module of a listed name (the longest of `modules` it starts with)."""
    found = [m for m in modules if name.startswith(m + ".")]
    return max(found, key=len) if found else None


def _walk_code(name: str, code: types.CodeType) -> Iterator[Tuple[str, str, int]]:
    yield name, code.co_filename, code.co_firstlineno
    for const in code.co_consts:
        if isinstance(const, types.CodeType) and not const.co_name.startswith("<"):
            yield from _walk_code(f"{name}.{LOCALS}.{const.co_name}", const)
