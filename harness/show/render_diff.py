"""Show a `DiffReport` to a person: grouped by function, old and new side by side."""
from __future__ import annotations

from typing import List, Optional

from ..compare import DiffReport, FunctionReport, SourceChange, StopChange, StopRef
from ..text import counted, safe_line
from .render import Style, short

SHOWN_PER_GROUP = 12  # per function and kind; --format json has everything


def diff_lines(report: DiffReport, style: Style, label_a: str = "A",
               label_b: str = "B") -> List[str]:
    lines = _heading_lines(report, style, label_a, label_b)
    for function, fr in report.functions.items():
        if fr.only_a or fr.only_b or fr.changed or fr.source:
            lines.extend(_function_lines(function, fr, style, label_a, label_b))
    lines.extend(_closing_lines(report, style, label_a, label_b))
    lines.append(summary_line(report, label_a, label_b))
    return lines


def _heading_lines(report: DiffReport, style: Style, label_a: str, label_b: str) -> List[str]:
    """The two files, the header fields that differ, and why values or stops may not pair."""
    lines = [style.bold(f"diff {label_a}: {safe_line(report.a)}"),
             style.bold(f"     {label_b}: {safe_line(report.b)}")]
    for name, (a, b) in report.header.items():
        lines.append(f"{name}: {safe_line(str(a))} → {safe_line(str(b))}")
    if report.encoding:
        lines.append(style.yellow(
            f"values not compared: {label_a} was recorded with value encoding "
            f"{report.encoding[0]} and {label_b} with {report.encoding[1]}, so their values "
            "differ in form, not necessarily in torch; record both with one harness version "
            "to compare them"))
    if report.digests_left_out:
        lines.append(style.yellow(digests_note(report)))
    if report.scenario:
        lines.append(style.yellow(f"scenario: {safe_line(str(report.scenario[0]))} → "
                                  f"{safe_line(str(report.scenario[1]))} "
                                  "(different scenarios: stops will not pair well)"))
    return lines


def _function_lines(function: str, fr: FunctionReport, style: Style, label_a: str,
                    label_b: str) -> List[str]:
    """One function's group: stops on one side only, stops changed, its code changed."""
    lines = [style.cyan(f"── {safe_line(function)} " + "─" * 10)]
    for title, stops, colour in ((f"only in {label_a}", fr.only_a, style.red),
                                 (f"only in {label_b}", fr.only_b, style.green)):
        if stops:
            lines.append(f"  {title} ({len(stops)}):")
            for s in stops[:SHOWN_PER_GROUP]:
                lines.append(colour(f"    #{s.index} {safe_line(s.identity)}  "
                                    + _locals_short(s)))
            lines.extend(_more(len(stops)))
    if fr.changed:
        lines.extend(_changed_lines(fr.changed, style, label_a, label_b))
    lines.extend(_source_lines(fr.source, style))
    return lines


def _changed_lines(changed: List[StopChange], style: Style, label_a: str,
                   label_b: str) -> List[str]:
    lines = [f"  changed ({len(changed)}):"]
    for change in changed[:SHOWN_PER_GROUP]:
        lines.append(f"    {safe_line(change.identity)}  ({label_a} #{change.a_index}, "
                     f"{label_b} #{change.b_index})")
        for v in change.changes:
            a, b = _from_first_difference(v.a, v.b)
            lines.append(f"      {safe_line(v.path) or '(value)'}: "
                         f"{style.red(short(a, 60))}  →  {style.green(short(b, 60))}")
    lines.extend(_more(len(changed)))
    return lines


def _source_lines(source: Optional[SourceChange], style: Style) -> List[str]:
    if not source:
        return []
    if not source.code_changed:
        return [style.dim("  source reformatted only: same code (comments, "
                          "docstrings and layout differ)")]
    lines = ["  code changed (comments, docstrings and layout left out; "
             "--format json has the text diff too):"]
    for line in source.code_diff:
        colour = (style.green if line.startswith("+") else
                  style.red if line.startswith("-") else str)
        lines.append("    " + colour(safe_line(line)))
    return lines


def _closing_lines(report: DiffReport, style: Style, label_a: str, label_b: str) -> List[str]:
    """Warnings on one side only, the outcomes, and functions whose code could not be
    compared."""
    lines: List[str] = []
    only_a, only_b = report.warnings
    for w in only_a:
        lines.append(style.red(f"warning only in {label_a}: {safe_line(w)}"))
    for w in only_b:
        lines.append(style.green(f"warning only in {label_b}: {safe_line(w)}"))
    if report.outcome:
        lines.append(f"outcome: {safe_line(str(report.outcome[0]))} → "
                     f"{safe_line(str(report.outcome[1]))}")
    for label, missing in zip((label_a, label_b), report.missing_sources):
        if missing:
            lines.append(style.red(f"no source record in {label} for "
                                   f"{safe_line(', '.join(missing[:10]))}"
                                   + (f" and {len(missing) - 10} more" if len(missing) > 10
                                      else "") + ": its code cannot be compared"))
    return lines


def digests_note(report: DiffReport) -> str:
    """Why the digests of large tensors were not compared (two encodings that sum them
    differently)."""
    return (f"tensor digests compared up to {(report.digests_up_to or 0) // 1024} KiB only: value "
            "encodings 2 and 3 sum a larger tensor's bytes differently (its shape, dtype and "
            "device still count)")


def summary_line(report: DiffReport, label_a: str = "A", label_b: str = "B") -> str:
    c = report.counts
    left_out = "" if report.contents else " (tensor contents left out)"
    if report.contents and report.digests_left_out:
        left_out = (f" (digests of tensors over {(report.digests_up_to or 0) // 1024} KiB "
                    "left out)")
    if report.encoding:
        return (f"not comparable: value encodings {report.encoding[0]} and "
                f"{report.encoding[1]}; {counted(c['paired'], 'stop')} paired, {c['only_a']} "
                f"only in {label_a}, {c['only_b']} only in {label_b}, "
                f"{counted(c['sources'], 'source')} with changed code")
    if report.equal:
        note = f" ({counted(c['reformatted'], 'source')} reformatted only)" \
            if c["reformatted"] else ""
        return f"equal: {counted(c['paired'], 'stop')} paired, no differences{note}{left_out}"
    return (f"different: {counted(c['paired'], 'stop')} paired, {c['changed']} changed, "
            f"{c['only_a']} only in {label_a}, {c['only_b']} only in {label_b}, "
            f"{counted(c['sources'], 'source')} with changed code, {c['reformatted']} "
            f"reformatted only"
            + (f", {counted(c['missing_sources'], 'source record')} missing"
               if c["missing_sources"] else "") + left_out)


def diff_text(report: DiffReport, color: bool = False) -> str:
    """The report as `harness diff` prints it."""
    return "\n".join(diff_lines(report, Style(color)))


def _locals_short(stop: StopRef) -> str:
    return "  ".join(f"{safe_line(k)}={short(v, 40)}" for k, v in stop.locals.items()
                     if k != "return")[:160]


def _more(total: int) -> List[str]:
    hidden = total - SHOWN_PER_GROUP
    return [f"    … and {hidden} more (--format json lists all)"] if hidden > 0 else []


def _from_first_difference(a, b):
    """Two long strings that differ past what a line shows (the code of a line torch edited)
    are shown from a little before their first difference, so the difference is seen."""
    if not (isinstance(a, str) and isinstance(b, str)) or max(len(repr(a)), len(repr(b))) <= 60:
        return a, b
    same = 0
    while same < min(len(a), len(b)) and a[same] == b[same]:
        same += 1
    start = max(0, same - 15)
    if start < 10:
        return a, b
    return "…" + a[start:], "…" + b[start:]
