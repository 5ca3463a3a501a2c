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
  if (index !== null && data.byIndex.has(index)) select(index, true);
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
