"""Compare two snapshots of one scenario: what changed inside torch (or the model) between them.

Stops are paired by what they are, not where they sit: the function, the event, the `at` of
their breakpoint, the module being worked on (`subject`), and the values of the breakpoint's
`key` locals (e.g. `name` in `infer_type`); stops that share all of that are paired in order.
Line numbers, indexes and call numbers do not count: torch moving code is not a difference, the
code changing is, and that shows as a changed source.

This module compares and returns data (`DiffReport`); `show/render_diff.py` shows it. Reads
snapshot records only: no torch needed.
"""
from __future__ import annotations

import ast
import difflib
import hashlib
import json
import textwrap
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Tuple

from .records import DIGESTS_ALIKE_UP_TO, Source, Stop, Tag, path_label, same_data
from .text import counted
from .snapshot import Snapshot, key_label

HEADER_FIELDS = ("torch", "python", "backend", "optimize", "hashseed")


@dataclass(frozen=True)
class StopRef:
    """A stop as a report names it: its index, what identifies it, and its captured values."""

    index: int
    event: str
    subject: Optional[str]
    key: Tuple[Tuple[str, Any], ...]  # the breakpoint's key locals and their values
    locals: Dict[str, Any] = field(compare=False, hash=False)
    absent: Optional[List[str]] = field(default=None, compare=False, hash=False)
    hint: str = field(default="", compare=False, hash=False)  # tells it from its look-alikes

    @property
    def identity(self) -> str:
        """`return custom_layer1 name=weights`: what pairs it with its twin, and, where other
        stops share that, what tells them apart (`name='weights'`, or `2 of 5`)."""
        return f"{self.event} {path_label(self.subject)}" + "".join(
            f" {k}={v}" for k, v in self.key) + self.hint

    def to_data(self) -> dict:
        return {"index": self.index, "identity": self.identity, "locals": self.locals}


@dataclass
class ValueChange:
    path: str  # e.g. "attr_type.jit_type"
    a: Any
    b: Any


@dataclass
class StopChange:
    identity: str
    a_index: int
    b_index: int
    changes: List[ValueChange]


@dataclass
class SourceChange:
    code_changed: bool  # False: only comments, docstrings or layout differ
    code_diff: List[str]  # unified diff of the code with those left out (empty if the same)
    text_diff: List[str]  # unified diff of the stored source text


@dataclass
class FunctionReport:
    only_a: List[StopRef] = field(default_factory=list)
    only_b: List[StopRef] = field(default_factory=list)
    changed: List[StopChange] = field(default_factory=list)
    source: Optional[SourceChange] = None


@dataclass
class DiffReport:
    a: str
    b: str
    header: Dict[str, Tuple[Any, Any]] = field(default_factory=dict)
    scenario: Optional[Tuple[Any, Any]] = None
    functions: "OrderedDict[str, FunctionReport]" = field(default_factory=OrderedDict)
    warnings: Tuple[List[str], List[str]] = ([], [])  # only in A, only in B
    outcome: Optional[Tuple[Any, Any]] = None
    paired: int = 0
    # the value encodings of A and B, when they differ: values are then not compared
    encoding: Optional[Tuple[int, int]] = None
    contents: bool = True  # False: tensors compared by shape, dtype and device only
    # two encodings that sum tensors alike only up to this many bytes: larger tensors'
    # digests are left out (`records.DIGESTS_ALIKE_UP_TO`)
    digests_up_to: Optional[int] = None
    digests_left_out: int = 0  # how many tensors' digests that left out, in both files
    # functions with stops but no source record, in A and in B: their code cannot be compared
    missing_sources: Tuple[List[str], List[str]] = ([], [])

    @property
    def counts(self) -> Dict[str, int]:
        fns = self.functions.values()
        return {
            "only_a": sum(len(f.only_a) for f in fns),
            "only_b": sum(len(f.only_b) for f in fns),
            "changed": sum(len(f.changed) for f in fns),
            "sources": sum(1 for f in fns if f.source and f.source.code_changed),
            "reformatted": sum(1 for f in fns if f.source and not f.source.code_changed),
            "paired": self.paired,
            "missing_sources": len(self.missing_sources[0]) + len(self.missing_sources[1]),
        }

    @property
    def equal(self) -> bool:
        c = self.counts
        # The header's torch and Python versions are context, not a difference in the walk.
        return not (c["only_a"] or c["only_b"] or c["changed"] or c["sources"]
                    or self.warnings[0] or self.warnings[1] or self.outcome or self.scenario
                    or self.encoding or c["missing_sources"])

    def to_data(self) -> dict:
        return {
            "a": self.a, "b": self.b, "equal": self.equal, "counts": self.counts,
            "header": {k: {"a": a, "b": b} for k, (a, b) in self.header.items()},
            "scenario": None if self.scenario is None else
            {"a": self.scenario[0], "b": self.scenario[1]},
            "functions": {
                name: {
                    "only_a": [s.to_data() for s in f.only_a],
                    "only_b": [s.to_data() for s in f.only_b],
                    "changed": [{"identity": c.identity, "a_index": c.a_index,
                                 "b_index": c.b_index,
                                 "changes": [{"path": v.path, "a": v.a, "b": v.b}
                                             for v in c.changes]} for c in f.changed],
                    "source": None if f.source is None else {
                        "code_changed": f.source.code_changed, "code_diff": f.source.code_diff,
                        "text_diff": f.source.text_diff},
                } for name, f in self.functions.items()},
            "warnings": {"only_a": self.warnings[0], "only_b": self.warnings[1]},
            "outcome": None if self.outcome is None else
            {"a": self.outcome[0], "b": self.outcome[1]},
            "encoding": None if self.encoding is None else
            {"a": self.encoding[0], "b": self.encoding[1]},
            "tensor_contents_compared": self.contents,
            "digests_compared_up_to_bytes": self.digests_up_to,
            "digests_left_out": self.digests_left_out,
            "missing_sources": {"a": self.missing_sources[0], "b": self.missing_sources[1]},
        }


# -- identity ---------------------------------------------------------------------------------
Identity = Tuple[str, str, Optional[str], Tuple[Tuple[str, str], ...]]


def _at_of(snap: Snapshot, stop: Stop) -> str:
    bps = snap.header.breakpoints
    i = stop.breakpoint
    return bps[i].at if 0 <= i < len(bps) else stop.event


def _key_names(snap: Snapshot, stop: Stop) -> List[str]:
    bps = snap.header.breakpoints
    return list(bps[stop.breakpoint].key) if 0 <= stop.breakpoint < len(bps) else []


def _ref(snap: Snapshot, stop: Stop) -> Tuple[Identity, StopRef]:
    key = tuple((k, stop.locals.get(k)) for k in _key_names(snap, stop))
    ident = (stop.function, _at_of(snap, stop), stop.subject,
             tuple((k, json.dumps(v, sort_keys=True)) for k, v in key))
    # a value written as the same as an earlier stop's is compared as that value
    captured = {name: snap.value(stop, name) if isinstance(v, dict) and "same_as" in v else v
                for name, v in stop.locals.items()}
    return ident, StopRef(stop.index, stop.event, stop.subject, key, captured, stop.absent)


def _index(snap: Snapshot) -> "OrderedDict[Identity, List[StopRef]]":
    out: "OrderedDict[Identity, List[StopRef]]" = OrderedDict()
    for stop in snap.stops:
        ident, ref = _ref(snap, stop)
        out.setdefault(ident, []).append(ref)
    for ident, refs in out.items():
        if len(refs) > 1:
            out[ident] = _with_hints(refs)
    return out


def _with_hints(refs: List[StopRef]) -> List[StopRef]:
    """Stops that share an identity (a breakpoint without `key`, several stops in one module)
    pair in order; each is told apart by the first captured value that differs between all of
    them (`name='weights'`), else by its place among them (`2 of 5`)."""
    names = [n for n in refs[0].locals if n not in ("return", "raise")]
    for name in names:
        labels = [_hint_value(r.locals.get(name)) for r in refs]
        if None not in labels and len(set(labels)) == len(labels):
            return [replace(r, hint=f" {name}={label}") for r, label in zip(refs, labels)]
    return [replace(r, hint=f" ({i} of {len(refs)})") for i, r in enumerate(refs, 1)]


def _hint_value(value: Any) -> Optional[str]:
    if isinstance(value, (str, int, float, bool)) and len(repr(value)) <= 40:
        return repr(value)
    if isinstance(value, dict):
        if isinstance(value.get("path"), str):
            return f"<{path_label(value['path'])}>"
        if isinstance(value.get("name"), str) and len(value["name"]) <= 60:
            return value["name"]
    return None


# -- values -----------------------------------------------------------------------------------
CONTENT_FIELDS = ("digest", "sha256")  # what a tensor's contents leave in its value
# (sha256: value encoding 1's name for it)


def comparable(value: Any, contents: bool = True, digests_up_to: Optional[int] = None,
               left_out: Optional[List[dict]] = None) -> Any:
    """A value as compared: a grown container (`memo`) by what it gained, not by where its
    earlier part was written, so a change that torch made once is reported once, at the stop
    that made it; and without tensor contents when they are left out (all of them, or, with
    `digests_up_to`, those of tensors larger than that many bytes, each noted in `left_out`)."""
    if isinstance(value, list):
        return [comparable(v, contents, digests_up_to, left_out) for v in value]
    if not isinstance(value, dict):
        return value
    drop: Tuple[str, ...] = ("since",)
    if value.get("type") in Tag.TENSORS:
        if not contents:
            drop += CONTENT_FIELDS
        elif digests_up_to is not None and not _fits(value, digests_up_to):
            drop += CONTENT_FIELDS
            if left_out is not None and any(f in value for f in CONTENT_FIELDS):
                left_out.append(value)
    out = {k: comparable(v, contents, digests_up_to, left_out) for k, v in value.items()
           if k not in drop}
    if value.get("type") in PLACED:
        for name in ("where", "source"):
            if isinstance(out.get(name), str):
                out[name] = _without_torch_line(out[name])
    return out


# bytes an element of each dtype takes, as a tensor's value names it
_ELEMENT_BYTES = {"bool": 1, "uint8": 1, "int8": 1, "int16": 2, "int32": 4, "int64": 8,
                  "float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "complex32": 4,
                  "complex64": 8, "complex128": 16}


def _fits(tensor: dict, limit: int) -> bool:
    """Whether a tensor's value says it holds at most `limit` bytes (unknown: it does not)."""
    shape, size = tensor.get("shape"), _ELEMENT_BYTES.get(str(tensor.get("dtype")))
    if size is None or not isinstance(shape, list) \
            or not all(isinstance(n, int) and n >= 0 for n in shape):
        return False
    for n in shape:
        size *= n
    return size <= limit


# Frontend values that say where code is (`file:line`). A line of torch's own files moves with
# every release (its code changes above it); the user's lines do not. So torch's are compared
# by file alone: a method that moved within torch's file is not a change of the walk.
PLACED = Tag.WHERE + (Tag.METHOD_STUB, Tag.PARSED_DEF)


def _without_torch_line(where: str) -> str:
    path, _, line = where.rpartition(":")
    return path if path.startswith("torch/") and line.isdigit() else where


def value_changes(a: Any, b: Any, path: str = "") -> List[ValueChange]:
    """Differences between two encoded values, down to the nested field. Decided on the
    recorded data with its JSON types (`records.same_data`): `3` and `3.0` differ."""
    if same_data(a, b):
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        ta, tb = a.get("type"), b.get("type")
        if ta != tb:  # a different kind of value: show it whole
            return [ValueChange(path, a, b)]
        if ta == Tag.DICT and "items" in a and "items" in b:
            return _pairs_changes(a["items"], b["items"], path)
        if ta in (Tag.SET, Tag.FROZENSET):
            return _set_changes(a["items"], b["items"], path)
        if "items" in a and "items" in b and len(a["items"]) == len(b["items"]):
            out = []
            for i, (x, y) in enumerate(zip(a["items"], b["items"])):
                out += value_changes(x, y, f"{path}[{i}]")
            return out
        out = []
        for k in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{k}" if path else k
            if k not in a:
                out.append(ValueChange(sub, "<absent>", b[k]))
            elif k not in b:
                out.append(ValueChange(sub, a[k], "<absent>"))
            else:
                out += value_changes(a[k], b[k], sub)
        return out
    return [ValueChange(path, a, b)]


def _pairs_changes(a_items: list, b_items: list, path: str) -> List[ValueChange]:
    def keyed(items):
        return OrderedDict((json.dumps(k, sort_keys=True), (k, v)) for k, v in items)

    ka, kb = keyed(a_items), keyed(b_items)
    out = []
    for k in list(ka) + [k for k in kb if k not in ka]:
        label = key_label(ka.get(k, kb.get(k))[0])
        sub = f"{path}[{label}]"
        if k not in kb:
            out.append(ValueChange(sub, ka[k][1], "<absent>"))
        elif k not in ka:
            out.append(ValueChange(sub, "<absent>", kb[k][1]))
        else:
            out += value_changes(ka[k][1], kb[k][1], sub)
    if not out and list(ka) != list(kb):
        out.append(ValueChange(path + "(order)", [key_label(v[0]) for v in ka.values()],
                               [key_label(v[0]) for v in kb.values()]))
    return out


def _set_changes(a_items: list, b_items: list, path: str) -> List[ValueChange]:
    ja = {json.dumps(x, sort_keys=True): x for x in a_items}
    jb = {json.dumps(x, sort_keys=True): x for x in b_items}
    out = [ValueChange(f"{path}{{-}}", ja[k], "<absent>") for k in ja if k not in jb]
    out += [ValueChange(f"{path}{{+}}", "<absent>", jb[k]) for k in jb if k not in ja]
    return out


# -- the whole report -------------------------------------------------------------------------
def _compare_encodings(report: DiffReport, ea: int, eb: int) -> None:
    """A change in the harness's encoding must not read as a change in torch: values of two
    encodings are not compared, but for two that differ only in large tensors' digests."""
    if ea != eb:
        report.digests_up_to = DIGESTS_ALIKE_UP_TO.get(frozenset((ea, eb)))
        if report.digests_up_to is None:
            report.encoding = (ea, eb)


def diff(a: Snapshot, b: Snapshot, contents: bool = True) -> DiffReport:
    """Compare two snapshots; `contents=False` leaves tensors' contents out (shape, dtype and
    device still count): two models that draw different random numbers then compare equal."""
    report = DiffReport(a=a.path, b=b.path, contents=contents, missing_sources=([], []))
    for name in HEADER_FIELDS:
        if not same_data(a.header.get(name), b.header.get(name)):
            report.header[name] = (a.header.get(name), b.header.get(name))
    if a.header.scenario.name != b.header.scenario.name:
        report.scenario = (a.header.scenario.name, b.header.scenario.name)

    _compare_encodings(report, a.header.encoding_version, b.header.encoding_version)

    ia, ib = _index(a), _index(b)
    left_out: List[dict] = []
    for ident in list(ia) + [i for i in ib if i not in ia]:
        function = ident[0]
        fr = report.functions.setdefault(function, FunctionReport())
        left, right = ia.get(ident, []), ib.get(ident, [])
        for x, y in zip(left, right):
            report.paired += 1
            if report.encoding:
                continue
            changes = value_changes(
                comparable(x.locals, contents, report.digests_up_to, left_out),
                comparable(y.locals, contents, report.digests_up_to, left_out))
            if x.absent != y.absent:
                changes.append(ValueChange("(absent)", x.absent, y.absent))
            if changes:
                fr.changed.append(StopChange(x.identity, x.index, y.index, changes))
        fr.only_a.extend(left[len(right):])
        fr.only_b.extend(right[len(left):])
    report.digests_left_out = len(left_out)

    for function in report.functions:
        src_a, src_b = a.sources.get(function), b.sources.get(function)
        # a source record one snapshot has and the other lacks (a file written by the harness
        # has one for each function it stopped in)
        if src_a is None and src_b is not None:
            report.missing_sources[0].append(function)
        if src_b is None and src_a is not None:
            report.missing_sources[1].append(function)
        # the hashes are the texts' own, worked out here: a file's stored sha256 is not trusted
        if src_a and src_b and source_hash(src_a) != source_hash(src_b):
            report.functions[function].source = compare_sources(src_a, src_b)

    wa, wb = _warning_texts(a), _warning_texts(b)
    report.warnings = ([w for w in wa if w not in wb], [w for w in wb if w not in wa])
    oa, ob = _outcome(a), _outcome(b)
    if oa != ob:
        report.outcome = (oa, ob)
    return report


# Past these, two source texts are not compared line by line (difflib's time grows with the
# square of the lines, and parsing a text takes many times its size): a real function of
# torch is a few hundred lines.
MAX_SOURCE_CHARS = 512 * 1024
MAX_SOURCE_LINES = 5000


def source_hash(src: Source) -> str:
    """The sha256 of a source record's text, worked out from the text (the stored one only
    when the text itself was not recorded)."""
    if src.text is None:
        return src.sha256
    return hashlib.sha256(src.text.encode("utf-8", "surrogatepass")).hexdigest()


def _too_long(text: str) -> bool:
    return len(text) > MAX_SOURCE_CHARS or text.count("\n") > MAX_SOURCE_LINES


def compare_sources(src_a: Source, src_b: Source) -> SourceChange:
    text_a, text_b = src_a.text or "", src_b.text or ""
    labels = (f"{src_a.file} (A, line {src_a.first_line})",
              f"{src_b.file} (B, line {src_b.first_line})")
    if _too_long(text_a) or _too_long(text_b):
        note = [f"the source texts differ ({counted(text_a.count(chr(10)) + 1, 'line')} in A, "
                f"{counted(text_b.count(chr(10)) + 1, 'line')} in B): too long to compare line "
                f"by line (over {MAX_SOURCE_LINES} lines or {MAX_SOURCE_CHARS // 1024} KB)"]
        return SourceChange(True, note, note)
    text_diff = _unified(text_a, text_b, labels)
    code_a, code_b = normalized_code(text_a), normalized_code(text_b)
    if code_a is None or code_b is None:  # unparsable here: only the text can be compared
        return SourceChange(True, text_diff, text_diff)
    return SourceChange(code_a != code_b, _unified(code_a, code_b, labels), text_diff)


def normalized_code(text: str) -> Optional[str]:
    """The function's code without comments, docstrings and layout: what it does, not how it
    is spelled, so a release that only reformats torch does not read as a change."""
    try:
        tree = ast.parse(textwrap.dedent(text))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body \
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def _unified(a: str, b: str, labels: Tuple[str, str]) -> List[str]:
    if a == b:
        return []
    return list(difflib.unified_diff(a.splitlines(), b.splitlines(), *labels, lineterm="", n=2))


def _warning_texts(snap: Snapshot) -> List[str]:
    end = snap.end
    return [f"{w.category}: {w.message}" for w in (end.warnings if end else [])]


def _outcome(snap: Snapshot) -> Any:
    end = snap.end
    if end is None:
        return "unfinished"
    if end.outcome == "error" and end.error is not None:
        first = (end.error.message.strip().splitlines() or [""])[0]
        found = (f" (diagnosis: {end.diagnosis.kind}: {end.diagnosis.summary})"
                 if end.diagnosis is not None else "")
        return f"error: {end.error.type}: {first}{found}"
    return end.outcome
