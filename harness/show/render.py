"""Stop lines, short forms of values, the end-of-run summary, errors: how a run reads.

The presentation side (this package, the debugger's prompts and `cli`) is where the harness
prints; the recording side never does. This module reads records (plain data), never frames,
so `run`, `replay` and the debugger show a stop the same way, with or without torch installed.
Everything that came from a snapshot or a model passes through `text.safe` on its way out:
control characters and escape sequences are shown escaped, never sent to the terminal.
"""
from __future__ import annotations

import json
import os
import sys
from collections import Counter
from typing import IO, Any, Callable, Dict, Iterable, List, Optional

from ..diagnosis import typed_stops
from ..records import End, Stop, Tag, path_label, tag_of
from ..text import safe, safe_line

SHORT_WIDTH = 70


class Style:
    """ANSI colour on a terminal; none when piped, with NO_COLOR set, or when asked."""

    CODES = {"dim": "2", "bold": "1", "red": "31", "green": "32", "yellow": "33", "cyan": "36",
             "magenta": "35"}

    def __init__(self, enabled: bool):
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream: IO[str], color: Optional[bool] = None) -> "Style":
        if color is None:
            color = (hasattr(stream, "isatty") and stream.isatty()
                     and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb")
        return cls(bool(color))

    def __getattr__(self, name: str):
        code = self.CODES.get(name)
        if code is None:
            raise AttributeError(name)
        return lambda text: f"\033[{code}m{text}\033[0m" if self.enabled else str(text)


# -- short forms of encoded values ----------------------------------------------------------
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
            return form(v, width)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # a value of an unexpected shape (a file not written by the harness)
    if "repr" in v:
        return str(v["repr"])
    if "message" in v:
        return f"{tag}: {' '.join(_plain(v['message']).split())}"
    return tag


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
    open_, close = {Tag.LIST: "[]", Tag.TUPLE: "()"}.get(v["type"], "{}")
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
    return (f"ConcreteModuleType({v['jit_type']}: {len(v['attributes'])} attrs, "
            f"{len(v['modules'])} modules, {len(v['constants'])} consts)")


def _builder(v: dict, width: int) -> str:
    if v.get("recorded") is False:
        return "ConcreteModuleTypeBuilder(not recorded)"
    parts = []
    for key, label in (("attributes", "attrs"), ("modules", "modules"),
                       ("constants", "consts"), ("failed_attributes", "failed")):
        if v.get(key):
            parts.append(f"{label}: {', '.join(v[key])}")
    cls = (v.get("py_class") or "?").rsplit(".", 1)[-1]
    return f"builder({cls}; {'; '.join(parts) or 'empty'})"


# One short form per value tag: a new encoder adds its line here and nothing else.
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
}


# -- stops ----------------------------------------------------------------------------------
def function_label(function: str) -> str:
    return function.rsplit(".", 1)[-1]


def stop_line(stop: Stop, style: Style, width: int = SHORT_WIDTH) -> str:
    head = (f"{style.dim('#%-4d' % stop.index)} {style.cyan(safe_line(function_label(stop.function)))}"
            f" {style.yellow(stop.event)} {style.green(safe_line(path_label(stop.subject)))}")
    captured = stop.locals
    parts = [f"{safe_line(name)}={short_local(name, value, captured, width)}"
             for name, value in captured.items()]
    parts += [f"{safe_line(name)}={style.dim('<absent>')}" for name in stop.absent or ()]
    return head + ("  " + "  ".join(parts) if parts else "")


def short_local(name: str, value: Any, captured: dict, width: int = SHORT_WIDTH) -> str:
    """A captured value on one line. (A return value that is, or holds, a captured local
    holds a reference to it, made when the stop was recorded: `(<attr_type>, True)`.)"""
    return short(value, width)


def stop_detail(stop: Stop, style: Style) -> List[str]:
    """A stop in full: its header line, then each captured local pretty-printed."""
    lines = [stop_line(stop, style, width=SHORT_WIDTH),
             style.dim(f"  {safe_line(stop.function)}  line {stop.line}  call {stop.call}"
                       f"  parent {stop.parent}  depth {stop.depth}")]
    for name, value in stop.locals.items():
        text = safe(json.dumps(value, indent=2, ensure_ascii=False))
        lines.append(f"  {style.bold(safe_line(name))} = " + text.replace("\n", "\n    "))
    for name in stop.absent or ():
        lines.append(f"  {style.bold(safe_line(name))} = {style.dim('<absent>')}")
    return lines


# -- the end of a run -----------------------------------------------------------------------
def summary(stops: List[Stop], end: Optional[End], path: str, style: Style,
            quiet: bool = False) -> List[str]:
    lines: List[str] = []
    if not quiet:
        counts = Counter((s.function, s.event) for s in stops)
        lines.append(style.bold(f"── {len(stops)} stops " + "─" * 40))
        label_width = max((len(function_label(f)) for f, _ in counts), default=0)
        for (function, event), n in counts.items():
            lines.append(f"  {safe_line(function_label(function)):<{label_width}}  "
                         f"{event:<6} {n:>5}")
        if end:
            for where in end.never_stopped:
                lines.append(style.yellow(f"never stopped: {safe_line(where)}"))
            for function, names in end.never_present.items():
                lines.append(style.yellow(f"never present in {safe_line(function_label(function))}:"
                                          f" {safe_line(', '.join(names))}"))
            for function, err in end.when_errors.items():
                lines.append(style.yellow(f"`when` failed in {safe_line(function_label(function))} "
                                          f"(counted as false): {safe_line(err)}"))
            for w in end.warnings:
                times = f" (×{w.count})" if w.count > 1 else ""
                first = w.message.splitlines()[0] if w.message else ""
                lines.append(style.dim(f"warning: {safe_line(w.category)}: "
                                       f"{safe_line(first)}{times}"))
    lines.extend(outcome_lines(stops, end, style))
    lines.append(f"snapshot: {safe_line(path)}")
    return lines


def outcome_lines(stops: List[Stop], end: Optional[End], style: Style) -> List[str]:
    if end is None:
        last = f" (last stop #{stops[-1].index})" if stops else ""
        return [style.red(f"outcome: unfinished: the run stopped before its end{last}")]
    if end.outcome == "ok":
        name = (end.scripted or {}).get("qualified_name", "")
        return [style.green(f"outcome: ok: scripted into {safe_line(str(name))}")]
    if end.outcome == "stopped":
        seen = f" after {end.stops_seen} stops" if end.stops_seen is not None else ""
        return [style.yellow(f"outcome: stopped{seen}: "
                             f"{safe_line(end.stopped_by or 'interrupted')}; "
                             f"{end.stops} stops recorded")]
    err = end.error
    if err is None:
        return [style.red("outcome: error")]
    while_ = "scripting" if err.phase == "script" else "building the model"
    lines = [style.red(f"outcome: error while {while_}"),
             style.red(f"{safe_line(err.type)}: ") + safe(err.message)]
    attribute = err.attribute
    if attribute:
        typed = typed_stops(stops, attribute)
        if typed:
            lines.append(style.bold(f"the attribute {safe_line(repr(attribute))} was typed at:"))
            lines.extend("  " + stop_line(s, style, width=200) for s in typed)
        else:
            lines.append(style.dim(f"no stop captured `name` == {safe_line(repr(attribute))}; "
                                   "add a breakpoint on infer_concrete_type_builder.<locals>."
                                   "infer_type capturing name and attr_type to see how it was "
                                   "typed"))
    return lines


class LivePrinter:
    """The sink `harness run` uses: a line per stop as it happens, the summary at the end.
    Output that cannot be written (a closed pipe, a closed terminal) is dropped: the run and
    its snapshot go on."""

    def __init__(self, stream: IO[str] = None, quiet: bool = False, color: Optional[bool] = None,
                 show_stops: bool = True):
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.show_stops = show_stops and not quiet
        self.style = Style.for_stream(self.stream, color)
        self.stops: List[Stop] = []
        self.end: Optional[End] = None
        self.started = False  # a header was written: there is a snapshot to point at
        self.broken = False

    def __call__(self, record: Any) -> None:
        self.started = True
        if isinstance(record, Stop):
            self.stops.append(record)
            if self.show_stops:
                self._print(stop_line(record, self.style))
        elif isinstance(record, End):
            self.end = record

    def _print(self, line: str) -> None:
        if self.broken:
            return
        try:
            print(line, file=self.stream, flush=True)
        except (OSError, ValueError):
            self.broken = True

    def finish(self, path: str) -> None:
        if not self.started:
            self._print("no snapshot written: stopped before the run began")
        else:
            for line in summary(self.stops, self.end, path, self.style, self.quiet):
                self._print(line)


def error(message: str, stream: IO[str] = None) -> None:
    stream = stream or sys.stderr
    try:
        print(f"harness: error: {safe(message)}", file=stream, flush=True)
    except (OSError, ValueError):
        pass
