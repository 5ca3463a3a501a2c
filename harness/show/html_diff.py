"""A diff of two snapshots as a page: one self-contained HTML file, made without torch.

The same look as the walk's page (`html_report`: the same pages/style.css, with pages/diff.css
for the diff's own parts), side by side: for each function, the code that changed as a
two-column source diff (of the code, comments and layout left out, as `harness diff` compares
it), the stops whose values changed (old → new, down to the nested field), the stops only in A
or only in B; then header and warning changes and the summary counts. Static HTML: every piece
of text from the snapshots is escaped, and the page holds no script at all.
"""
from __future__ import annotations

import difflib
import html
from typing import List, Optional

from ..compare import DiffReport, FunctionReport, normalized_code
from ..snapshot import Snapshot
from .page_assets import CSP, asset, fill
from .render_diff import summary_line
from .short import short


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def diff_page(report: DiffReport, a: Snapshot, b: Snapshot, label_a: str = "A",
              label_b: str = "B") -> str:
    parts: List[str] = []
    add = parts.append
    add(f"<header><h1>harness diff: {e(a.header.scenario.name)}</h1>")
    add(f'<div class="meta">{e(label_a)}: {e(report.a)} (torch {e(a.header.torch)}, Python '
        f'{e(a.header.python)})<br>{e(label_b)}: {e(report.b)} (torch {e(b.header.torch)}, '
        f'Python {e(b.header.python)})</div>')
    verdict = "outcome-ok" if report.equal else "outcome-error"
    add(f'<div class="summary {verdict}" id="summary">'
        f"{e(summary_line(report, label_a, label_b))}</div>")
    if report.encoding:
        add(f'<div class="diagnosis">values not compared: {e(label_a)} was recorded with value '
            f"encoding {report.encoding[0]} and {e(label_b)} with {report.encoding[1]}</div>")
    add("</header><main class=\"diff\">")
    changes = _run_changes(report, label_a, label_b)
    if changes:
        add(f"<h2>Run</h2><ul id=\"run-changes\">{''.join(changes)}</ul>")
    add("<h2>Functions</h2>")
    for function, fr in report.functions.items():
        if fr.only_a or fr.only_b or fr.changed or fr.source:
            parts.extend(_function_section(function, fr, a, b, label_a, label_b))
    add("</main>")
    return fill(asset("diff.html"), csp=CSP, title=e("harness diff: " + a.header.scenario.name),
                style=asset("style.css"), diff_style=asset("diff.css"), body="\n".join(parts))


def _run_changes(report: DiffReport, label_a: str, label_b: str) -> List[str]:
    """What differs in the run as a whole, as list items: header fields, scenario, outcome,
    warnings on one side only, functions whose code cannot be compared."""
    changes = [f"<li>{e(name)}: {e(x)} → {e(y)}</li>" for name, (x, y) in report.header.items()]
    if report.scenario:
        changes.append(f"<li>scenario: {e(report.scenario[0])} → {e(report.scenario[1])}</li>")
    if report.outcome:
        changes.append(f"<li>outcome: {e(report.outcome[0])} → {e(report.outcome[1])}</li>")
    changes += [f'<li class="old">warning only in {e(label_a)}: {e(w)}</li>'
                for w in report.warnings[0]]
    changes += [f'<li class="new">warning only in {e(label_b)}: {e(w)}</li>'
                for w in report.warnings[1]]
    for label, missing in zip((label_a, label_b), report.missing_sources):
        changes += [f'<li class="old">no source record in {e(label)} for {e(name)}: its code '
                    "cannot be compared</li>" for name in missing]
    return changes


def _function_section(function: str, fr: FunctionReport, a: Snapshot, b: Snapshot,
                      label_a: str, label_b: str) -> List[str]:
    """One function's details: its code side by side, its changed stops, stops on one side."""
    parts = [f'<details class="function" open data-function="{e(function)}">'
             f"<summary>{e(function)}</summary>"]
    add = parts.append
    if fr.source:
        what = "code changed" if fr.source.code_changed else \
            "reformatted only (comments, docstrings and layout differ)"
        add(f'<div class="dim">{e(what)}</div>')
        if fr.source.code_changed:
            add(side_by_side(a, b, function))
    if fr.changed:
        add(f"<div>changed ({len(fr.changed)})</div><ul>")
        for change in fr.changed:
            add(f'<li class="change"><span class="mono">{e(change.identity)}</span> '
                f'<span class="dim">({e(label_a)} #{change.a_index}, {e(label_b)} '
                f"#{change.b_index})</span><ul>")
            for value in change.changes:
                add(f'<li><span class="path">{e(value.path or "(value)")}</span>: '
                    f'<span class="old">{e(short(value.a, 100))}</span> → '
                    f'<span class="new">{e(short(value.b, 100))}</span></li>')
            add("</ul></li>")
        add("</ul>")
    for title, refs, cls in ((f"only in {label_a}", fr.only_a, "old"),
                             (f"only in {label_b}", fr.only_b, "new")):
        if refs:
            add(f"<div>{e(title)} ({len(refs)})</div><ul>")
            add("".join(f'<li class="{cls} mono">#{r.index} {e(r.identity)}</li>'
                        for r in refs))
            add("</ul>")
    add("</details>")
    return parts


def side_by_side(a: Snapshot, b: Snapshot, function: str) -> str:
    """The function's code in A and in B, in two columns, changed lines marked."""
    left, right = _code(a, function), _code(b, function)
    if left is None or right is None:
        return ""
    rows = ['<table class="side"><colgroup><col style="width:3.5em"><col>'
            '<col style="width:3.5em"><col></colgroup>'
            "<tr><th></th><th>A</th><th></th><th>B</th></tr>"]
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            for i, j in zip(range(a0, a1), range(b0, b1)):
                rows.append(_row(i, left[i], "", j, right[j], ""))
            continue
        kind_a, kind_b = {"replace": ("chg-a", "chg-b"), "delete": ("del", ""),
                          "insert": ("", "add")}[op]
        for k in range(max(a1 - a0, b1 - b0)):
            i, j = a0 + k, b0 + k
            rows.append(_row(i if i < a1 else None, left[i] if i < a1 else "", kind_a,
                             j if j < b1 else None, right[j] if j < b1 else "", kind_b))
    rows.append("</table>")
    return "".join(rows)


def _row(i: Optional[int], x: str, kind_x: str, j: Optional[int], y: str, kind_y: str) -> str:
    n = lambda k: "" if k is None else str(k + 1)  # noqa: E731
    return (f'<tr><td class="n">{n(i)}</td><td class="{kind_x}">{e(x)}</td>'
            f'<td class="n">{n(j)}</td><td class="{kind_y}">{e(y)}</td></tr>')


def _code(snap: Snapshot, function: str) -> Optional[List[str]]:
    source = snap.sources.get(function)
    if source is None or not source.text:
        return None
    code = normalized_code(source.text)
    return (code if code is not None else source.text).splitlines()
