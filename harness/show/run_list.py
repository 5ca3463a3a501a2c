"""`harness runs`: the runs kept of a scenario, one line each, and what pruning removed."""
from __future__ import annotations

import os
from typing import List

from ..runs import Run, RunSummary, full_runs, list_runs
from ..text import counted, safe_line
from .render import Style


def outcome_text(summary: RunSummary) -> str:
    return summary.outcome + (f" ({summary.detail})" if summary.detail else "")


def run_lines(scenario: str, folder: str, runs: List[Run], style: Style) -> List[str]:
    """One line a run, oldest first: its number, file, kind, torch, stops and outcome; then
    what `harness diff` would compare."""
    lines = [style.bold(f"runs of {safe_line(scenario)} in "
                        f"{safe_line(os.path.join(os.path.relpath(folder), ''))}:")]
    rows: List[tuple] = []
    for run in runs:
        summary = run.summary()
        stops = counted(summary.stops, "stop") if summary.stops is not None else "-"
        rows.append((run.label, os.path.basename(run.path),
                     "interactive" if run.name.interactive else
                     "keep-going round" if "round" in run.name.tags else "full",
                     f"torch {run.name.torch}", stops, summary))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for *cells, summary in rows:
        text = "  ".join(f"{c:<{w}}" for c, w in zip(cells, widths))
        colour = style.green if summary.outcome == "ok" else \
            style.red if summary.outcome in ("error", "unfinished", "unreadable") else style.yellow
        lines.append(f"  {safe_line(text)}  {colour(safe_line(outcome_text(summary)))}")
    full = full_runs(runs)
    if len(full) >= 2:
        lines.append(f"harness diff --last {scenario} compares {full[-2].label} with "
                     f"{full[-1].label}")
    return lines


def scenario_lines(root: str, names: List[str], style: Style) -> List[str]:
    """The scenarios with runs under `root`: how many each, and the latest's outcome."""
    lines = [style.bold(f"runs in {safe_line(os.path.join(os.path.relpath(root), ''))}:")]
    width = max(len(n) for n in names)
    for name in names:
        runs = list_runs(os.path.join(root, name))
        latest = runs[-1]
        lines.append(f"  {safe_line(name):<{width}}  {counted(len(runs), 'run')}, latest "
                     f"{latest.label}: {safe_line(outcome_text(latest.summary()))}")
    lines.append("harness runs NAME lists the runs of one")
    return lines
