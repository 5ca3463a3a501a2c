"""The Python API: run a scenario, load a snapshot, diff two.

    import harness
    snap = harness.run("scenarios/seed_walk.yaml")          # or the same structure as a dict
    stop = snap.stop("infer_type", name="weights")
    assert stop["locals"]["attr_type"]["jit_type"] == "Tensor"
    report = harness.diff(harness.load("old.jsonl"), snap)
    assert report.equal, report.text()

None of this imports torch in the calling process: `run` records in a fresh interpreter, like
the command line, unless `in_process=True`.
"""
from __future__ import annotations

import os
import sys
import tempfile
from typing import Optional, Union

from . import compare, scenario as scenario_mod, snapshot
from .errors import HarnessError
from .scenario import Scenario
from .snapshot import Snapshot

ScenarioLike = Union[str, "os.PathLike[str]", dict, Scenario]


def load_scenario(source: ScenarioLike, base_dir: Optional[str] = None) -> Scenario:
    """A scenario from a YAML path, a dict shaped like the YAML, or a Scenario as is."""
    if isinstance(source, Scenario):
        return source
    if isinstance(source, dict):
        return scenario_mod.from_data(source, base_dir=base_dir or os.getcwd(), file="<dict>")
    return scenario_mod.load(os.fspath(source))


def run(source: ScenarioLike, output: Optional[str] = None, backend: str = "auto",
        in_process: bool = False, python: Optional[str] = None,
        base_dir: Optional[str] = None) -> Snapshot:
    """Record a scenario and return its snapshot, whether the model scripted or not (see
    `snap.outcome`). Bad input raises `HarnessError` (or its `ScenarioError`).

    output: where the snapshot goes (default: a new temporary file; `snap.path` says where).
    in_process: record in this process (torch's type caches then carry over between runs).
    python: the interpreter to record with (default: this one); ignored with in_process.
    """
    scenario = load_scenario(source, base_dir)
    if output is None:
        output = os.path.join(tempfile.mkdtemp(prefix="harness-"), f"{scenario.name}.jsonl")
    if in_process:
        from .session import record

        record(scenario, output=output, backend=backend)
        return snapshot.read(output)
    from .process import run_child

    job = {"scenario": scenario.to_data(), "output": output, "backend": backend,
           "save_scripted": None, "quiet": True, "color": False}
    proc = run_child(job, python or sys.executable, capture=True)
    if proc.returncode not in (0, 1) or not os.path.exists(output):
        message = proc.stderr.strip().replace("harness: error: ", "", 1)
        raise HarnessError(message or f"recording failed (exit {proc.returncode})")
    return snapshot.read(output)


def load(path: Union[str, "os.PathLike[str]"]) -> Snapshot:
    """Read a snapshot file (no code from it runs; no torch needed)."""
    return snapshot.read(os.fspath(path))


def diff(a: Union[Snapshot, str], b: Union[Snapshot, str]) -> compare.DiffReport:
    """Compare two snapshots (or snapshot paths); `report.equal`, `report.text()`."""
    a = a if isinstance(a, Snapshot) else load(a)
    b = b if isinstance(b, Snapshot) else load(b)
    return compare.diff(a, b)


__all__ = ["run", "load", "diff", "load_scenario", "Snapshot"]
