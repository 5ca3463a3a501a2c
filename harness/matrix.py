"""Record one scenario in several Python environments (one torch each) and diff them.

An environment is an interpreter the user gives (`--python PATH`, with torch installed in
it) or a torch version the harness provisions (`--torch 1.13.1`, see `envs.py`). Each runs the
recording process (`parent/launch.py`) with the harness package put on its path, so it
needs nothing but Python and torch. Environments are prepared and recorded in parallel as far
as the machine's cores allow, each with its progress lines; then each snapshot is diffed
against the first, and `overview` says, function by function and version by version, what
changed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Dict, List, Optional

from . import envs
from .compare import DiffReport
from .errors import HarnessError
from .parent.job import Job
from .parent import launch
from .scenario import Scenario
from .snapshot import Snapshot


@dataclass
class EnvSpec:
    """One environment of a matrix: an interpreter, or a torch version to provision."""

    python: Optional[str] = None
    torch: Optional[envs.Request] = None
    chosen: Optional[envs.Interpreter] = None  # for a torch version: the interpreter to use
    error: Optional[str] = None  # why it cannot be made (a version the index does not have)

    @property
    def label(self) -> str:
        if self.torch is None:
            return str(self.python)
        return f"torch {self.torch.torch}" + (f" (Python {envs.version_text(self.chosen.line)})"
                                              if self.chosen else "")


@dataclass
class EnvRun:
    spec: EnvSpec
    path: str  # snapshot written (renamed by torch version once known)
    recording: Optional[launch.Recording] = None
    seconds: float = 0.0
    recorded: bool = False  # a snapshot with its end: the model scripted or failed
    error: Optional[str] = None  # why it has no snapshot, in one line (provisioning, ...)

    @property
    def python(self) -> str:
        return str(self.spec.python or self.spec.label)

    @property
    def code(self) -> int:
        return self.recording.code if self.recording else -1

    @property
    def stderr(self) -> str:
        return self.recording.stderr if self.recording else ""

    def problem(self) -> str:
        """Why it recorded nothing, in one line: its own error message, or how it died."""
        if self.error:
            return self.error
        for line in reversed(self.stderr.strip().splitlines()):
            if line.startswith("harness: error: "):
                return line[len("harness: error: "):]
        try:
            if self.recording is not None:
                self.recording.exit_code()
        except HarnessError as exc:
            return str(exc)
        last = (self.stderr.strip().splitlines() or ["no output"])[-1]
        return f"exit {self.code}: {last}"


# Runs on any Python, 2 included, to say which one it is.
_VERSION_PROBE = "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])"
MIN_PYTHON = (3, 8)


def check_pythons(pythons: List[str], count: int) -> None:
    """Fail before starting anything on a path that is no executable, or no Python the
    recording side can run on; one line each. `count`: environments in all."""
    if count < 2:
        raise HarnessError("matrix needs at least two environments to compare (--python PATH "
                           "or --torch VERSION, two or more in all)")
    for python in pythons:
        if not (os.path.isfile(python) and os.access(python, os.X_OK)):
            raise HarnessError(f"--python {python}: no such executable")
        try:
            out = subprocess.run([python, "-c", _VERSION_PROBE], capture_output=True,
                                 text=True, timeout=60)
            version = tuple(int(x) for x in out.stdout.strip().split("."))
        except (OSError, ValueError, subprocess.SubprocessError):
            raise HarnessError(f"--python {python}: not a Python interpreter (it did not say "
                               "its version)") from None
        if version < MIN_PYTHON:
            raise HarnessError(f"--python {python} is Python {'.'.join(map(str, version))}; "
                               "the recording side needs Python "
                               f"{'.'.join(map(str, MIN_PYTHON))} or newer")


def check_out_dir(out_dir: str) -> None:
    """Refuse a folder that already holds a matrix's snapshots: a second run would mix its
    snapshots with the first one's."""
    if os.path.isdir(out_dir):
        found = sorted(f for f in os.listdir(out_dir)
                       if f.endswith(".jsonl") and (f.startswith("torch-") or f.startswith("env")))
        if found:
            raise HarnessError(f"{out_dir} already holds snapshots ({found[0]}"
                               + (f" and {len(found) - 1} more" if len(found) > 1 else "")
                               + "); choose another -o, or remove them first")


def specs(pythons: List[str], torches: List[str], progress: Optional[IO[str]] = None,
          index: envs.IndexOptions = envs.CONFIGURED_INDEXES) -> List[EnvSpec]:
    """The environments asked for, in order: interpreters first, then torch versions, each
    torch version checked against the package index and given the interpreter chosen for it
    (said on `progress`), all before anything is installed. A version that cannot be had
    keeps its reason (`error`, said on `progress` too), and the others go on."""
    progress = progress or sys.stderr

    def say(text: str) -> None:
        print(f"matrix: {text}", file=progress, flush=True)

    out = [EnvSpec(python=p) for p in pythons]
    requests = [envs.Request.parse(t) for t in torches]
    if requests:
        found = envs.discover()
        for request in requests:
            spec = EnvSpec(torch=request)
            try:
                spec.chosen = envs.choose(request, found, say, index)
            except envs.EnvError as exc:
                spec.error = str(exc)
                say(f"{exc} (the other environments go on)")
            out.append(spec)
    return out


def record_all(scenario: Scenario, environments: List[EnvSpec], out_dir: str,
               backend: str = "auto", progress: Optional[IO[str]] = None,
               index: envs.IndexOptions = envs.CONFIGURED_INDEXES, verbose: bool = False,
               installer: str = "auto") -> List[EnvRun]:
    os.makedirs(out_dir, exist_ok=True)
    progress = progress or sys.stderr
    lock = threading.Lock()
    total = len(environments)

    def one(i: int) -> EnvRun:
        spec = environments[i]

        def say(text: str) -> None:
            with lock:
                print(f"[{i + 1}/{total}] {spec.label}: {text}", file=progress, flush=True)

        run = EnvRun(spec, os.path.join(out_dir, f"env{i + 1}.jsonl"))
        if spec.error:
            run.error = spec.error
            return run
        python = spec.python
        if spec.torch is not None:
            assert spec.chosen is not None
            try:
                python = envs.provision(spec.torch, spec.chosen, say, index, verbose,
                                        installer).python
            except HarnessError as exc:
                run.error = str(exc)
                say(f"failed: {exc}")
                return run
        job = Job(scenario=scenario, output=run.path, backend=backend, quiet=True, color=False)
        say("recording…")
        start = time.monotonic()
        run.recording = launch.run(job, python, capture=True)
        run.seconds = time.monotonic() - start
        run.recorded = run.recording.recorded
        if os.path.exists(run.path):
            run.path = _rename_by_version(run.path, i)
        if run.recorded:
            say(f"done in {run.seconds:.1f}s: {os.path.basename(run.path)}"
                + (" (scripting failed)" if run.recording.code == 1 else ""))
        else:
            say(f"failed: {run.problem()}")
        return run

    workers = max(1, min(total, (os.cpu_count() or 1)))
    with launch.signals_forwarded(), ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(total)))


def _rename_by_version(path: str, i: int) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            header = json.loads(f.readline())
        name = f"torch-{header['torch']}-py{header['python']}.jsonl"
    except (OSError, ValueError, KeyError):
        return path
    target = os.path.join(os.path.dirname(path), name)
    if os.path.exists(target):
        target = target[: -len(".jsonl")] + f"-env{i + 1}.jsonl"
    os.replace(path, target)
    return target


# -- the overview -------------------------------------------------------------------------------
SAME, CODE, VALUES, MISSING = "same", "code changed", "values changed", "missing"


@dataclass
class Overview:
    """Per function (rows, in the order met) and environment (columns, the first is the base):
    same, code changed, values changed (stops paired differently or changed), or missing."""

    columns: List[str]
    rows: Dict[str, List[str]] = field(default_factory=dict)

    def to_data(self) -> dict:
        return {"columns": self.columns, "rows": self.rows}


def overview(first: Snapshot, others: List[Snapshot], reports: List[DiffReport]) -> Overview:
    label = lambda snap: f"torch {snap.header.torch}"  # noqa: E731
    table = Overview([label(first)] + [label(s) for s in others])
    functions: List[str] = []
    for snap in [first] + others:
        for bp in snap.header.breakpoints:
            if bp.function not in functions:
                functions.append(bp.function)
    had = [{s.function for s in snap.stops} for snap in [first] + others]
    for function in functions:
        row = ["base" if function in had[0] else MISSING]
        for seen, report in zip(had[1:], reports):
            fr = report.functions.get(function)
            if function not in seen:
                row.append(MISSING)
            elif fr is not None and (fr.changed or fr.only_a or fr.only_b):
                row.append(VALUES + (" + code" if fr.source and fr.source.code_changed
                                     else ""))
            elif fr is not None and fr.source and fr.source.code_changed:
                row.append(CODE)
            else:
                row.append(SAME)
        table.rows[function] = row
    return table


def overview_lines(table: Overview) -> List[str]:
    names = {f: f.rsplit(".", 1)[-1] for f in table.rows}
    first = max([len("function")] + [len(n) for n in names.values()])
    widths = [max(len(c), *(len(r[i]) for r in table.rows.values())) if table.rows else len(c)
              for i, c in enumerate(table.columns)]
    lines = ["  ".join(["function".ljust(first)] + [c.ljust(w) for c, w in
                                                    zip(table.columns, widths)]).rstrip()]
    lines.append("  ".join(["-" * first] + ["-" * w for w in widths]))
    for function, row in table.rows.items():
        lines.append("  ".join([names[function].ljust(first)]
                               + [cell.ljust(w) for cell, w in zip(row, widths)]).rstrip())
    return lines


# -- one row per environment: the model's outcome, and what changed against the first ----------
@dataclass
class ReleaseRow:
    label: str  # "torch 2.14.1+cu130 (Python 3.11.7)", or the environment asked for
    model: str  # "scripted", "failed: attribute-type", "not recorded: <why>"
    against: str  # "base", "same", "values changed", "code changed", "values changed + code"


def model_outcome(snap: Snapshot) -> str:
    """The model's outcome in a few words: scripted, or failed with the diagnosis's kind."""
    if snap.outcome == "ok":
        return "scripted"
    if snap.outcome == "error":
        kind = snap.diagnosis.kind if snap.diagnosis is not None else None
        error = snap.end.error.type if snap.end is not None and snap.end.error else "error"
        return f"failed: {kind}" if kind else f"failed: {error}"
    return snap.outcome  # stopped, unfinished


def what_changed(report: DiffReport) -> str:
    counts = report.counts
    values = values_changed(report)
    code = counts["sources"] > 0
    if values:
        return VALUES + (" + code" if code else "")
    if code:
        return CODE
    return SAME if report.equal else "other (warnings, header)"


def values_changed(report: DiffReport) -> bool:
    """What the walk recorded differs: stops changed or only on one side, or the outcome."""
    counts = report.counts
    return bool(counts["changed"] or counts["only_a"] or counts["only_b"] or report.outcome
                or report.encoding)


def release_rows(runs: List[EnvRun], snaps: Dict[int, Snapshot],
                 reports: Dict[int, DiffReport]) -> List[ReleaseRow]:
    """One row per environment asked for, in order; `snaps` and `reports` by position in
    `runs` (the base has a snapshot and no report; one not recorded has neither)."""
    rows = []
    for i, run in enumerate(runs):
        snap = snaps.get(i)
        if snap is None:
            rows.append(ReleaseRow(run.spec.label, f"not recorded: {run.problem()}", "-"))
            continue
        label = f"torch {snap.header.torch} (Python {snap.header.python})"
        report = reports.get(i)
        rows.append(ReleaseRow(label, model_outcome(snap),
                               "base" if report is None else what_changed(report)))
    return rows


def release_lines(rows: List[ReleaseRow]) -> List[str]:
    """The rows as a table: environment, what changed against the base, the model's outcome
    (last: a reason why an environment was not recorded can be long)."""
    head = ReleaseRow("environment", "model", "against the base")
    widths = [max(len(getattr(r, f)) for r in [head] + rows) for f in ("label", "against")]
    model = min(40, max(len(r.model) for r in [head] + rows))
    rule = ReleaseRow("-" * widths[0], "-" * model, "-" * widths[1])
    return [f"{row.label:<{widths[0]}}  {row.against:<{widths[1]}}  {row.model}".rstrip()
            for row in [head, rule] + rows]


# -- the exit status: what the user gates on ---------------------------------------------------
FAIL_ON = ("outcome", "values", "code", "never")
DEFAULT_FAIL_ON = "outcome"


def gate(fail_on: str, snaps: List[Snapshot], reports: List[DiffReport]) -> bool:
    """True when the matrix fails the gate. Each level includes those before it:
    `outcome`: the model failed to script (or did not finish) with some environment;
    `values`: that, or what the walk recorded differs from the base's (stops, the outcome);
    `code`: that, or anything differs, torch's code and warnings included;
    `never`: the matrix only reports."""
    if fail_on == "never":
        return False
    failed = any(snap.outcome != "ok" for snap in snaps)
    if fail_on == "outcome" or failed:
        return failed
    if fail_on == "values":
        return any(values_changed(r) for r in reports)
    return not all(r.equal for r in reports)
