"""The records a snapshot holds, and the tags of the values inside them: one home for both.

A snapshot is a header, a source per target function reached, a stop per stop, and an end.
Each kind is a dataclass here; the recording side builds them, `to_json()` gives the plain data
written to the file, and `from_json()` validates what a reader found there, field by field,
raising `RecordError` naming the field. Captured values stay plain JSON data (the encoding is
described in docs/formats.md); their `"type"` tags are the constants of `Tag`.

Records also answer `record["field"]` and `record.get("field")`, as the plain dicts of harness
0.1 did, so code written against those keeps working.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Callable, ClassVar, Dict, List, Optional, Tuple, Type

FORMAT = "harness-snapshot"
FORMAT_VERSION = 1  # the record layout; a reader refuses a newer one
ENCODING_VERSION = 3  # the value encoding; diff refuses to compare values across two of them,
# except two that differ only in how a tensor's digest is summed: encodings 2 and 3 sum every
# byte of a tensor up to 256 KiB alike. Their values compare, with the digests of larger
# tensors left out (compare.py).
DIGESTS_ALIKE_UP_TO = {frozenset({2, 3}): 256 * 1024}

# The deepest nesting a value may have in a file: the encoder writes far less (see Limits in
# recording/values.py); deeper means a file not written by the harness.
MAX_VALUE_DEPTH = 100

def path_label(path: Optional[str]) -> str:
    """How a model path reads: `layer2.0`, `<root>` for the model itself, `-` for none."""
    if path is None:
        return "-"
    return path or "<root>"


class Tag:
    """The `"type"` of each encoded value that is not a JSON scalar."""

    LOCAL = "local"  # a reference to a captured local of the same stop
    ID = "id"  # an id() of a named object: {"of": <model path>}
    FLOAT = "float"  # a float JSON cannot hold: {"value": "nan"}
    STR = "str"  # a string cut short: {"value", "truncated"}
    LIST, TUPLE, SET, FROZENSET, DICT = "list", "tuple", "set", "frozenset", "dict"
    FUNCTION, BUILTIN, METHOD, CLASS, MODULE = "function", "builtin", "method", "class", "module"
    ANNOTATION = "annotation"
    TENSOR, PARAMETER = "Tensor", "Parameter"
    NN_MODULE = "nn.Module"
    SCRIPT_MODULE = "ScriptModule"
    INFERRED_TYPE = "InferredType"
    JIT_TYPE = "JitType"
    CONCRETE_TYPE = "ConcreteModuleType"
    BUILDER = "ConcreteModuleTypeBuilder"
    DTYPE, DEVICE, SIZE = "dtype", "device", "Size"
    # torch's frontend (recording/frontend_values.py): the user's code being compiled
    AST = "ast"
    TREE_VIEW = "TreeView"
    SOURCE_RANGE = "SourceRange"
    SOURCE_CONTEXT = "SourceContext"
    PARSED_DEF = "ParsedDef"
    METHOD_STUB = "ScriptMethodStub"
    PROPERTY_STUB = "PropertyStub"
    RESOLUTION_CALLBACK = "ResolutionCallback"
    SCRIPT_FUNCTION = "ScriptFunction"
    WHERE = (AST, TREE_VIEW, SOURCE_RANGE)  # values that name the user's file:line and code

    TENSORS = (TENSOR, PARAMETER)


def tag_of(value: Any) -> Optional[str]:
    """The tag of an encoded value, None for a JSON scalar (or anything without one)."""
    if isinstance(value, dict):
        tag = value.get("type")
        return tag if isinstance(tag, str) else None
    return None


def local_ref(name: str) -> dict:
    return {"type": Tag.LOCAL, "name": name}


def same_data(a: Any, b: Any) -> bool:
    """Two decoded JSON values are the same recorded data: same JSON types all the way down.

    Python's `==` after decoding is not that: it makes `3 == 3.0`, `True == 1` and
    `-0.0 == 0.0`, and for a tool about type inference a false "same" is the worst answer a
    comparison can give. Here an int, a float and a bool never equal each other, floats are
    equal only when they are the same number with the same sign (a NaN, which a snapshot
    writes as `{"type": "float", "value": "nan"}` but a hand-made one may hold, equals itself),
    and objects compare key by key, in any order, as JSON objects do.
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if a != a or b != b:  # NaN: the same data as another NaN, and only that
            return a != a and b != b
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b))
    return bool(a == b)


# -- validation ---------------------------------------------------------------------------------
class RecordError(ValueError):
    """A record that does not have the shape its kind needs; the message names the field."""


Check = Callable[[Any], bool]


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _str(v: Any) -> bool:
    return isinstance(v, str)


def _bool(v: Any) -> bool:
    return isinstance(v, bool)


def _opt(check: Check) -> Check:
    return lambda v: v is None or check(v)


def _list_of(check: Check) -> Check:
    return lambda v: isinstance(v, list) and all(check(x) for x in v)


def _dict_of(check: Check) -> Check:
    return lambda v: isinstance(v, dict) and all(_str(k) and check(x) for k, x in v.items())


def _any(v: Any) -> bool:
    return True


_WHAT: Dict[Check, str] = {_int: "an integer", _str: "a string", _bool: "true or false"}


def spec(check: Check, what: str = "", required: bool = True, default: Any = None,
         factory: Optional[Callable[[], Any]] = None):
    """A record field: how its JSON is checked, and whether it may be left out."""
    meta = {"check": check, "what": what or _WHAT.get(check, "of another shape"),
            "required": required}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


class Record:
    """What every record and nested part shares: JSON both ways, and dict-style access."""

    # every record class is a dataclass: said here so that `fields(self)` type-checks
    __dataclass_fields__: ClassVar[Dict[str, Any]]
    OMIT_IF_NONE: Tuple[str, ...] = ()  # optional fields left out of the JSON when unset
    NESTED: Dict[str, Any] = {}  # field -> the Record class (or list of it) it holds

    def to_json(self) -> dict:
        out: dict = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.name in self.OMIT_IF_NONE:
                continue
            if isinstance(value, Record):
                value = value.to_json()
            elif isinstance(value, list) and value and isinstance(value[0], Record):
                value = [v.to_json() for v in value]
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: Any):
        if not isinstance(data, dict):
            raise RecordError(f"must be an object, got {_kind(data)}")
        values = {}
        for f in fields(cls):
            meta = f.metadata
            if f.name not in data:
                if meta.get("required", True):
                    raise RecordError(f"field {f.name!r} is missing")
                continue
            value = data[f.name]
            if not meta["check"](value):
                raise RecordError(f"field {f.name!r} must be {meta['what']}; got {_kind(value)}")
            nested = cls.NESTED.get(f.name)
            if nested is not None and value is not None:
                try:
                    if isinstance(nested, list):
                        value = [nested[0].from_json(v) for v in value]
                    else:
                        value = nested.from_json(value)
                except RecordError as exc:
                    raise RecordError(f"field {f.name!r}: {exc}") from None
            values[f.name] = value
        return cls(**values)

    # dict-style access, as harness 0.1's plain records had
    def __getitem__(self, key: str) -> Any:
        value = getattr(self, key, None) if isinstance(key, str) else None
        if value is None and key not in self:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        value = getattr(self, key, None) if isinstance(key, str) else None
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in {f.name for f in fields(self)} \
            and (getattr(self, key) is not None or key not in self.OMIT_IF_NONE)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    names: Dict[type, str] = {list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


# -- the header ---------------------------------------------------------------------------------
@dataclass
class ScenarioInfo(Record):
    name: str = spec(_str)
    hash: str = spec(_str)
    description: str = spec(_str, required=False, default="")


@dataclass
class BreakpointInfo(Record):
    function: str = spec(_str)
    at: str = spec(_str)
    capture: List[str] = spec(_list_of(_str), "a list of names", factory=list)
    when: Optional[str] = spec(_opt(_str), "a string or null", required=False)
    key: List[str] = spec(_list_of(_str), "a list of names", required=False, factory=list)


@dataclass
class Header(Record):
    kind: str = spec(_str)
    format: str = spec(_str)
    version: int = spec(_int)
    harness: str = spec(_str, required=False, default="?")
    scenario: ScenarioInfo = spec(lambda v: isinstance(v, dict), "an object")
    breakpoints: List[BreakpointInfo] = spec(lambda v: isinstance(v, list), "a list",
                                             required=False, factory=list)
    torch: str = spec(_str, required=False, default="?")
    python: str = spec(_str, required=False, default="?")
    backend: str = spec(_str, required=False, default="?")
    optimize: int = spec(_int, required=False, default=0)
    hashseed: Optional[str] = spec(_opt(_str), "a string or null", required=False)
    # The value encoding it was written with; files from before it was recorded are 1.
    encoding: Optional[int] = spec(_opt(_int), "an integer", required=False)
    # What was scripted: "module", "function" or "class" (`recording/subjects.py`); null when
    # the factory returned none of them or failed. Files from before it existed: "module".
    subject: Optional[str] = spec(_opt(_str), "a string or null", required=False,
                                  default="module")

    OMIT_IF_NONE = ("encoding",)
    NESTED = {"scenario": ScenarioInfo, "breakpoints": [BreakpointInfo]}

    @property
    def encoding_version(self) -> int:
        return self.encoding or 1


# -- sources and stops --------------------------------------------------------------------------
@dataclass
class Source(Record):
    kind: str = spec(_str)
    function: str = spec(_str)
    qualname: str = spec(_str, required=False, default="")
    file: str = spec(_str, required=False, default="?")
    first_line: int = spec(_int, required=False, default=1)
    sha256: str = spec(_str, required=False, default="")
    text: Optional[str] = spec(_opt(_str), "a string or null", required=False)


EVENTS = ("enter", "return", "line")


@dataclass
class Stop(Record):
    kind: str = spec(_str)
    index: int = spec(_int)
    function: str = spec(_str)
    breakpoint: int = spec(_int)
    event: str = spec(lambda v: v in EVENTS, "enter, return or line")
    line: int = spec(_int)
    call: int = spec(_int)
    parent: Optional[int] = spec(_opt(_int), "an integer or null")
    depth: int = spec(_int)
    subject: Optional[str] = spec(_opt(_str), "a string or null")
    locals: Dict[str, Any] = spec(_dict_of(_any), "an object of captured values", factory=dict)
    absent: Optional[List[str]] = spec(_opt(_list_of(_str)), "a list of names",
                                       required=False)

    OMIT_IF_NONE = ("absent",)

    def to_json(self) -> dict:  # the generic one, spelled out: it runs at every stop
        out = {"kind": self.kind, "index": self.index, "function": self.function,
               "breakpoint": self.breakpoint, "event": self.event, "line": self.line,
               "call": self.call, "parent": self.parent, "depth": self.depth,
               "subject": self.subject, "locals": self.locals}
        if self.absent is not None:
            out["absent"] = self.absent
        return out


# -- the end ------------------------------------------------------------------------------------
@dataclass
class ErrorInfo(Record):
    type: str = spec(_str)
    message: str = spec(_str)
    phase: str = spec(_str, required=False, default="script")
    attribute: Optional[str] = spec(_opt(_str), "a string", required=False)

    OMIT_IF_NONE = ("attribute",)


@dataclass
class WarningInfo(Record):
    category: str = spec(_str)
    message: str = spec(_str)
    count: int = spec(_int, required=False, default=1)


@dataclass
class Diagnosis(Record):
    """What went wrong in a failed run, worked out by the harness from torch's error and what
    it watched (the phase, the module, the attribute or method), and what usually fixes it.
    The error itself, and the outcome, are torch's: see `End.error`."""

    kind: str = spec(_str)  # one of DIAGNOSIS_KINDS ("other" when read, if not)
    phase: str = spec(_str)  # e.g. "inferring the module's type"
    summary: str = spec(_str)  # one line: what failed, where
    fix: str = spec(_str, required=False, default="")
    module: Optional[str] = spec(_opt(_str), "a string or null", required=False)  # its path
    module_class: Optional[str] = spec(_opt(_str), "a string or null", required=False)
    attribute: Optional[str] = spec(_opt(_str), "a string or null", required=False)
    method: Optional[str] = spec(_opt(_str), "a string or null", required=False)
    reason: Optional[str] = spec(_opt(_str), "a string or null", required=False)
    where: Optional[str] = spec(_opt(_str), "a string or null", required=False)  # file:line
    stops: List[int] = spec(_list_of(_int), "a list of stop indexes", required=False,
                            factory=list)  # the stops that show it
    advice: Optional[str] = spec(_opt(_str), "a string or null", required=False)
    # What to edit, besides `attribute` and `method`: a property of the module's class, a free
    # function the scripted code calls (its qualified name), a hook (how it reads), and the
    # construct TorchScript refused (e.g. "a generator expression").
    property: Optional[str] = spec(_opt(_str), "a string or null", required=False)
    function: Optional[str] = spec(_opt(_str), "a string or null", required=False)
    hook: Optional[str] = spec(_opt(_str), "a string or null", required=False)
    construct: Optional[str] = spec(_opt(_str), "a string or null", required=False)
    # With `run --keep-going`: the change the harness applied at run time to check the fix
    # ("with X, scripting gets past this"), or why no check was possible.
    checked: Optional[str] = spec(_opt(_str), "a string or null", required=False)

    OMIT_IF_NONE = ("module", "module_class", "attribute", "method", "reason", "where",
                    "advice", "property", "function", "hook", "construct", "checked")

    @classmethod
    def from_json(cls, data: Any) -> "Diagnosis":
        """As every record; a kind this harness does not know reads as "other": kinds are added
        within format version 1 (a newer harness's file is still version 1), and a reader
        shows an unknown one as it shows "other", by its summary and fix."""
        diagnosis = super().from_json(data)
        if diagnosis.kind not in DIAGNOSIS_KINDS:
            diagnosis.kind = "other"
        return diagnosis


# docs/diagnosis.md describes each kind. "method-compile" is only read: harness 0.2 wrote it
# for every compile error; the kinds from torch's message and the source replaced it.
DIAGNOSIS_KINDS = ("attribute-type", "function-attribute", "missing-attribute",
                   "uninitialized", "hook", "method-compile", "prepare-scriptable",
                   "type-builder", "model-constructor",
                   # from torch's message and the user's source at the line it marks
                   "unsupported-syntax", "uncompilable-call", "type-mismatch",
                   "optional-not-refined", "unannotated-argument", "property",
                   "module-internals", "module-list",
                   "other")

# incomplete: the harness could not record the whole run (the model's code turned its tracer
# off, or the harness itself failed); `error` says what, with phase "recording" for the latter
OUTCOMES = ("ok", "error", "stopped", "incomplete")


@dataclass
class End(Record):
    kind: str = spec(_str)
    outcome: str = spec(lambda v: v in OUTCOMES, "ok, error, stopped or incomplete")
    stops: int = spec(_int)
    stopped_by: Optional[str] = spec(_opt(_str), "a string", required=False)
    error: Optional[ErrorInfo] = spec(_opt(lambda v: isinstance(v, dict)), "an object",
                                      required=False)
    scripted: Optional[Dict[str, Any]] = spec(_opt(_dict_of(_any)), "an object",
                                              required=False)
    warnings: List[WarningInfo] = spec(lambda v: isinstance(v, list), "a list",
                                       required=False, factory=list)
    never_present: Dict[str, List[str]] = spec(_dict_of(_list_of(_str)), "an object of lists",
                                               required=False, factory=dict)
    never_stopped: List[str] = spec(_list_of(_str), "a list of strings", required=False,
                                    factory=list)
    when_errors: Dict[str, str] = spec(_dict_of(_str), "an object of strings", required=False,
                                       factory=dict)
    stops_seen: Optional[int] = spec(_opt(_int), "an integer", required=False)
    diagnosis: Optional[Diagnosis] = spec(_opt(lambda v: isinstance(v, dict)), "an object",
                                          required=False)

    # What was scripted, when the header could not say: a record made while the factory ran
    # (a breakpoint in the model's own code) is written at once, header first, before the
    # subject is known, so that a run killed there keeps it.
    subject: Optional[str] = spec(_opt(_str), "a string or null", required=False)

    OMIT_IF_NONE = ("stopped_by", "error", "scripted", "stops_seen", "diagnosis", "subject")
    NESTED = {"error": ErrorInfo, "warnings": [WarningInfo], "diagnosis": Diagnosis}


KINDS: Dict[str, Type[Record]] = {"header": Header, "source": Source, "stop": Stop, "end": End}


def from_json(data: Any) -> Record:
    """Any record from its JSON, validated; RecordError says what is wrong with it."""
    if not isinstance(data, dict):
        raise RecordError(f"a record must be an object, got {_kind(data)}")
    kind = data.get("kind")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise RecordError(f"unknown record kind {kind!r}")
    record = cls.from_json(data)
    if isinstance(record, Stop):
        check_values(record.locals, "locals")
    return record


def check_values(value: Any, where: str) -> None:
    """Captured values must be plain JSON data, finite, and not nested past MAX_VALUE_DEPTH."""
    stack: List[Tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_VALUE_DEPTH:
            raise RecordError(f"{where}: values nested more than {MAX_VALUE_DEPTH} deep")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise RecordError(f"{where}: a number that is not finite ({item})")
