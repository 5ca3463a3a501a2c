"""The Python API: run a scenario, load a snapshot, diff two.

    import harness
    snap = harness.run("scenarios/seed_walk.yaml")          # or the same structure as a dict
    stop = snap.stop("infer_type", name="weights")
    assert stop.locals["attr_type"]["jit_type"] == "Tensor"
    report = harness.diff(harness.load("old.jsonl"), snap)
    assert report.equal, report.text()

None of this imports torch in the calling process: `run` records in a fresh interpreter, like
the command line, unless `in_process=True`.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from typing import List, Optional, Union

from . import compare, scenario as scenario_mod, snapshot
from .errors import HarnessError
from .parent.job import Job
from .scenario import Scenario
from .snapshot import Snapshot

ScenarioLike = Union[str, "os.PathLike[str]", dict, Scenario]


class DiffReport(compare.DiffReport):
    """`compare.DiffReport`, with the text `harness diff` prints."""

    def text(self, color: bool = False) -> str:
        from .show.render_diff import diff_text

        return diff_text(self, color)


def load_scenario(source: ScenarioLike, base_dir: Optional[str] = None) -> Scenario:
    """A scenario from a YAML path (or a shipped scenario's name: `seed_walk`), a dict shaped
    like the YAML, or a Scenario as is."""
    if isinstance(source, Scenario):
        return source
    if isinstance(source, dict):
        return scenario_mod.from_data(source, base_dir=base_dir or os.getcwd(), file="<dict>")
    from .shipped import resolve

    return scenario_mod.load(resolve(os.fspath(source)))


def run(source: ScenarioLike, output: Optional[str] = None, backend: str = "auto",
        in_process: bool = False, python: Optional[str] = None,
        base_dir: Optional[str] = None) -> Snapshot:
    """Record a scenario and return its snapshot, whether the model scripted or not (see
    `snap.outcome`). Bad input raises `HarnessError` (or its `ScenarioError`); a recording
    process that dies raises `RecorderDied`.

    output: where the snapshot goes (default: nowhere kept: it is recorded into a temporary
      folder, read into memory, and the folder removed; give a path to keep the file).
    in_process: record in this process (torch's type caches then carry over between runs).
    python: the interpreter to record with (default: this one); ignored with in_process.
    """
    scenario = load_scenario(source, base_dir)
    if output is not None:
        return _record(scenario, output, backend, in_process, python)
    folder = tempfile.mkdtemp(prefix="harness-")
    try:
        path = os.path.join(folder, f"{scenario.name}.jsonl")
        _record(scenario, path, backend, in_process, python)
        with open(path, "rb") as f:
            lines = f.read().splitlines()
        return snapshot.parse(lines, path=f"<harness.run({scenario.name}): not kept>")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _record(scenario: Scenario, output: str, backend: str, in_process: bool,
            python: Optional[str]) -> Snapshot:
    job = Job(scenario=scenario, output=output, backend=backend, quiet=True, color=False)
    job.check_outputs()
    if in_process:
        from .recording.session import record

        record(scenario, output=output, backend=backend)
        return snapshot.read(output)
    from .parent import launch

    recording = launch.run(job, python, capture=True)
    if recording.signals:  # Ctrl-C (or a stop signal) while it ran: stop the caller too
        raise KeyboardInterrupt
    if recording.recorded:
        return snapshot.read(output)
    if recording.finished:  # it refused the job: bad input
        message = recording.stderr.strip().replace("harness: error: ", "", 1)
        raise HarnessError(message or f"recording failed (exit {recording.code})")
    raise recording.died()


def run_keep_going(source: ScenarioLike, output: Optional[str] = None, backend: str = "auto",
                   python: Optional[str] = None, base_dir: Optional[str] = None
                   ) -> List[Snapshot]:
    """`harness run --keep-going`: record, and after each failure record again with a change
    that should get past it (in memory, never in the model's files), until the model scripts
    or no change applies. One snapshot a round, in order; each failure's
    `snap.diagnosis.checked` says whether its change got scripting past it. The first is
    what `run` gives: the model as written. output: round 1's path (later rounds beside it,
    `NAME-round-2.jsonl`); by default none is kept, as with `run`."""
    scenario = load_scenario(source, base_dir)
    if output is not None:
        return _keep_going(scenario, output, backend, python, keep=True)
    folder = tempfile.mkdtemp(prefix="harness-")
    try:
        return _keep_going(scenario, os.path.join(folder, f"{scenario.name}.jsonl"), backend,
                           python, keep=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _keep_going(scenario: Scenario, output: str, backend: str, python: Optional[str],
                keep: bool) -> List[Snapshot]:
    from .parent.keep_going import run_rounds

    job = Job(scenario=scenario, output=output, backend=backend, quiet=True, color=False)
    job.check_outputs()
    rounds = run_rounds(job, python, capture=True)
    if any(r.recording.signals for r in rounds):
        raise KeyboardInterrupt
    if rounds[0].end is None:
        raise HarnessError(rounds[0].problem or "the recording did not finish")
    paths = [r.path for r in rounds if r.end is not None and r.path]
    if keep:
        return [snapshot.read(path) for path in paths]
    snaps = []
    for number, path in enumerate(paths, 1):
        with open(path, "rb") as f:
            snaps.append(snapshot.parse(f.read().splitlines(), path=f"<harness.run_keep_going("
                                        f"{scenario.name}) round {number}: not kept>"))
    return snaps


def load(path: Union[str, "os.PathLike[str]"]) -> Snapshot:
    """Read a snapshot file (no code from it runs; no torch needed)."""
    return snapshot.read(os.fspath(path))


def diff(a: Union[Snapshot, str], b: Union[Snapshot, str], contents: bool = True
         ) -> DiffReport:
    """Compare two snapshots (or snapshot paths); `report.equal`, `report.text()`.
    contents=False leaves tensors' contents out (shape, dtype and device still count)."""
    a = a if isinstance(a, Snapshot) else load(a)
    b = b if isinstance(b, Snapshot) else load(b)
    report = compare.diff(a, b, contents=contents)
    return DiffReport(**{f.name: getattr(report, f.name)
                         for f in dataclasses.fields(report)})


__all__ = ["run", "run_keep_going", "load", "diff", "load_scenario", "Snapshot",
           "DiffReport"]
