"""pytest plugin: scenario files as regression tests, and a `harness_run` fixture.

Opt in by naming the scenarios in the ini file:

    [pytest]                       # or [tool:pytest] in setup.cfg
    harness_scenarios = scenarios/*.yaml

Each matching file becomes one test item. It records the scenario in a fresh process and
compares the result with its golden snapshot, `__snapshots__/<scenario name>/torch-<X.Y>.jsonl`
beside the file (one golden per torch release line). A difference fails with the `harness
diff` report, and the snapshot the test recorded is kept as a run of the scenario
(`snapshots/<name>/` under the rootdir), where the message says. `pytest --harness-update`
writes the goldens that changed and leaves the others alone; goldens no scenario owns any
more (a renamed scenario's) are reported, and `--harness-delete-unused` removes them.

The hooks stay small and hand the work to `GoldenSession` (as syrupy does), so the logic is
testable apart from pytest's plumbing. What each test did to its golden travels in the test
report's `user_properties`, so the counts are right under pytest-xdist too. Recording happens in
child processes: the pytest process never installs a trace function.
"""
from __future__ import annotations

import fnmatch
import os
import shutil
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from . import api, compare, runs, snapshot
from . import scenario as scenario_mod
from .errors import HarnessError
from .text import counted

INI_GLOBS = "harness_scenarios"
GOLDEN_DIR = runs.GOLDEN_DIR
PROPERTY = "harness_golden"  # (PROPERTY, {"status": ..., "path": ...}) in user_properties
WRITTEN, UNCHANGED, KEPT = "written", "unchanged", "kept"


def pytest_addoption(parser):
    group = parser.getgroup("harness", "harness scenarios as regression tests")
    group.addoption("--harness-update", action="store_true", default=False,
                    help="write the golden snapshots of harness scenarios that changed (or are "
                         "missing); the others are left as they are")
    group.addoption("--harness-delete-unused", action="store_true", default=False,
                    help="delete golden snapshots that no scenario owns any more (a renamed "
                         "scenario's)")
    parser.addini(INI_GLOBS, type="linelist", default=[],
                  help="globs (relative to the rootdir) of harness scenario files to collect "
                       "as tests, e.g. scenarios/*.yaml")


def pytest_configure(config):
    session = GoldenSession(config)
    config._harness = session
    config.pluginmanager.register(GoldenReporter(session), "harness-golden-reporter")


def pytest_collect_file(file_path: Path, parent):
    session: GoldenSession = parent.config._harness
    if session.wants(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


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
    def __init__(self, report: compare.DiffReport, golden: str, now: snapshot.Snapshot,
                 kept: str):
        self.report, self.golden, self.now, self.kept = report, golden, now, kept


class GoldenProblem(Exception):
    """A golden that is missing or unreadable: the message says what to do."""


class GoldenSession:
    def __init__(self, config):
        self.root = Path(str(config.rootpath))
        self.globs: List[str] = list(config.getini(INI_GLOBS))
        self.update: bool = bool(config.getoption("--harness-update"))
        self.delete_unused: bool = bool(config.getoption("--harness-delete-unused"))
        self.goldens: Dict[Path, Path] = {}  # golden folder -> the scenario that owns it
        self.done: Dict[str, List[str]] = {WRITTEN: [], UNCHANGED: [], KEPT: []}

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
        return scenario_path.parent / GOLDEN_DIR / name / runs.golden_filename(torch_version)

    def tally(self, done: dict) -> None:
        """One test's part in the summary (from its report, which may come from a worker)."""
        if isinstance(done, dict) and done.get("status") in self.done:
            self.done[done["status"]].append(str(done.get("path")))

    def check(self, scenario_path: Path) -> Tuple[str, str]:
        """Record and compare: (what happened to the golden, its path), or raises
        GoldenMismatch (the recorded snapshot then kept as a run) or GoldenProblem."""
        workdir = tempfile.mkdtemp(prefix="harness-golden-")
        try:
            try:
                snap = api.run(str(scenario_path), output=os.path.join(workdir, "new.jsonl"))
            except HarnessError as exc:
                raise GoldenProblem(f"the scenario cannot run: {exc}") from None
            golden = self.golden_path(scenario_path, snap.header.scenario.name,
                                      snap.header.torch)
            if self.update:
                if self._passes(golden, snap):
                    return UNCHANGED, str(golden)
                write_golden(snap.path, golden)
                return WRITTEN, str(golden)
            if not golden.exists():
                raise GoldenProblem(
                    f"no golden snapshot for torch {snap.header.torch} at {golden}; "
                    "run `pytest --harness-update` to record it, then commit it")
            try:
                expected = snapshot.read(str(golden))
            except HarnessError as exc:
                raise GoldenProblem(f"the golden snapshot cannot be read: {exc}; re-record it "
                                    "with `pytest --harness-update`") from None
            try:
                report = compare.diff(expected, snap)
            except (ValueError, TypeError, LookupError, AttributeError, RecursionError) as exc:
                raise GoldenProblem(f"the golden snapshot {golden} cannot be compared ("
                                    f"{type(exc).__name__}: {exc}); re-record it with "
                                    "`pytest --harness-update`") from None
            if report.encoding:
                raise GoldenProblem(
                    f"the golden {golden} was recorded with value encoding "
                    f"{report.encoding[0]}, and this harness writes encoding "
                    f"{report.encoding[1]}: their values cannot be compared (a change in the "
                    "harness, not in torch or the model); re-record it with "
                    "`pytest --harness-update` and review the new golden")
            if not report.equal:
                kept = self.keep(snap)
                report.b = kept
                raise GoldenMismatch(report, str(golden), snap, kept)
            return "matches", str(golden)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    @staticmethod
    def _passes(golden: Path, snap: snapshot.Snapshot) -> bool:
        """The test would pass against the golden as it is: then it is not rewritten, even if
        its bytes differ in what the comparison leaves out (line numbers, the patch release)."""
        if not golden.exists():
            return False
        try:
            report = compare.diff(snapshot.read(str(golden)), snap)
        except (HarnessError, ValueError, TypeError, LookupError, AttributeError,
                RecursionError):  # a golden the harness did not write: rewrite it
            return False
        return report.equal and not report.encoding

    def keep(self, snap: snapshot.Snapshot) -> str:
        """Keep a failing test's snapshot as a run of its scenario under the rootdir, where
        `harness diff --golden --last NAME` finds it; its path as the message shows it."""
        path = runs.new_run(snap.header.scenario.name, snap.header.torch,
                            root=str(self.root / runs.RUNS_DIR))
        shutil.copyfile(snap.path, path)
        return runs.shown(path)

    def unused_goldens(self) -> List[Path]:
        """Goldens in `__snapshots__/<name>/` beside the scenario files with no scenario named
        `<name>` beside them. A folder any of whose scenarios cannot be read is left out: its
        goldens may be that scenario's."""
        folders = {owner.parent for owner in self.goldens.values()}
        for pattern in self.globs:
            try:
                folders.update(p.parent for p in self.root.glob(pattern) if self.wants(p))
            except (ValueError, NotImplementedError, OSError):
                continue
        unused: List[Path] = []
        for folder in sorted(folders):
            golden_root = folder / GOLDEN_DIR
            if not golden_root.is_dir():
                continue
            try:
                names = {scenario_mod.load(str(f)).name for f in folder.iterdir()
                         if f.is_file() and self.wants(f)}
            except HarnessError:
                continue
            for sub in sorted(golden_root.iterdir()):
                if sub.is_dir() and sub.name not in names:
                    unused.extend(sorted(sub.glob(f"torch-*{runs.EXTENSION}")))
        return unused


class GoldenReporter:
    """The hooks that see every test's report (on the controller, under xdist) and end the
    session: the counts, the unused goldens, their deletion."""

    def __init__(self, session: GoldenSession):
        self.session = session
        self.unused: List[Path] = []
        self.deleted: List[Path] = []

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            for name, value in report.user_properties:
                if name == PROPERTY:
                    self.session.tally(value)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session):
        if hasattr(session.config, "workerinput"):  # an xdist worker: the controller does it
            return
        self.unused = self.session.unused_goldens()
        if self.session.delete_unused:
            for path in self.unused:
                path.unlink()
                if not any(path.parent.iterdir()):
                    path.parent.rmdir()
            self.deleted, self.unused = self.unused, []

    def pytest_terminal_summary(self, terminalreporter):
        s = self.session
        if not (s.update or self.unused or self.deleted or s.done[KEPT]):
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("-", "harness golden snapshots")
        if s.update:
            write(f"harness: {counted(len(s.done[WRITTEN]), 'golden snapshot')} written, "
                  f"{len(s.done[UNCHANGED])} unchanged, {len(self.unused)} unused")
            for path in s.done[WRITTEN]:
                write(f"  written: {self.shown(path)}")
        elif self.unused:
            write(f"harness: {counted(len(self.unused), 'golden snapshot')} unused")
        for path in self.unused:
            write(f"  unused: {self.shown(path)} (no scenario named {path.parent.name!r} "
                  "beside it; pytest --harness-delete-unused deletes it)")
        if self.deleted:
            write(f"harness: {counted(len(self.deleted), 'unused golden snapshot')} deleted")
            for path in self.deleted:
                write(f"  deleted: {self.shown(path)}")
        if s.done[KEPT]:
            write(f"harness: the snapshots of {counted(len(s.done[KEPT]), 'failing test')} "
                  "kept (harness diff --golden --last NAME compares one again)")
        for path in s.done[KEPT]:
            write(f"  kept: {path}")

    def shown(self, path) -> str:
        try:
            return str(Path(path).relative_to(self.session.root))
        except ValueError:
            return str(path)


def write_golden(recorded: str, golden: Path) -> None:
    """Copy a recording to its golden's place: whole or not at all (a temporary file beside
    it, renamed into place), and GoldenProblem, saying why, when it cannot be written."""
    temporary = None
    try:
        golden.parent.mkdir(parents=True, exist_ok=True)
        if golden.is_dir():
            raise GoldenProblem(f"cannot write the golden snapshot {golden}: it is a folder; "
                                "remove it and run `pytest --harness-update` again")
        fd, temporary = tempfile.mkstemp(prefix=golden.name + ".", suffix=".tmp",
                                         dir=str(golden.parent))
        os.close(fd)
        shutil.copyfile(recorded, temporary)
        os.replace(temporary, golden)
        temporary = None
    except OSError as exc:
        raise GoldenProblem(f"cannot write the golden snapshot {golden}: "
                            f"{exc.strerror or exc}") from None
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


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
        try:
            status, path = self.config._harness.check(self.path)
        except GoldenMismatch as exc:
            self.user_properties.append((PROPERTY, {"status": KEPT, "path": exc.kept}))
            raise
        self.user_properties.append((PROPERTY, {"status": status, "path": path}))

    def repr_failure(self, excinfo, style=None):
        exc = excinfo.value
        if isinstance(exc, GoldenMismatch):
            try:
                return self._mismatch(exc)
            except Exception as err:  # noqa: B902 - a report that fails must not stop pytest
                return (f"the run differs from the golden {exc.golden}, and the difference "
                        f"cannot be shown ({type(err).__name__}: {err}); compare them with "
                        f"`harness diff {exc.golden} NEW`")
        if isinstance(exc, GoldenProblem):
            return str(exc)
        return super().repr_failure(excinfo, style)

    @staticmethod
    def _mismatch(exc: "GoldenMismatch") -> str:
        from .show.render import Style
        from .show.render_diff import diff_lines
        from .show.run_report import diagnosis_lines

        lines = diff_lines(exc.report, Style(False), "golden", "now")
        lines.extend(diagnosis_lines(exc.now.diagnosis, Style(False)))  # the model broke
        lines.append(f"golden: {exc.golden}")
        name = exc.now.header.scenario.name
        lines.append(f"now:    {exc.kept} (kept; compare again: harness diff --golden "
                     f"--last {name})")
        lines.append("if the change is expected: pytest --harness-update")
        return "\n".join(lines)

    def reportinfo(self):
        return self.path, None, f"harness scenario {self.path.name}"
