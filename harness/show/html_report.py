"""The walk as a page: one self-contained HTML file of a snapshot, for a browser.

`walk_page(snap)` gives the page of one run: at the top the scenario, torch and Python, the
outcome and, for a failed run, the diagnosis with links to its stops; the model as a tree
(each module's path and class, its concrete type, its attributes with their inferred types,
failed and ignored attributes, constants, submodules, and links to its stops); the stops as a
call tree that filters by function, module and text; and, for the stop selected, its captured
values as an expandable tree and its function's source with the stop's line marked.

The page needs no network: its style and script are inline, the snapshot's data travels as
JSON in a `<script type="application/json">` element (with `<` escaped, so no value can close
it), and the script puts every piece of that data on the page as text (`textContent`), never
as markup: a snapshot from a stranger cannot run script in it. A Content-Security-Policy
forbids loading anything at all. No torch is needed to make it.
"""
from __future__ import annotations

import html
import json
from collections import OrderedDict
from typing import Any, Dict, List

from ..records import Stop, Tag, path_label, tag_of
from ..snapshot import Snapshot
from .render import function_label
from .run_report import outcome_line
from .short import construct, flag, short_local

CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data:; base-uri 'none'; form-action 'none'")

STYLE = """
:root { --bg: #fdfdfb; --fg: #1d1f21; --dim: #6b6f76; --line: #e3e3de; --hi: #fff4c2;
        --bad: #b3261e; --ok: #1b6e3a; --sub: #6a4fb3; --code: #f5f5f0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
       color: var(--fg); background: var(--bg); height: 100vh; display: flex;
       flex-direction: column; }
header { padding: 12px 20px; border-bottom: 1px solid var(--line); flex: none;
         max-height: 45vh; overflow: auto; }
h1 { font-size: 18px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 0 0 8px; }
.meta, .dim { color: var(--dim); }
.outcome-ok { color: var(--ok); font-weight: 600; }
.outcome-error, .outcome-unfinished, .outcome-incomplete { color: var(--bad); font-weight: 600; }
.outcome-stopped { color: #8a6d00; font-weight: 600; }
pre, code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
                   font-size: 12.5px; }
pre { white-space: pre-wrap; margin: 4px 0; }
.error { background: #fff1f0; border: 1px solid #f3c4c0; padding: 8px 10px; border-radius: 4px;
         max-height: 140px; overflow: auto; }
.diagnosis { background: #f4f7ff; border: 1px solid #cdd8f4; padding: 8px 12px;
             border-radius: 4px; margin-top: 8px; }
.diagnosis dt { font-weight: 600; float: left; width: 90px; clear: left; }
.diagnosis dd { margin: 0 0 2px 96px; }
main { display: grid; grid-template-columns: minmax(260px, 1fr) minmax(320px, 1.3fr)
       minmax(360px, 1.6fr); gap: 0; flex: 1; min-height: 0; }
section { padding: 10px 14px; overflow: auto; border-right: 1px solid var(--line);
          min-height: 0; }
details { margin: 1px 0 1px 8px; }
summary { cursor: pointer; }
.module > summary { font-weight: 500; }
.cls { color: var(--sub); }
table.attrs { border-collapse: collapse; margin: 4px 0 6px 14px; }
table.attrs td { padding: 1px 8px 1px 0; vertical-align: top; }
.bad { color: var(--bad); } .ok { color: var(--ok); } .subm { color: var(--sub); }
.filters { display: flex; gap: 6px; flex-wrap: wrap; margin-bottom: 6px;
           position: sticky; top: 0; background: var(--bg); padding: 4px 0; }
.filters select, .filters input { font: inherit; padding: 2px 4px; }
.stop { padding: 1px 4px; cursor: pointer; white-space: nowrap; overflow: hidden;
        text-overflow: ellipsis; border-radius: 3px; }
.stop:hover { background: #f0f0ea; }
.stop.selected { background: var(--hi); }
.stop .n { color: var(--dim); display: inline-block; min-width: 44px; }
.stop .fn { color: #0b5cad; }
.stop .ev { color: #8a6d00; }
.stop .mod { color: var(--ok); }
.code { color: #8a3ab9; }
.hidden { display: none; }
.tree { margin-left: 6px; }
.tree .k { color: #0b5cad; }
.source { background: var(--code); border: 1px solid var(--line); border-radius: 4px;
          padding: 4px 0; overflow: auto; max-height: 55vh; position: relative; }
.source div { white-space: pre; padding: 0 8px; }
.source .at { background: var(--hi); font-weight: 600; }
.module.failing > summary { background: #fff1f0; border-radius: 3px; }
.source .ln { color: var(--dim); display: inline-block; min-width: 42px; user-select: none; }
a { color: #0b5cad; cursor: pointer; }
.count { color: var(--dim); font-size: 12px; }
"""

SCRIPT = r"""
"use strict";
const data = JSON.parse(document.getElementById("data").textContent);
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const kid of kids) {
    if (kid === null || kid === undefined) continue;
    node.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return node;
}
function counted(n, noun) {  // harness.text.counted: "1 stop", "2 stops"
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
// A stop's address is `#stop-N`: links carry it, selecting a stop puts it in the address
// bar, and a page opened at one (report.html#stop-16) selects that stop.
function stopLink(index) {
  return el("a", {href: "#stop-" + index, "data-stop": index,
                  onclick: () => select(index, true)}, "#" + index);
}
function stopFromAddress() {
  const m = /^#stop-(\d+)$/.exec(location.hash);
  return m ? Number(m[1]) : null;
}
function openAddress() {
  const index = stopFromAddress();
  if (index !== null && data.byIndex[index]) select(index, true);
}

// -- the top --------------------------------------------------------------------------------
function renderTop() {
  const h = data.header;
  $("title").textContent = "harness: " + h.scenario;
  $("meta").textContent = `torch ${h.torch} · Python ${h.python} · backend ${h.backend} · ` +
    `${counted(data.stops.length, "stop")} · ${h.path}`;
  const outcome = $("outcome");
  outcome.textContent = data.outcome.line;
  outcome.className = "outcome-" + data.outcome.kind;
  if (data.outcome.error) {
    $("error").append(el("pre", {}, data.outcome.error));
    $("error").classList.remove("hidden");
  }
  for (const p of data.problems) $("problems").append(el("div", {class: "dim"}, "note: " + p));
  const d = data.diagnosis;
  if (d) {
    const box = $("diagnosis");
    box.classList.remove("hidden");
    box.append(el("strong", {}, d.summary));
    const dl = el("dl");
    for (const [label, key] of [["phase", "phase"], ["module", "module_label"],
        ["attribute", "attribute"], ["method", "method"], ["property", "property"],
        ["function", "function"], ["hook", "hook"], ["construct", "construct"],
        ["reason", "reason"], ["where", "where"], ["fix", "fix"], ["checked", "checked"]]) {
      if (d[key]) dl.append(el("dt", {}, label), el("dd", {}, d[key]));
    }
    if (d.stops.length) {
      const dd = el("dd", {id: "diagnosis-stops"});
      d.stops.forEach((i, n) => { if (n) dd.append(" "); dd.append(stopLink(i)); });
      dl.append(el("dt", {}, "shown at"), dd);
    }
    if (d.advice) dl.append(el("dt", {}, "advice"), el("dd", {}, d.advice));
    box.append(dl);
  }
}

// -- the model ------------------------------------------------------------------------------
function renderModules() {
  const byPath = new Map(data.modules.map((m) => [m.path, m]));
  const root = $("modules");
  function one(m) {
    const box = el("details", {class: "module", "data-path": m.path});
    const marks = m.failed ? el("span", {class: "bad"}, ` ✗${m.failed}`) : null;
    box.append(el("summary", {}, m.label + "  ", el("span", {class: "cls"}, m.cls || ""),
                  "  ", el("span", {class: "count"}, counted(m.stops.length, "stop")), marks));
    if (m.jit_type) box.append(el("div", {class: "dim mono"}, "type " + m.jit_type));
    const rows = Object.entries(m.attributes);
    if (rows.length) {
      const table = el("table", {class: "attrs"});
      for (const [name, a] of rows) {
        const cell = a.ok === true ? el("span", {class: "ok"}, "✓ " + a.type)
          : a.ok === "submodule" ? el("span", {class: "subm"}, "↳ submodule")
          : a.ok === false ? el("span", {class: "bad"}, "✗ " + a.reason)
          : el("span", {}, a.type || "");
        table.append(el("tr", {"data-attribute": name}, el("td", {class: "mono"}, name),
                        el("td", {}, cell)));
      }
      box.append(el("div", {class: "dim"}, "attributes"), table);
    }
    for (const [title, key] of [["failed attributes", "failed_attributes"],
                                ["constants", "constants"]]) {
      const entries = Object.entries(m[key] || {});
      if (!entries.length) continue;
      const table = el("table", {class: "attrs"});
      for (const [name, text] of entries)
        table.append(el("tr", {}, el("td", {class: "mono"}, name),
                        el("td", {class: key === "failed_attributes" ? "bad" : ""}, text)));
      box.append(el("div", {class: "dim"}, title), table);
    }
    if (m.ignored.length) box.append(el("div", {class: "dim"}, "ignored: " + m.ignored.join(", ")));
    if (m.stops.length) {
      const line = el("div", {class: "count"}, "stops: ");
      m.stops.slice(0, 40).forEach((i) => line.append(stopLink(i), " "));
      if (m.stops.length > 40) line.append(`… ${m.stops.length - 40} more`);
      box.append(line);
    }
    for (const child of m.children) {
      const sub = byPath.get(child);
      if (sub) box.append(one(sub));
    }
    return box;
  }
  const tops = data.modules.filter((m) => m.parent === null);
  for (const m of tops) root.append(one(m));
  const failing = data.diagnosis && data.diagnosis.module !== undefined
    ? openModule(data.diagnosis.module) : null;
  if (failing) failing.classList.add("failing");
  const first = root.querySelector("details");
  if (first && !failing) first.open = true;
}
// Open the tree down to one module (each enclosing module too) and bring it into view.
function openModule(path) {
  const box = [...document.querySelectorAll("details.module")]
    .find((d) => d.getAttribute("data-path") === path);
  if (!box) return null;
  for (let d = box; d; d = d.parentElement.closest("details.module")) d.open = true;
  const section = $("modules").parentElement;
  section.scrollTop = box.offsetTop - section.offsetTop - 8;
  return box;
}

// -- the stops ------------------------------------------------------------------------------
let rows = [];
function renderStops() {
  const fnSelect = $("f-function");
  data.functions.forEach((f, i) => fnSelect.append(el("option", {value: String(i)}, f.label)));
  const list = $("stops");
  rows = data.stops.map((s) => {
    const row = el("div", {class: "stop", "data-index": s.i, onclick: () => select(s.i, false)},
      el("span", {class: "n"}, "#" + s.i),
      el("span", {class: "indent"}),
      el("span", {class: s.flag === "✗" ? "bad" : s.flag === "✓" ? "ok" : "dim"}, s.flag), " ",
      el("span", {class: "fn"}, data.functions[s.f].label), " ",
      el("span", {class: "ev"}, s.e), " ",
      el("span", {class: "mod"}, s.module), "  ",
      s.code ? el("span", {class: "code mono"}, "« " + s.code + " »  ") : "",
      el("span", {class: "dim"}, s.text));
    row.title = s.text;
    row.querySelector(".indent").style.paddingLeft = (Math.min(s.d, 16) * 12) + "px";
    list.append(row);
    return row;
  });
  for (const id of ["f-function", "f-module", "f-text"])
    $(id).addEventListener("input", applyFilter);
}
function applyFilter() {
  const fn = $("f-function").value, mod = $("f-module").value.trim().toLowerCase();
  const text = $("f-text").value.trim().toLowerCase();
  let shown = 0;
  data.stops.forEach((s, n) => {
    const ok = (fn === "" || String(s.f) === fn) &&
      (mod === "" || s.module.toLowerCase().includes(mod)) &&
      (text === "" || s.search.includes(text));
    rows[n].classList.toggle("hidden", !ok);
    if (ok) shown++;
  });
  $("shown").textContent = `${shown} of ${counted(data.stops.length, "stop")}`;
}

// -- one stop -------------------------------------------------------------------------------
function valueTree(value, key, open) {
  const label = key === undefined ? "" : key + ": ";
  if (value === null || typeof value !== "object") {
    return el("div", {class: "mono"}, el("span", {class: "k"}, label), JSON.stringify(value));
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  const head = Array.isArray(value) ? `[${value.length}]`
    : (value.type ? value.type : "{…}");
  const box = el("details", {class: "tree"});
  box.open = Boolean(open);
  box.append(el("summary", {class: "mono"}, el("span", {class: "k"}, label), head));
  for (const [k, v] of entries) box.append(valueTree(v, k));
  return box;
}
function select(index, scroll) {
  const s = data.byIndex.get(Number(index));
  if (!s) return;
  document.querySelectorAll(".stop.selected").forEach((r) => r.classList.remove("selected"));
  if (stopFromAddress() !== index) {
    try { history.replaceState(null, "", "#stop-" + index); } catch (e) { /* file: pages */ }
  }
  const row = document.querySelector(`.stop[data-index="${index}"]`);
  if (row) {
    row.classList.add("selected");
    if (scroll) { const list = row.parentElement.parentElement;
                  list.scrollTop = row.offsetTop - list.clientHeight / 2; }
  }
  const detail = $("detail");
  detail.replaceChildren();
  const fn = data.functions[s.f];
  detail.append(el("h2", {}, `#${s.i} ${fn.label} ${s.e} ${s.module}`),
    el("div", {class: "dim mono"}, `${fn.name} · line ${s.l} · call ${s.c} · parent ` +
       `${s.p === null ? "-" : s.p} · depth ${s.d}`));
  if (s.code) detail.append(el("div", {class: "code mono"}, "compiling " + s.code));
  const locals = el("div", {id: "locals"});
  for (const [name, value] of Object.entries(s.locals)) {
    const box = el("details", {class: "local", "data-local": name});
    box.append(el("summary", {}, el("strong", {class: "mono"}, name), " = ",
                  el("span", {class: "short mono"}, s.short[name])));
    const whole = wholeValue(s, name);
    if (whole !== undefined) box.append(el("div", {class: "dim"}, "whole value:"),
                                        valueTree(whole, undefined, true));
    box.append(valueTree(value, undefined, whole === undefined));
    locals.append(box);
  }
  for (const name of s.absent || [])
    locals.append(el("div", {class: "mono dim"}, `${name} = <absent>`));
  detail.append(locals);
  const src = data.sources[fn.name];
  if (src && src.text) {
    const view = el("div", {class: "source mono", id: "source"});
    src.text.split("\n").forEach((line, n) => {
      const number = src.first_line + n;
      view.append(el("div", {class: number === s.l ? "at" : ""},
                     el("span", {class: "ln"}, String(number)), line));
    });
    detail.append(el("h2", {}, src.file), view);
    const at = view.querySelector(".at");
    if (at) {
      // the marked line in the middle of the source box, then the box where it shows on
      // screen (only as far as needed, so the values above stay in sight where they fit)
      view.scrollTop = at.offsetTop - view.clientHeight / 2 + at.offsetHeight / 2;
      at.scrollIntoView({block: "nearest"});
    }
  }
}

// A value written as what it gained since an earlier stop ("since", e.g. memo) or as the same
// as an earlier stop's ("same_as") is put back together here, when its stop is shown, as
// Snapshot.value does: the page carries each value once, so its size grows with the stops.
function wholeValue(s, name) {
  let stop = s, value = s.locals[name];
  const linked = v => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!linked(value) || !("since" in value || "same_as" in value)) return undefined;
  for (let n = 0; n < data.stops.length; n++) {  // same_as points back in time, never a loop
    const same = linked(value) ? value.same_as : undefined;
    if (!linked(same) || typeof same.stop !== "number" || same.stop >= stop.i ||
        typeof same.local !== "string") break;
    const earlier = data.byIndex.get(same.stop);
    if (!earlier) break;
    stop = earlier; name = same.local; value = stop.locals[name];
  }
  const gains = [];
  let at = stop.i;
  while (linked(value) && Array.isArray(value.items) && linked(value.since)) {
    const base = value.since.stop;
    if (typeof base !== "number" || base >= at) break;
    gains.push(value);
    at = base;
    const earlier = data.byIndex.get(base);
    value = earlier ? earlier.locals[name] : undefined;
    if (value === undefined) return Object.assign({}, gains[0], {incomplete: true});
  }
  if (!gains.length) return value;
  const whole = linked(value) ? Object.assign({}, value) : {type: gains[0].type};
  delete whole.since;
  whole.items = (linked(value) && Array.isArray(value.items)) ? value.items.slice() : [];
  for (const gain of gains.reverse()) whole.items.push(...gain.items);
  return whole;
}

data.byIndex = new Map();
for (const s of data.stops) data.byIndex.set(s.i, s);
renderTop();
renderModules();
renderStops();
applyFilter();
openAddress();
window.addEventListener("hashchange", openAddress);
document.body.setAttribute("data-ready", "1");
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header>
<h1 id="title">{title}</h1>
<div class="meta" id="meta"></div>
<div id="outcome"></div>
<div id="problems"></div>
<div id="error" class="error hidden"></div>
<div id="diagnosis" class="diagnosis hidden"></div>
</header>
<main>
<section><h2>Model</h2><div id="modules"></div></section>
<section>
<h2>Stops <span class="count" id="shown"></span></h2>
<div class="filters">
<select id="f-function" aria-label="function"><option value="">every function</option></select>
<input id="f-module" placeholder="module" aria-label="module">
<input id="f-text" placeholder="text" aria-label="text">
</div>
<div id="stops"></div>
</section>
<section id="detail"><p class="dim">Select a stop to see its values and its source.</p></section>
</main>
<script type="application/json" id="data">{data}</script>
<script>{script}</script>
</body>
</html>
"""


def embed(data: Any) -> str:
    """JSON that is safe inside a script element: no `<` (so no `</script>`), no `&`."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def walk_page(snap: Snapshot) -> str:
    data = walk_data(snap)
    return PAGE.format(csp=CSP, title=html.escape(f"harness: {snap.header.scenario.name}"),
                       style=STYLE, data=embed(data), script=SCRIPT)


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
        if isinstance(name, str) and tag_of(typed) == Tag.INFERRED_TYPE:
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
