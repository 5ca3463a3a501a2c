"""The walk as a page: one self-contained HTML file of a snapshot, for a browser.

`walk_page(snap)` gives the page of one run: at the top the scenario, torch and Python, the
outcome and, for a failed run, the diagnosis with links to its stops; the model as a tree
(each module's path and class, its concrete type, its attributes with their inferred types,
failed and ignored attributes, constants, submodules, and links to its stops); the stops as a
call tree that filters by function, module and text; and, for the stop selected, its captured
values as an expandable tree and its function's source with the stop's line marked.

The page needs no network: its style and script (pages/style.css and pages/report.js, put in
pages/report.html by `page_assets`) are inline, the snapshot's data travels as JSON in a
`<script type="application/json">` element (with `<` escaped, so no value can close it), and
the script puts every piece of that data on the page as text (`textContent`), never as markup:
a snapshot from a stranger cannot run script in it. A Content-Security-Policy forbids loading
anything at all. No torch is needed to make it.
"""
from __future__ import annotations

import html
import json
from collections import OrderedDict
from typing import Any, Dict, List

from ..records import Stop, Tag, path_label, tag_of
from ..snapshot import Snapshot
from .page_assets import CSP, asset, fill
from .render import function_label
from .run_report import outcome_line
from .short import construct, flag, short_local


def embed(data: Any) -> str:
    """JSON that is safe inside a script element: no `<` (so no `</script>`), no `&`."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def walk_page(snap: Snapshot) -> str:
    return fill(asset("report.html"), csp=CSP,
                title=html.escape(f"harness: {snap.header.scenario.name}"),
                style=asset("style.css"), data=embed(walk_data(snap)), script=asset("report.js"))


# -- the data the page shows ------------------------------------------------------------------
def walk_data(snap: Snapshot) -> dict:
    stops: List[Stop] = list(snap.stops)
    functions: "OrderedDict[str, int]" = OrderedDict()
    for bp in snap.header.breakpoints:
        functions.setdefault(bp.function, len(functions))
    for stop in stops:
        functions.setdefault(stop.function, len(functions))
    end = snap.end
    diagnosis = None
    if end is not None and end.diagnosis is not None:
        diagnosis = end.diagnosis.to_json()
        if end.diagnosis.module is not None:
            diagnosis["module_label"] = (f"{path_label(end.diagnosis.module)} "
                                         f"({end.diagnosis.module_class})")
    return {
        "header": {"scenario": snap.header.scenario.name, "torch": snap.header.torch,
                   "python": snap.header.python, "backend": snap.header.backend,
                   "path": snap.path},
        "outcome": {"kind": snap.outcome, "line": outcome_line(end, stops),
                    "error": (f"{end.error.type}: {end.error.message}"
                              if end is not None and end.error is not None else None)},
        "problems": list(snap.problems),
        "diagnosis": diagnosis,
        "functions": [{"name": name, "label": function_label(name)} for name in functions],
        "stops": [_stop(snap, stop, functions) for stop in stops],
        "sources": {name: {"file": src.file, "first_line": src.first_line, "text": src.text}
                    for name, src in snap.sources.items()},
        "modules": modules(stops),
    }


def _stop(snap: Snapshot, stop: Stop, functions: Dict[str, int]) -> dict:
    short = {name: short_local(name, value, 80) for name, value in stop.locals.items()}
    text = "  ".join(f"{name}={value}" for name, value in short.items())
    out = {"i": stop.index, "f": functions[stop.function], "e": stop.event, "l": stop.line,
           "c": stop.call, "p": stop.parent, "d": stop.depth,
           "module": path_label(stop.subject), "flag": flag(stop), "text": text[:300],
           "code": construct(stop),
           "search": f"{stop.function} {path_label(stop.subject)} {text}".lower(),
           "locals": stop.locals, "short": short}
    if stop.absent:
        out["absent"] = stop.absent
    return out


def modules(stops: List[Stop]) -> List[dict]:
    """The model as a tree, from what the stops captured: each module's class and type, its
    attributes (as `infer_type` typed them, as its builder holds them), and its stops."""
    found: "OrderedDict[str, dict]" = OrderedDict()

    def module(path: str) -> dict:
        if path not in found:
            found[path] = {"path": path, "label": path_label(path), "cls": None,
                           "jit_type": None, "attributes": {}, "failed_attributes": {},
                           "constants": {}, "ignored": [], "children": [], "stops": [],
                           "failed": 0, "parent": None}
        return found[path]

    for stop in stops:
        for value in stop.locals.values():
            if tag_of(value) == Tag.NN_MODULE and isinstance(value.get("path"), str):
                entry = module(value["path"])
                entry["cls"] = entry["cls"] or str(value.get("class", "")).rsplit(".", 1)[-1]
        if stop.subject is None:
            continue
        entry = module(stop.subject)
        entry["stops"].append(stop.index)
        if flag(stop) == "✗":
            entry["failed"] += 1
        name, typed = stop.locals.get("name"), stop.locals.get("attr_type")
        if isinstance(name, str) and isinstance(typed, dict) \
                and tag_of(typed) == Tag.INFERRED_TYPE:
            entry["attributes"][name] = _typed(typed)
        for value in stop.locals.values():
            tag = tag_of(value)
            if tag == Tag.CONCRETE_TYPE and isinstance(value.get("jit_type"), str):
                entry["jit_type"] = entry["jit_type"] or value["jit_type"]
            elif tag == Tag.BUILDER:
                _from_builder(entry, value)
    for path, entry in found.items():
        if path:
            parent = path.rsplit(".", 1)[0] if "." in path else ""
            if parent in found:
                entry["parent"] = parent
                found[parent]["children"].append(path)
    return list(found.values())


def _typed(value: dict) -> dict:
    if value.get("success"):
        return {"ok": True, "type": str(value.get("jit_type", ""))}
    reason = value.get("reason")
    reason = str(reason.get("value", "")) if isinstance(reason, dict) else str(reason or "")
    if reason.startswith("Cannot infer concrete type of torch.nn.Module"):
        return {"ok": "submodule"}
    return {"ok": False, "reason": reason}


def _mapping(value: Any) -> Dict[Any, Any]:
    """A field the page reads as a mapping; anything else (a stranger's file) as empty."""
    return value if isinstance(value, dict) else {}


def _from_builder(entry: dict, value: dict) -> None:
    for name, attribute in _mapping(value.get("attributes")).items():
        if isinstance(attribute, dict):
            entry["attributes"].setdefault(name, {"ok": True,
                                                  "type": str(attribute.get("jit_type", ""))})
    for name, hint in _mapping(value.get("failed_attributes")).items():
        entry["failed_attributes"][name] = hint if isinstance(hint, str) else json.dumps(hint)
    for name, constant in _mapping(value.get("constants")).items():
        entry["constants"][name] = json.dumps(constant)
    ignored = value.get("ignored_attributes")
    for name in ignored if isinstance(ignored, list) else []:
        if isinstance(name, str) and name not in entry["ignored"]:
            entry["ignored"].append(name)
