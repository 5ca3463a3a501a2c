"""The report of a run, readable at the size of a real model (thousands of stops).

A failed run shows first what failed: torch's error, word for word, then the harness's
diagnosis and the stops marked ✗. Then the stops grouped by the module they worked on, each
with its flag; past `STOPS_SHOWN` stops only the marked ones are listed under their module
(every stop is in the snapshot: `harness replay`, or `harness run --stops all`). Then what did
not happen (breakpoints that never stopped, locals never present), the warnings, and the
outcome again in one line, with the snapshot's path.

`LivePrinter` is what `harness run` hands the recording: it keeps the stops, shows a progress
line on a terminal while the run goes, and prints this report at the end.
"""
from __future__ import annotations

import sys
import time
from collections import Counter, OrderedDict
from typing import IO, Any, Dict, List, Optional

from ..records import Diagnosis, End, Header, Stop, Tag, path_label, tag_of
from ..text import counted, safe, safe_line
from .render import Style, function_label, stop_line
from .short import FAILED, PLAIN, flag

STOPS_SHOWN = 300  # past this many stops, list only the flagged ones (--stops all: every one)
FAILURES_SHOWN = 30
ERROR_LINES = 8  # lines of torch's error shown before the diagnosis; the rest is folded
MODES = ("auto", "all", "flagged", "none")


# -- the parts ------------------------------------------------------------------------------
def outcome_line(end: Optional[End], stops: List[Stop]) -> str:
    if end is None:
        last = f" (last stop #{stops[-1].index})" if stops else ""
        return f"outcome: unfinished: the run stopped before its end{last}"
    if end.outcome == "ok":
        scripted = str((end.scripted or {}).get('qualified_name', ''))
        return f"outcome: ok: scripted into {safe_line(scripted)}"
    if end.outcome == "stopped":
        seen = f" after {counted(end.stops_seen, 'stop')}" if end.stops_seen is not None else ""
        return (f"outcome: stopped{seen}: {safe_line(end.stopped_by or 'interrupted')}; "
                f"{counted(end.stops, 'stop')} recorded")
    err = end.error
    if end.outcome == "incomplete":
        why = f": {safe_line(err.message)}" if err is not None else ""
        return (f"outcome: incomplete, not recorded whole{why}; "
                f"{counted(end.stops, 'stop')} recorded")
    while_ = (end.diagnosis.phase if end.diagnosis is not None else
              "building the model" if err is not None and err.phase == "build" else "scripting")
    return f"outcome: error while {safe_line(while_)}" + (
        f": {safe_line(err.type)}" if err is not None else "")


def error_lines(end: Optional[End], style: Style, fold: bool = True) -> List[str]:
    """torch's error, word for word (escaped only where it would drive the terminal); past
    ERROR_LINES lines folded, so that the diagnosis comes within the first screen (an overload
    list runs to a hundred lines; the snapshot keeps the whole text)."""
    if end is None or end.error is None:
        return []
    lines = safe(end.error.message.strip("\n")).splitlines() or [""]
    if fold and len(lines) > ERROR_LINES + 1:
        rest = len(lines) - ERROR_LINES
        lines = lines[:ERROR_LINES] + [style.dim(
            f"  … {counted(rest, 'more line')}, the whole text is in the snapshot")]
    return [style.red(f"{safe_line(end.error.type)}: ") + lines[0]] + lines[1:]


def diagnosis_lines(diagnosis: Optional[Diagnosis], style: Style) -> List[str]:
    if diagnosis is None:
        return []
    lines = [style.bold("── diagnosis " + "─" * 50),
             "  " + style.bold(safe_line(diagnosis.summary))]
    rows = [("phase", diagnosis.phase),
            ("module", None if diagnosis.module is None else
             f"{path_label(diagnosis.module)} ({diagnosis.module_class})"),
            ("attribute", diagnosis.attribute), ("method", diagnosis.method),
            ("property", diagnosis.property), ("function", diagnosis.function),
            ("hook", diagnosis.hook), ("construct", diagnosis.construct),
            ("reason", diagnosis.reason), ("where", diagnosis.where),
            ("shown at", " ".join(f"#{i}" for i in diagnosis.stops) or None),
            ("fix", diagnosis.fix), ("checked", _checked(diagnosis.checked))]
    for label, text in rows:
        if text:
            lines.append(f"  {label + ':':<10} {safe_line(str(text))}")
    if diagnosis.advice:
        lines.append(style.dim(f"  {safe_line(diagnosis.advice)}"))
    return lines


def _checked(text: Optional[str]) -> Optional[str]:
    """The check of `run --keep-going`, without its own label (the row has it)."""
    return text[len("checked: "):] if text and text.startswith("checked: ") else text


def module_classes(stops: List[Stop]) -> Dict[Optional[str], str]:
    """Each module's class, as the captured values name it."""
    classes: Dict[Optional[str], str] = {}
    for stop in stops:
        for value in stop.locals.values():
            if tag_of(value) == Tag.NN_MODULE and isinstance(value.get("class"), str) \
                    and value.get("path") not in classes:
                classes[value.get("path")] = value["class"].rsplit(".", 1)[-1]
    return classes


def by_module(stops: List[Stop]) -> "OrderedDict[Optional[str], List[Stop]]":
    groups: "OrderedDict[Optional[str], List[Stop]]" = OrderedDict()
    for stop in stops:
        groups.setdefault(stop.subject, []).append(stop)
    return groups


def stop_lines(stops: List[Stop], style: Style, mode: str) -> List[str]:
    """The stops grouped by module; `mode`: all, flagged, none (auto: all up to STOPS_SHOWN)."""
    if mode == "auto":
        mode = "all" if len(stops) <= STOPS_SHOWN else "flagged"
    if mode == "none" or not stops:
        return []
    groups = by_module(stops)
    classes = module_classes(stops)
    shown = "every stop" if mode == "all" else f"stops marked {FAILED} (--stops all: every one)"
    lines = [style.bold(f"── stops by module: {counted(len(groups), 'module')}, "
                        f"{counted(len(stops), 'stop')}; {shown} " + "─" * 10)]
    for subject, group in groups.items():
        marks = Counter(flag(s) for s in group)
        counts = ", ".join(f"{n} {mark}" for mark, n in marks.items() if mark != PLAIN)
        cls = classes.get(subject)
        lines.append(style.green(safe_line(path_label(subject)))
                     + (f"  {safe_line(cls)}" if cls else "")
                     + style.dim(f"  {counted(len(group), 'stop')}"
                                 + (f" ({counts})" if counts else "")))
        for stop in group:
            if mode == "all" or flag(stop) == FAILED:
                lines.append("  " + stop_line(stop, style, module=False))
    return lines


def summary_lines(stops: List[Stop], end: Optional[End], style: Style) -> List[str]:
    counts = Counter((s.function, s.event) for s in stops)
    lines = [style.bold(f"── {counted(len(stops), 'stop')} " + "─" * 40)]
    width = max((len(function_label(f)) for f, _ in counts), default=0)
    for (function, event), n in counts.items():
        lines.append(f"  {safe_line(function_label(function)):<{width}}  {event:<6} {n:>5}")
    if end is not None:
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
            lines.append(style.dim(f"warning: {safe_line(w.category)}: {safe_line(first)}"
                                   f"{times}"))
    return lines


def report(stops: List[Stop], end: Optional[End], path: str, style: Style,
           mode: str = "auto", quiet: bool = False, header: Optional[Header] = None
           ) -> List[str]:
    """The whole report: what failed first, then the stops by module, then the summary."""
    lines: List[str] = []
    failed = end is not None and end.outcome == "error"
    if failed:
        lines.append(style.red(outcome_line(end, stops)))
        lines.extend(error_lines(end, style))
        lines.extend(diagnosis_lines(end.diagnosis if end else None, style))
    if not quiet:
        flagged = [s for s in stops if flag(s) == FAILED]
        if flagged and (failed or len(stops) > STOPS_SHOWN):
            lines.append(style.bold(f"── {counted(len(flagged), 'stop')} marked {FAILED} "
                                    + "─" * 30))
            lines.extend(stop_line(s, style) for s in flagged[:FAILURES_SHOWN])
            if len(flagged) > FAILURES_SHOWN:
                lines.append(style.dim(f"  … and {len(flagged) - FAILURES_SHOWN} more"))
        lines.extend(stop_lines(stops, style, mode))
        lines.extend(summary_lines(stops, end, style))
    colour = style.green if end is not None and end.outcome == "ok" else \
        style.red if failed or end is None else style.yellow
    lines.append(colour(outcome_line(end, stops)))
    lines.append(f"snapshot: {safe_line(path)}")
    return lines


# -- live -----------------------------------------------------------------------------------
class LivePrinter:
    """The sink `harness run` uses: keeps the stops, shows progress on a terminal, and prints
    the report at the end. Output that cannot be written (a closed pipe, a closed terminal) is
    dropped: the run and its snapshot go on."""

    PROGRESS_EVERY = 0.2  # seconds between progress updates

    def __init__(self, stream: Optional[IO[str]] = None, quiet: bool = False,
                 color: Optional[bool] = None, show_stops: bool = True, mode: str = "auto",
                 progress: Optional[IO[str]] = None):
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.mode = mode if show_stops else "none"
        self.style = Style.for_stream(self.stream, color)
        self.progress = progress if progress is not None else sys.stderr
        self.live = (show_stops and not quiet and hasattr(self.progress, "isatty")
                     and self.progress.isatty())
        self.stops: List[Stop] = []
        self.header: Optional[Header] = None
        self.end: Optional[End] = None
        self.started = False  # a header was written: there is a snapshot to point at
        self.broken = False
        self._shown_at = 0.0

    def __call__(self, record: Any) -> None:
        self.started = True
        if isinstance(record, Stop):
            self.stops.append(record)
            if self.live and time.monotonic() - self._shown_at > self.PROGRESS_EVERY:
                self._shown_at = time.monotonic()
                self._progress(f"recording: {counted(len(self.stops), 'stop')}, module "
                               f"{safe_line(path_label(record.subject))}")
        elif isinstance(record, Header):
            self.header = record
        elif isinstance(record, End):
            self.end = record

    def _progress(self, text: str) -> None:
        try:
            self.progress.write("\r\033[K" + text[:100])
            self.progress.flush()
        except (OSError, ValueError):
            self.live = False

    def _print(self, line: str) -> None:
        if self.broken:
            return
        try:
            print(line, file=self.stream, flush=True)
        except (OSError, ValueError):
            self.broken = True

    def finish(self, path: str) -> None:
        if self.live:
            self._progress("")
        if not self.started:
            self._print("no snapshot written: stopped before the run began")
            return
        for line in report(self.stops, self.end, path, self.style, self.mode, self.quiet,
                           self.header):
            self._print(line)
