"""Values on one line: the short form of each encoded value, and the flag of each stop.

One short form per value tag (`SHORT_FORMS`): a new encoder adds its line here and nothing
else. Everything that came from a snapshot or a model passes through `text.safe_line`:
control characters and escape sequences are shown escaped, never sent to the terminal.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List

from ..records import Stop, Tag, path_label, tag_of
from ..text import counted, safe_line

SHORT_WIDTH = 70
SUBMODULE_REASON = "Cannot infer concrete type of torch.nn.Module"

# A stop's flag: what it shows at a glance.
FAILED, SUBMODULE, TYPED, PLAIN = "✗", "↳", "✓", "·"


def short(value: Any, width: int = SHORT_WIDTH) -> str:
    """A value on one line, at most `width` characters, safe for a terminal."""
    text = safe_line(_short(value, width))
    return text if len(text) <= width else text[: width - 1] + "…"


def _short(v: Any, width: int) -> str:
    tag = tag_of(v)
    if tag is None:
        return repr(v)
    form = SHORT_FORMS.get(tag)
    if form is not None:
        try:
            return str(form(v, width))
        except SHAPE_ERRORS:
            pass  # a value of an unexpected shape (a file not written by the harness)
    try:
        if "repr" in v:
            return str(v["repr"])
        if "message" in v:
            return f"{tag}: {' '.join(_plain(v['message']).split())}"
    except SHAPE_ERRORS:
        pass
    return tag


# what reading a value of a shape the harness never writes raises (a stranger's file)
SHAPE_ERRORS = (LookupError, TypeError, ValueError, AttributeError, RecursionError)


def _plain(text: Any) -> str:
    return text["value"] + "…" if isinstance(text, dict) else str(text)


def _join(parts: Iterable[str], v: dict, width: int) -> str:
    out: List[str] = []
    used = 0
    for part in parts:
        if used + len(part) > width:
            out.append("…")
            break
        out.append(part)
        used += len(part) + 2
    else:
        if v.get("truncated"):
            out.append(f"…{v['truncated']} in all")
    return ", ".join(out)


def _sequence(v: dict, width: int) -> str:
    open_, close = {Tag.LIST: ("[", "]"), Tag.TUPLE: ("(", ")")}.get(v["type"], ("{", "}"))
    return open_ + _join((_short(i, width) for i in v["items"]), v, width) + close


def _dict(v: dict, width: int) -> str:
    pairs = (f"{_short(k, width)}: {_short(x, width)}" for k, x in v["items"])
    return "{" + _join(pairs, v, width) + "}"


def _tensor(v: dict, width: int) -> str:
    shape = "×".join(str(n) for n in v["shape"]) or "scalar"
    return f"{v['type']}[{shape} {v['dtype']}]"


def _nn_module(v: dict, width: int) -> str:
    cls = v["class"].rsplit(".", 1)[-1]
    return f"<{path_label(v['path'])}: {cls}>" if v.get("path") is not None else f"<{cls}>"


def _inferred_type(v: dict, width: int) -> str:
    return f"✓ {v['jit_type']}" if v["success"] else f"✗ {_plain(v['reason'])}"


def _concrete_type(v: dict, width: int) -> str:
    if isinstance(v.get("same_as"), dict):
        return f"ConcreteModuleType({v['jit_type']}, as at #{v['same_as']['stop']})"
    truncated = v.get("truncated")
    cut = truncated if isinstance(truncated, dict) else {}
    count = {k: cut.get(k, len(v[k])) for k in ("attributes", "modules", "constants")}
    return (f"ConcreteModuleType({v['jit_type']}: {counted(count['attributes'], 'attr')}, "
            f"{counted(count['modules'], 'module')}, {counted(count['constants'], 'const')})")


def _builder(v: dict, width: int) -> str:
    if v.get("recorded") is False:
        return "ConcreteModuleTypeBuilder(not recorded)"
    parts = []
    # failed attributes first: they are why one looks at a builder
    for key, label in (("failed_attributes", "failed"), ("attributes", "attrs"),
                       ("modules", "modules"), ("constants", "consts")):
        if v.get(key):
            parts.append(f"{label}: {', '.join(v[key])}")
    cls = (v.get("py_class") or "?").rsplit(".", 1)[-1]
    return f"builder({cls}; {'; '.join(parts) or 'empty'})"


def _where(v: dict) -> str:
    """` at file:line 'code'`: where in the user's source a frontend value stands."""
    out = f" {v['where']}" if v.get("where") else ""
    return out + (f" {v['code']!r}" if v.get("code") else "")


def _tree_view(v: dict, width: int) -> str:
    """By its S-expression: what TorchScript made of the code (the stop's line says which
    code, see `construct`)."""
    name = f" {v['name']}" if v.get("name") else ""
    return f"{v['kind']}{name} {v.get('sexpr', '')}".rstrip()


def _method_stub(v: dict, width: int) -> str:
    where = f" @ {v['source']}" if v.get("source") else ""
    return f"stub {v['method']}{where}"


SHORT_FORMS: Dict[str, Callable[[dict, int], str]] = {
    Tag.LOCAL: lambda v, w: f"<{v['name']}>",
    Tag.ID: lambda v, w: f"id({path_label(v['of'])})",
    Tag.FLOAT: lambda v, w: str(v["value"]),
    Tag.STR: lambda v, w: repr(v["value"]) + "…",
    Tag.LIST: _sequence, Tag.TUPLE: _sequence, Tag.SET: _sequence, Tag.FROZENSET: _sequence,
    Tag.DICT: _dict,
    Tag.FUNCTION: lambda v, w: v["name"], Tag.BUILTIN: lambda v, w: v["name"],
    Tag.METHOD: lambda v, w: v["name"], Tag.CLASS: lambda v, w: v["name"],
    Tag.MODULE: lambda v, w: v["name"],
    Tag.ANNOTATION: lambda v, w: v["text"],
    Tag.TENSOR: _tensor, Tag.PARAMETER: _tensor,
    Tag.NN_MODULE: _nn_module,
    Tag.SCRIPT_MODULE: lambda v, w: f"<script {v.get('qualified_name') or v.get('original_name')}>",
    Tag.INFERRED_TYPE: _inferred_type,
    Tag.JIT_TYPE: lambda v, w: v["name"],
    Tag.CONCRETE_TYPE: _concrete_type,
    Tag.BUILDER: _builder,
    Tag.DTYPE: lambda v, w: v["name"], Tag.DEVICE: lambda v, w: v["name"],
    Tag.SIZE: lambda v, w: f"Size({list(v['items'])})",
    Tag.AST: lambda v, w: f"ast.{v['node']} {v['where']}" if v.get("where") else
    f"ast.{v['node']}{_where(v)}",
    Tag.TREE_VIEW: _tree_view,
    Tag.SOURCE_RANGE: lambda v, w: f"range{_where(v) or ' ?'}",
    Tag.SOURCE_CONTEXT: lambda v, w: f"source of {v.get('function') or '?'} in {v['file']}",
    Tag.PARSED_DEF: lambda v, w: f"parsed {v.get('function') or '?'} @ {v['where']}",
    Tag.METHOD_STUB: _method_stub,
    Tag.PROPERTY_STUB: lambda v, w: f"property stub {v.get('def') or '?'}",
    Tag.RESOLUTION_CALLBACK: lambda v, w: f"resolution callback ({v['scope']})",
    Tag.SCRIPT_FUNCTION: lambda v, w: f"<script function {v['qualified_name']}>",
}


def construct(stop: Stop) -> str:
    """The user's code a stop in torch's frontend is compiling, as `file:line: code`, or "".
    An input (the ast node a `build_*` method is given) comes before an output (the tree
    view it returns), and either before a range: the first captured value that says."""
    found = ""
    rank = len(Tag.WHERE)
    for value in stop.locals.values():
        tag = tag_of(value)
        if tag in Tag.WHERE and isinstance(value.get("where"), str) \
                and Tag.WHERE.index(tag) < rank:
            rank = Tag.WHERE.index(tag)
            code = value.get("code")
            found = value["where"] + (f": {code}" if isinstance(code, str) and code else "")
    return safe_line(found)


# -- values in their stop -----------------------------------------------------------------
def is_submodule_type(value: Any) -> bool:
    """`infer_type` on a submodule: the type fails on purpose (the submodule is then typed
    by a walk of its own), so it is no failure."""
    return (tag_of(value) == Tag.INFERRED_TYPE and value.get("success") is False
            and isinstance(value.get("reason"), str)
            and value["reason"].startswith(SUBMODULE_REASON))


def grown(value: Any) -> bool:
    """A value written as what it gained since an earlier stop (`memo`)."""
    return tag_of(value) in (Tag.DICT, Tag.LIST) and isinstance(value.get("since"), dict)


def short_local(name: str, value: Any, width: int = SHORT_WIDTH) -> str:
    """A captured value on one line, as its stop shows it: a submodule's type as a submodule,
    a grown container (`memo`) by what the stop added."""
    if is_submodule_type(value):
        return "↳ submodule"
    if grown(value):
        try:
            total = int(value["since"]["count"]) + len(value["items"])
            added = short({k: v for k, v in value.items() if k != "since"}, width)
        except (KeyError, TypeError, ValueError):
            return short(value, width)
        return f"+{added} ({total} in all)"
    return short(value, width)


def flag(stop: Stop) -> str:
    """✗ a real failure (an exception left, a type that could not be inferred, a builder with
    failed attributes); ↳ a submodule's expected non-type; ✓ a type inferred; · otherwise."""
    result = PLAIN
    for value in stop.locals.values():
        tag = tag_of(value)
        if tag == Tag.INFERRED_TYPE:
            if is_submodule_type(value):
                result = SUBMODULE if result == PLAIN else result
            elif value.get("success") is False:
                return FAILED
            elif result == PLAIN:
                result = TYPED
        elif tag == Tag.BUILDER and value.get("failed_attributes"):
            return FAILED
    if "raise" in stop.locals:
        return FAILED
    return result
