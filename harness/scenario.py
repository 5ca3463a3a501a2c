"""Scenario files (YAML, version 1) -> validated, frozen dataclasses.

Every problem is a `ScenarioError` naming the file, the line in the YAML, the key, and what is
allowed. What can only be checked with torch at hand (does the function exist in the installed
torch, does a line fragment match) is checked where the run happens, with the same locations,
which is why each breakpoint keeps the YAML lines of its keys.

This module needs PyYAML only to read a file; a scenario as data (`from_data`) needs nothing,
so the recording side runs in an environment that has only Python and torch.
"""
from __future__ import annotations

import hashlib
import json
import keyword
import math
import os
import re
import stat
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Optional, Tuple

from .errors import ScenarioError
from .text import did_you_mean

FORMAT_VERSION = 1
EVENTS = ("enter", "return")
TOP_KEYS = ("version", "name", "description", "model", "breakpoints")
MODEL_KEYS = ("factory", "args", "kwargs", "seed")
BREAKPOINT_KEYS = ("function", "at", "capture", "when", "key")
LINE_KEYS = ("line", "occurrence")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
MAX_SEED = 2 ** 64 - 1

Lines = Dict[Tuple, int]  # path of keys/indices in the YAML -> its line (1-based)


@dataclass(frozen=True)
class At:
    event: str  # "enter", "return" or "line"
    fragment: Optional[str] = None  # for "line": a piece of source that matches one line
    occurrence: Optional[int] = None  # for "line": which match, when several lines match

    def describe(self) -> str:
        if self.event != "line":
            return self.event
        return f"line {self.fragment!r}" + (f" #{self.occurrence}" if self.occurrence else "")


@dataclass(frozen=True)
class Breakpoint:
    function: str
    at: At = At("return")
    capture: Tuple[str, ...] = ()
    when: Optional[str] = None
    key: Tuple[str, ...] = ()  # locals that identify a stop when diffing two snapshots
    lines: Dict[str, int] = field(default_factory=dict, compare=False)  # key -> YAML line


@dataclass(frozen=True)
class ModelSpec:
    factory: str  # as written: "path/to/file.py:Name" or "pkg.mod:Name"
    file: Optional[str]  # absolute path of the model file, when the factory names one
    module: Optional[str]  # dotted module, when the factory names one
    attr: str
    args: tuple = ()
    kwargs: Dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    line: Optional[int] = None  # of `factory` in the YAML, for messages


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    model: ModelSpec
    breakpoints: Tuple[Breakpoint, ...]
    file: Optional[str] = None  # where it was read from, for messages
    hash: str = ""  # sha256 of its canonical content, first 16 hex digits
    version: int = FORMAT_VERSION

    def to_data(self) -> dict:
        """Plain data (JSON-able), for handing a validated scenario to another process."""
        return asdict(self)

    @classmethod
    def from_job(cls, data: dict) -> "Scenario":
        model = ModelSpec(**{**data["model"], "args": tuple(data["model"]["args"])})
        bps = tuple(Breakpoint(**{**b, "at": At(**b["at"]), "capture": tuple(b["capture"]),
                                  "key": tuple(b["key"])}) for b in data["breakpoints"])
        return cls(**{**data, "model": model, "breakpoints": bps})

    def error_at(self, index: int, key: str, message: str) -> ScenarioError:
        """An error found with torch at hand, located at breakpoint `index`'s `key`."""
        bp = self.breakpoints[index]
        return ScenarioError(message, file=self.file, line=bp.lines.get(key, bp.lines.get("")),
                             key=f"breakpoints[{index}].{key}")

    def model_error(self, message: str) -> ScenarioError:
        return ScenarioError(message, file=self.file, line=self.model.line, key="model.factory")


# -- reading ----------------------------------------------------------------------------------
MAX_FILE_BYTES = 1024 * 1024  # a scenario is a page of YAML; more is not one
MAX_NODES = 20000  # YAML nodes after aliases are expanded: an alias bomb stops here


def load(path: str) -> Scenario:
    text = _read(path)
    data, lines = _parse_yaml(text, path)
    return from_data(data, base_dir=os.path.dirname(os.path.abspath(path)), file=path, lines=lines)


def _read(path: str) -> str:
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise ScenarioError("is a folder, not a scenario file", file=path)
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError("is not a regular file (a pipe or a device); a scenario is a "
                                ".yaml file", file=path)
        if st.st_size > MAX_FILE_BYTES:
            raise ScenarioError(f"is {st.st_size} bytes; a scenario is at most "
                                f"{MAX_FILE_BYTES} bytes", file=path)
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read the scenario: {exc.strerror}", file=path) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - raw.rfind(b"\n", 0, exc.start)
        raise ScenarioError(f"not UTF-8 text (byte {raw[exc.start]:#04x} at column {column})",
                            file=path, line=line) from None


def parse_yaml(text: str, what: str) -> Any:
    """YAML from the command line (`--args`), held to a scenario file's bounds: its size, and
    aliases expanding past MAX_NODES values."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(f"is {len(text)} characters; at most {MAX_FILE_BYTES}", file=what)
    return _parse_yaml(text, what)[0]


def _parse_yaml(text: str, path: str) -> Tuple[Any, Lines]:
    import yaml

    loader = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is not None:
            _check_size(node, path)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"not valid YAML: {problem}", file=path,
                            line=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise ScenarioError("not a scenario: the YAML is nested too deeply", file=path) from None
    except ValueError as exc:  # an integer past Python's 4300 digits, and the like
        raise ScenarioError(f"not a scenario: a value cannot be read: {exc}", file=path) \
            from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: Lines = {}
    if node is not None:
        _collect_lines(node, (), lines, path)
    return data, lines


def _check_size(root: Any, path: str) -> None:
    """Refuse YAML whose aliases expand to more nodes than a scenario could need (a "billion
    laughs" file is a few lines that expand to billions), before anything walks it."""
    import yaml

    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ScenarioError(f"not a scenario: its YAML expands to more than {MAX_NODES} "
                                "values (aliases that refer to aliases?)", file=path,
                                line=root.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _collect_lines(node: Any, path: Tuple, lines: Lines, file: str) -> None:
    import yaml

    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise ScenarioError(f"key {key!r} appears twice", file=file,
                                    line=key_node.start_mark.line + 1, key=_dotted(path + (key,)))
            seen.add(key)
            lines[path + (key,)] = key_node.start_mark.line + 1
            if isinstance(value_node, (yaml.MappingNode, yaml.SequenceNode)):
                _collect_lines(value_node, path + (key,), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _collect_lines(item, path + (i,), lines, file)


def _dotted(path: Tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# -- validating -------------------------------------------------------------------------------
class _Checker:
    def __init__(self, file: Optional[str], lines: Lines):
        self.file, self.lines = file, lines

    def fail(self, path: Tuple, message: str) -> ScenarioError:
        line = None
        for cut in range(len(path), -1, -1):  # the nearest enclosing node that has a line
            line = self.lines.get(path[:cut])
            if line is not None:
                break
        return ScenarioError(message, file=self.file, line=line, key=_dotted(path) or None)

    def mapping(self, value: Any, path: Tuple, allowed: Tuple[str, ...],
                required: Tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be a mapping with keys {', '.join(allowed)}; "
                                  f"got {_kind(value)}")
        for key in value:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                raise self.fail(path + (key,), f"unknown key{hint}; allowed: {', '.join(allowed)}")
        for key in required:
            if key not in value:
                raise self.fail(path, f"missing required key {key!r}")
        return value

    def typed(self, value: Any, path: Tuple, types: tuple, what: str) -> Any:
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise self.fail(path, f"must be {what}; got {_kind(value)}")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if type(value) is int:
        return f"the number {_number(value)}"
    if isinstance(value, str) and len(value) > 80:
        return f"the string {value[:80]!r}…"
    if isinstance(value, (bool, float)):
        return f"the number {value}" if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return f"the string {value!r}"
    names: Dict[type, str] = {dict: "a mapping", list: "a list"}
    return names.get(type(value), type(value).__name__)


def from_data(data: Any, base_dir: str = ".", file: Optional[str] = None,
              lines: Optional[Lines] = None) -> Scenario:
    """Validate a scenario given as data (as parsed from YAML, or written in Python)."""
    check = _Checker(file, lines or {})
    top = check.mapping(data, (), TOP_KEYS, required=("version", "name", "model", "breakpoints"))
    version = top["version"]
    if version != FORMAT_VERSION:
        raise check.fail(("version",), f"this harness reads scenario version {FORMAT_VERSION}; "
                                       f"got {version!r}")
    name = check.typed(top["name"], ("name",), (str,), "a string")
    if not _NAME.match(name):
        raise check.fail(("name",), "must start with a letter or digit and hold only letters, "
                                    "digits, '_', '.', '-' (it names the snapshot folder)")
    description = check.typed(top.get("description", ""), ("description",), (str,), "a string")
    model = _model(check, top["model"], base_dir)
    raw_bps = check.typed(top["breakpoints"], ("breakpoints",), (list,), "a list of breakpoints")
    if not raw_bps:
        raise check.fail(("breakpoints",), "must list at least one breakpoint")
    bps = tuple(_breakpoint(check, raw, ("breakpoints", i)) for i, raw in enumerate(raw_bps))
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return Scenario(name=name, description=description.strip(), model=model, breakpoints=bps,
                    file=file, hash=digest[:16])


def _model(check: _Checker, raw: Any, base_dir: str) -> ModelSpec:
    path = ("model",)
    spec = check.mapping(raw, path, MODEL_KEYS, required=("factory",))
    factory = check.typed(spec["factory"], path + ("factory",), (str,),
                          "'path/to/file.py:Name' or 'package.module:Name'")
    where, sep, attr = factory.rpartition(":")
    if not sep or not where or not attr.isidentifier():
        raise check.fail(path + ("factory",), "must be 'path/to/file.py:Name' or "
                                              f"'package.module:Name'; got {factory!r}")
    file = module = None
    if where.endswith(".py"):
        file = os.path.normpath(os.path.join(base_dir, where))
        if not os.path.isfile(file):
            raise check.fail(path + ("factory",), f"model file {where!r} not found "
                                                  f"(looked at {file})")
    elif all(part.isidentifier() for part in where.split(".")):
        module = where
    else:
        raise check.fail(path + ("factory",), f"{where!r} is neither a .py file nor a dotted "
                                              "module name")
    args = check.typed(spec.get("args", []), path + ("args",), (list,), "a list")
    kwargs = check.typed(spec.get("kwargs", {}), path + ("kwargs",), (dict,), "a mapping")
    _json_data(check, args, path + ("args",))
    _json_data(check, kwargs, path + ("kwargs",))
    if any(not isinstance(k, str) or not k.isidentifier() for k in kwargs):
        bad = next(k for k in kwargs if not isinstance(k, str) or not k.isidentifier())
        raise check.fail(path + ("kwargs",), f"keys must be argument names; got {bad!r}")
    seed = check.typed(spec.get("seed", 0), path + ("seed",), (int,), "an integer")
    if not 0 <= seed <= MAX_SEED:
        raise check.fail(path + ("seed",), f"must be between 0 and {MAX_SEED} (what "
                                           f"torch.manual_seed takes); got {_number(seed)}")
    return ModelSpec(factory=factory, file=file, module=module, attr=attr, args=tuple(args),
                     kwargs=dict(kwargs), seed=seed, line=check.lines.get(path + ("factory",)))


MAX_INT_BITS = 1024  # an integer argument past this is not a model's size or flag


def _number(n: int) -> str:
    """An integer as text, however long (Python refuses str() past 4300 digits)."""
    if n.bit_length() <= 64:
        return str(n)
    return f"an integer of {n.bit_length()} bits"


def _json_data(check: _Checker, value: Any, path: Tuple) -> None:
    """Model arguments travel to the recording process as JSON: only JSON data is allowed
    (YAML's dates, !!set, !!binary and the like are refused by name, with where they are)."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool) \
                and item.bit_length() > MAX_INT_BITS:
            raise check.fail(where, f"an integer of {item.bit_length()} bits ({_number(item)}); "
                                    f"at most {MAX_INT_BITS} bits travel as JSON data")
        if item is None or isinstance(item, (bool, int, str)):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                raise check.fail(where, f"must be a finite number; got {item}")
        elif isinstance(item, list):
            stack.extend((x, where + (i,)) for i, x in enumerate(item))
        elif isinstance(item, dict):
            for k, x in item.items():
                if not isinstance(k, str):
                    raise check.fail(where, f"keys must be strings; got {_kind(k)}")
                stack.append((x, where + (k,)))
        else:
            raise check.fail(where, "must be plain data (a string, number, true/false, null, "
                                    f"list or mapping); got {type(item).__name__} {item!r:.60}")


MAX_CONDITION_CHARS = 4096  # a condition is a line of Python; compiling more is a risk


def compile_condition(text: str, filename: str) -> Any:
    """A condition (`when`, the debugger's `ns`) compiled; ValueError saying why it is not
    one: a syntax error, or one too long or nested too deeply to compile in bounded time."""
    if len(text) > MAX_CONDITION_CHARS:
        raise ValueError(f"a condition of {len(text)} characters; at most "
                         f"{MAX_CONDITION_CHARS}")
    try:
        return compile(text, filename, "eval")
    except SyntaxError as exc:
        raise ValueError(f"not a Python expression: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ValueError("not a condition this harness can compile: nested too deeply") \
            from None
    except ValueError as exc:  # a NUL character
        raise ValueError(f"not a Python expression: {exc}") from None


def _breakpoint(check: _Checker, raw: Any, path: Tuple) -> Breakpoint:
    spec = check.mapping(raw, path, BREAKPOINT_KEYS, required=("function",))
    function = check.typed(spec["function"], path + ("function",), (str,), "a dotted name")
    if not all(p.isidentifier() or p == "<locals>" for p in function.split(".")):
        raise check.fail(path + ("function",), "must be a dotted name such as "
                                               "torch.jit._recursive.create_script_module or "
                                               "torch.jit._recursive.infer_concrete_type_builder"
                                               ".<locals>.infer_type")
    at = _at(check, spec.get("at", "return"), path + ("at",))
    capture = _names(check, spec.get("capture", []), path + ("capture",), allow_star=True)
    key = _names(check, spec.get("key", []), path + ("key",), allow_star=False)
    if "*" not in capture:
        for i, name in enumerate(key):
            if name not in capture:
                raise check.fail(path + ("key", i), f"{name!r} is not captured, so it cannot "
                                                     "tell stops apart; add it to capture "
                                                     f"(capture: {list(capture)})")
    when = spec.get("when")
    if when is not None:
        check.typed(when, path + ("when",), (str,), "a Python expression on the frame's locals")
        try:
            compile_condition(when, "<when>")
        except ValueError as exc:
            raise check.fail(path + ("when",), str(exc)) from None
    lines = {str(k): check.lines[path + (k,)] for k in spec if path + (k,) in check.lines}
    if path in check.lines:
        lines[""] = check.lines[path]
    return Breakpoint(function=function, at=at, capture=capture, when=when, key=key, lines=lines)


def _at(check: _Checker, raw: Any, path: Tuple) -> At:
    allowed = "'enter', 'return', or {line: <a piece of the line's source>, occurrence: N}"
    if isinstance(raw, str):
        if raw in EVENTS:
            return At(raw)
        raise check.fail(path, f"must be {allowed}; got {raw!r}" + did_you_mean(raw, EVENTS))
    if isinstance(raw, dict):
        spec = check.mapping(raw, path, LINE_KEYS, required=("line",))
        fragment = check.typed(spec["line"], path + ("line",), (str,), "a piece of source text")
        if not fragment.strip():
            raise check.fail(path + ("line",), "must not be empty")
        occurrence = spec.get("occurrence")
        if occurrence is not None:
            check.typed(occurrence, path + ("occurrence",), (int,), "a positive integer")
            if occurrence < 1:
                raise check.fail(path + ("occurrence",), "must be 1 or more")
        return At("line", fragment, occurrence)
    raise check.fail(path, f"must be {allowed}; got {_kind(raw)}")


def _names(check: _Checker, raw: Any, path: Tuple, allow_star: bool) -> Tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    check.typed(raw, path, (list,), "a list of local variable names")
    for i, name in enumerate(raw):
        ok = isinstance(name, str) and (
            (name.isidentifier() and not keyword.iskeyword(name)) or (allow_star and name == "*"))
        if not ok:
            raise check.fail(path + (i,), "must be the name of a local variable"
                                          + (" or '*' for all" if allow_star else "")
                                          + f"; got {name!r}")
    return tuple(raw)
