"""pytest plugin: scenario files as regression tests, and a `harness_run` fixture.

Opt in by naming the scenarios in the ini file:

    [pytest]                       # or [tool:pytest] in setup.cfg
    harness_scenarios = scenarios/*.yaml

Each matching file becomes one test item. It records the scenario in a fresh process and
compares the result with its golden snapshot, `__snapshots__/<scenario name>/torch-<X.Y>.jsonl`
beside the file (one golden per torch release line). A difference fails with the `harness
diff` report; `pytest --harness-update` writes or refreshes the goldens.

The hooks stay small and hand the work to `GoldenSession` (as syrupy does), so the logic is
testable apart from pytest's plumbing. Recording happens in child processes: the pytest
process never installs a trace function.
"""
from __future__ import annotations

import fnmatch
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from . import api, compare, snapshot
from . import scenario as scenario_mod
from .errors import HarnessError

INI_GLOBS = "harness_scenarios"
GOLDEN_DIR = "__snapshots__"


def pytest_addoption(parser):
    group = parser.getgroup("harness", "harness scenarios as regression tests")
    group.addoption("--harness-update", action="store_true", default=False,
                    help="write or refresh the golden snapshots of harness scenarios")
    parser.addini(INI_GLOBS, type="linelist", default=[],
                  help="globs (relative to the rootdir) of harness scenario files to collect "
                       "as tests, e.g. scenarios/*.yaml")


def pytest_configure(config):
    config._harness = GoldenSession(config)  # type: ignore[attr-defined]


def pytest_collect_file(file_path: Path, parent):
    session: GoldenSession = parent.config._harness
    if session.wants(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def pytest_terminal_summary(terminalreporter):
    session: Optional[GoldenSession] = getattr(terminalreporter.config, "_harness", None)
    if session and session.updated:
        terminalreporter.write_sep("-", f"harness: {len(session.updated)} golden snapshots "
                                        "written")
        for path in session.updated:
            terminalreporter.write_line(f"  {path}")


@pytest.fixture
def harness_run(tmp_path):
    """Run a scenario (a YAML path or the same structure as a dict) in a fresh process and
    return its snapshot: `snap = harness_run("s.yaml"); snap.stop("infer_type", name="w")`."""
    counter = [0]

    def run(source, **kwargs):
        counter[0] += 1
        kwargs.setdefault("output", str(tmp_path / f"harness-run-{counter[0]}.jsonl"))
        return api.run(source, **kwargs)

    return run


# -- the work -------------------------------------------------------------------------------
class GoldenMismatch(Exception):
    def __init__(self, report: compare.DiffReport, golden: str, now: snapshot.Snapshot):
        self.report, self.golden, self.now = report, golden, now


class GoldenProblem(Exception):
    """A golden that is missing or unreadable: the message says what to do."""


class GoldenSession:
    def __init__(self, config):
        self.root = Path(str(config.rootpath))
        self.globs: List[str] = list(config.getini(INI_GLOBS))
        self.update: bool = bool(config.getoption("--harness-update"))
        self.updated: List[str] = []
        self.goldens: Dict[Path, Path] = {}  # golden folder -> the scenario that owns it

    def claim(self, scenario_path: Path) -> Optional[str]:
        """Two scenarios with one `name` would write and check one golden: the second one
        to be collected is refused, naming both."""
        try:
            name = scenario_mod.load(str(scenario_path)).name
        except HarnessError:
            return None  # running it will say what is wrong
        folder = scenario_path.parent / GOLDEN_DIR / name
        owner = self.goldens.setdefault(folder, scenario_path)
        if owner != scenario_path:
            return (f"{scenario_path} and {owner} are both named {name!r}: they would share "
                    f"the golden snapshots in {folder}; give each its own name")
        return None

    def wants(self, path: Path) -> bool:
        if not self.globs or path.suffix not in (".yaml", ".yml"):
            return False
        try:
            relative = path.relative_to(self.root).as_posix()
        except ValueError:
            return False
        return any(fnmatch.fnmatch(relative, pattern) for pattern in self.globs)

    @staticmethod
    def golden_path(scenario_path: Path, name: str, torch_version: str) -> Path:
        line = ".".join(re.split(r"[.+]", torch_version)[:2])  # 2.13.0+cpu -> 2.13
        return scenario_path.parent / GOLDEN_DIR / name / f"torch-{line}.jsonl"

    def check(self, scenario_path: Path) -> str:
        """Record and compare; returns what happened, or raises GoldenMismatch/GoldenProblem."""
        workdir = tempfile.mkdtemp(prefix="harness-golden-")
        try:
            try:
                snap = api.run(str(scenario_path), output=os.path.join(workdir, "new.jsonl"))
            except HarnessError as exc:
                raise GoldenProblem(f"the scenario cannot run: {exc}") from None
            golden = self.golden_path(scenario_path, snap.header.scenario.name,
                                      snap.header.torch)
            if self.update:
                golden.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(snap.path, golden)
                self.updated.append(str(golden))
                return f"golden written: {golden}"
            if not golden.exists():
                raise GoldenProblem(
                    f"no golden snapshot for torch {snap.header.torch} at {golden}; "
                    "run `pytest --harness-update` to record it, then commit it")
            try:
                expected = snapshot.read(str(golden))
            except HarnessError as exc:
                raise GoldenProblem(f"the golden snapshot cannot be read: {exc}; re-record it "
                                    "with `pytest --harness-update`") from None
            report = compare.diff(expected, snap)
            if report.encoding:
                raise GoldenProblem(
                    f"the golden {golden} was recorded with value encoding "
                    f"{report.encoding[0]}, and this harness writes encoding "
                    f"{report.encoding[1]}: their values cannot be compared (a change in the "
                    "harness, not in torch or the model); re-record it with "
                    "`pytest --harness-update` and review the new golden")
            if not report.equal:
                raise GoldenMismatch(report, str(golden), snap)
            return "matches golden"
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


class ScenarioFile(pytest.File):
    def collect(self):
        item = ScenarioItem.from_parent(self, name=self.path.stem)
        item.conflict = self.config._harness.claim(self.path)
        yield item


class ScenarioItem(pytest.Item):
    conflict: Optional[str] = None

    def runtest(self):
        if self.conflict:
            raise GoldenProblem(self.conflict)
        self.config._harness.check(self.path)

    def repr_failure(self, excinfo, style=None):
        exc = excinfo.value
        if isinstance(exc, GoldenMismatch):
            from .show.render import Style
            from .show.render_diff import diff_lines

            from .show.run_report import diagnosis_lines

            lines = diff_lines(exc.report, Style(False), "golden", "now")
            lines.extend(diagnosis_lines(exc.now.diagnosis, Style(False)))  # the model broke
            lines.append(f"golden: {exc.golden}")
            lines.append("if the change is expected: pytest --harness-update")
            return "\n".join(lines)
        if isinstance(exc, GoldenProblem):
            return str(exc)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"harness scenario {self.path.name}"
