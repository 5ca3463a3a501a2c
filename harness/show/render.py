"""Stop lines, colours and error messages: how one stop, or one error, reads.

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
from typing import IO, List, Optional

from ..records import Stop, path_label
from ..text import safe, safe_line
from .short import SHORT_WIDTH, construct, flag, short, short_local  # noqa: F401 (re-exported)


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


# -- stops ----------------------------------------------------------------------------------
def function_label(function: str) -> str:
    return function.rsplit(".", 1)[-1]


def stop_line(stop: Stop, style: Style, width: int = SHORT_WIDTH, module: bool = True) -> str:
    """`#58   ✓ infer_type return custom_layer1  name='weights'  attr_type=✓ Tensor ...`;
    without the module where a heading already names it."""
    mark = flag(stop)
    colour = style.red if mark == "✗" else style.dim
    head = (f"{style.dim('#%-4d' % stop.index)} {colour(mark)} "
            f"{style.cyan(safe_line(function_label(stop.function)))} {style.yellow(stop.event)}")
    if module:
        head += f" {style.green(safe_line(path_label(stop.subject)))}"
    code = construct(stop)
    if code:  # a stop in torch's frontend: the user's code it is compiling
        head += f" {style.magenta('« ' + code + ' »')}"
    parts = [f"{safe_line(name)}={short_local(name, value, width)}"
             for name, value in stop.locals.items()]
    parts += [f"{safe_line(name)}={style.dim('<absent>')}" for name in stop.absent or ()]
    return head + ("  " + "  ".join(parts) if parts else "")


def stop_detail(stop: Stop, style: Style) -> List[str]:
    """A stop in full: its header line, then each captured local pretty-printed."""
    lines = [stop_line(stop, style, width=SHORT_WIDTH),
             style.dim(f"  {safe_line(stop.function)}  line {stop.line}  call {stop.call}"
                       f"  parent {stop.parent}  depth {stop.depth}")]
    code = construct(stop)
    if code:
        lines.insert(1, f"  compiling {style.magenta(code)}")
    for name, value in stop.locals.items():
        text = safe(json.dumps(value, indent=2, ensure_ascii=False))
        lines.append(f"  {style.bold(safe_line(name))} = " + text.replace("\n", "\n    "))
    for name in stop.absent or ():
        lines.append(f"  {style.bold(safe_line(name))} = {style.dim('<absent>')}")
    return lines


def escape_unencodable(*streams: IO[str]) -> None:
    """A character the output's encoding cannot show (PYTHONIOENCODING=ascii, a C locale, a
    lone surrogate) is written as its escape, `\\u2713`, never dropped or a traceback."""
    for stream in streams:
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[attr-defined]
        except (AttributeError, ValueError, OSError):
            pass


def error(message: str, stream: Optional[IO[str]] = None) -> None:
    stream = stream or sys.stderr
    try:
        print(f"harness: error: {safe(message)}", file=stream, flush=True)
    except (OSError, ValueError):
        pass
