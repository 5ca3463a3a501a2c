"""Everything the harness shows a person: stop lines, the end-of-run summary, errors.

The only module that prints. It reads records (plain data), never frames, so `run`, `replay`
and the debugger show a stop the same way, with or without torch installed.
"""
from __future__ import annotations

import os
import sys
from collections import Counter
from typing import IO, Any, Iterable, List, Optional

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
def subject_name(path: Optional[str]) -> str:
    if path is None:
        return "-"
    return path or "<root>"


def short(value: Any, width: int = SHORT_WIDTH) -> str:
    text = _short(value, width)
    return text if len(text) <= width else text[: width - 1] + "…"


def _short(v: Any, width: int) -> str:
    if v is None or isinstance(v, (bool, int, float)):
        return repr(v)
    if isinstance(v, str):
        return repr(v)
    if not isinstance(v, dict) or "type" not in v:
        return repr(v)
    kind = v["type"]
    if kind == "local":
        return f"<{v['name']}>"
    if kind == "id":
        return f"id({subject_name(v['of'])})"
    if kind in ("Tensor", "Parameter"):
        shape = "×".join(str(n) for n in v["shape"]) or "scalar"
        return f"{kind}[{shape} {v['dtype']}]"
    if kind == "nn.Module":
        cls = v["class"].rsplit(".", 1)[-1]
        return f"<{v['path'] or '<root>'}: {cls}>" if v.get("path") is not None else f"<{cls}>"
    if kind == "ScriptModule":
        return f"<script {v.get('qualified_name') or v.get('original_name')}>"
    if kind == "InferredType":
        return f"✓ {v['jit_type']}" if v["success"] else f"✗ {_plain(v['reason'])}"
    if kind == "annotation":
        return v["text"]
    if kind == "JitType":
        return v["name"]
    if kind == "ConcreteModuleType":
        return (f"ConcreteModuleType({v['jit_type']}: {len(v['attributes'])} attrs, "
                f"{len(v['modules'])} modules, {len(v['constants'])} consts)")
    if kind == "ConcreteModuleTypeBuilder":
        return _short_builder(v)
    if kind in ("list", "tuple", "set", "frozenset"):
        open_, close = {"list": "[]", "tuple": "()"}.get(kind, "{}")
        return open_ + _join((_short(i, width) for i in v["items"]), v, width) + close
    if kind == "dict":
        pairs = (f"{_short(k, width)}: {_short(x, width)}" for k, x in v["items"])
        return "{" + _join(pairs, v, width) + "}"
    if kind in ("function", "builtin", "method", "class", "module"):
        return v["name"]
    if kind == "str":
        return repr(v["value"]) + "…"
    if "repr" in v:
        return v["repr"]
    if "message" in v:
        return f"{kind}: {' '.join(_plain(v['message']).split())}"
    return kind


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


def _short_builder(v: dict) -> str:
    if v.get("recorded") is False:
        return "ConcreteModuleTypeBuilder(not recorded)"
    parts = []
    for field, label in (("attributes", "attrs"), ("modules", "modules"),
                         ("constants", "consts"), ("failed_attributes", "failed")):
        if v.get(field):
            parts.append(f"{label}: {', '.join(v[field])}")
    cls = (v.get("py_class") or "?").rsplit(".", 1)[-1]
    return f"builder({cls}; {'; '.join(parts) or 'empty'})"


# -- stops ----------------------------------------------------------------------------------
def function_label(function: str) -> str:
    return function.rsplit(".", 1)[-1]


def stop_line(stop: dict, style: Style, width: int = SHORT_WIDTH) -> str:
    head = (f"{style.dim('#%-4d' % stop['index'])} {style.cyan(function_label(stop['function']))}"
            f" {style.yellow(stop['event'])} {style.green(subject_name(stop.get('subject')))}")
    captured = stop["locals"]
    parts = [f"{name}={short_local(name, value, captured, width)}"
             for name, value in captured.items()]
    parts += [f"{name}={style.dim('<absent>')}" for name in stop.get("absent", ())]
    return head + ("  " + "  ".join(parts) if parts else "")


def short_local(name: str, value: Any, captured: dict, width: int = SHORT_WIDTH) -> str:
    """A return value that only repeats captured locals is shown by their names."""
    from .snapshot import echoed_return

    echoes = echoed_return(captured) if name == "return" else None
    if echoes is not None and value.get("type") == "tuple":
        return "(" + ", ".join(echoes) + ")"
    return short(value, width)


def stop_detail(stop: dict, style: Style) -> List[str]:
    """A stop in full: its header line, then each captured local pretty-printed."""
    import json

    lines = [stop_line(stop, style, width=SHORT_WIDTH),
             style.dim(f"  {stop['function']}  line {stop['line']}  call {stop['call']}"
                       f"  parent {stop['parent']}  depth {stop['depth']}")]
    for name, value in stop["locals"].items():
        text = json.dumps(value, indent=2, ensure_ascii=False)
        lines.append(f"  {style.bold(name)} = " + text.replace("\n", "\n    "))
    for name in stop.get("absent", ()):
        lines.append(f"  {style.bold(name)} = {style.dim('<absent>')}")
    return lines


# -- the end of a run -----------------------------------------------------------------------
def summary(stops: List[dict], end: Optional[dict], path: str, style: Style,
            quiet: bool = False) -> List[str]:
    lines: List[str] = []
    if not quiet:
        counts = Counter((s["function"], s["event"]) for s in stops)
        lines.append(style.bold(f"── {len(stops)} stops " + "─" * 40))
        label_width = max((len(function_label(f)) for f, _ in counts), default=0)
        for (function, event), n in counts.items():
            lines.append(f"  {function_label(function):<{label_width}}  {event:<6} {n:>5}")
        if end:
            for where in end.get("never_stopped", []):
                lines.append(style.yellow(f"never stopped: {where}"))
            for function, names in end.get("never_present", {}).items():
                lines.append(style.yellow(f"never present in {function_label(function)}: "
                                          f"{', '.join(names)}"))
            for function, err in end.get("when_errors", {}).items():
                lines.append(style.yellow(f"`when` failed in {function_label(function)} "
                                          f"(counted as false): {err}"))
            for w in end.get("warnings", []):
                times = f" (×{w['count']})" if w["count"] > 1 else ""
                lines.append(style.dim(f"warning: {w['category']}: "
                                       f"{w['message'].splitlines()[0]}{times}"))
    lines.extend(outcome_lines(stops, end, style))
    lines.append(f"snapshot: {path}")
    return lines


def outcome_lines(stops: List[dict], end: Optional[dict], style: Style) -> List[str]:
    if end is None:
        last = f" (last stop #{stops[-1]['index']})" if stops else ""
        return [style.red(f"outcome: unfinished: the run stopped before its end{last}")]
    outcome = end["outcome"]
    if outcome == "ok":
        name = end.get("scripted", {}).get("qualified_name", "")
        return [style.green(f"outcome: ok: scripted into {name}")]
    if outcome == "stopped":
        seen = f" after {end['stops_seen']} stops" if "stops_seen" in end else ""
        return [style.yellow(f"outcome: stopped{seen}: {end.get('stopped_by', 'interrupted')}; "
                             f"{end['stops']} stops recorded")]
    err = end["error"]
    lines = [style.red(f"outcome: error while {'scripting' if err['phase'] == 'script' else 'building the model'}"),
             style.red(f"{err['type']}: ") + err["message"]]
    attribute = err.get("attribute")
    if attribute:
        typed = typed_stops(stops, attribute)
        if typed:
            lines.append(style.bold(f"the attribute {attribute!r} was typed at:"))
            lines.extend("  " + stop_line(s, style, width=200) for s in typed)
        else:
            lines.append(style.dim(f"no stop captured `name` == {attribute!r}; add a breakpoint "
                                   "on infer_concrete_type_builder.<locals>.infer_type "
                                   "capturing name and attr_type to see how it was typed"))
    return lines


def typed_stops(stops: List[dict], attribute: Optional[str]) -> List[dict]:
    """The stops that captured `name` == the failing attribute: where it was typed."""
    return [s for s in stops if attribute and s["locals"].get("name") == attribute]


class LivePrinter:
    """The sink `harness run` uses: a line per stop as it happens, the summary at the end."""

    def __init__(self, stream: IO[str] = None, quiet: bool = False, color: Optional[bool] = None,
                 show_stops: bool = True):
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.show_stops = show_stops and not quiet
        self.style = Style.for_stream(self.stream, color)
        self.stops: List[dict] = []
        self.end: Optional[dict] = None
        self.started = False  # a header was written: there is a snapshot to point at

    def __call__(self, record: dict) -> None:
        kind = record.get("kind")
        self.started = True
        if kind == "stop":
            self.stops.append(record)
            if self.show_stops:
                print(stop_line(record, self.style), file=self.stream, flush=True)
        elif kind == "end":
            self.end = record

    def finish(self, path: str) -> None:
        if not self.started:
            print("no snapshot written: stopped before the run began", file=self.stream)
        else:
            for line in summary(self.stops, self.end, path, self.style, self.quiet):
                print(line, file=self.stream)
        self.stream.flush()


def error(message: str, stream: IO[str] = None) -> None:
    stream = stream or sys.stderr
    print(f"harness: error: {message}", file=stream)
