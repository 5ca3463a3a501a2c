"""The GitHub Actions workflow in docs/ci: its steps are a script, run here as CI runs it."""
import os
import shutil
import subprocess
import sys

import yaml

from helpers import ROOT, real_snapshot

STEPS = os.path.join(ROOT, "docs", "ci", "matrix_steps.py")


def steps(*args, env=None):
    return subprocess.run([sys.executable, STEPS, *args], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, **(env or {})))


def versions(tmp_path):
    folders = []
    for version in ("1.13.1", "2.14.1", "2.15.0"):
        folder = tmp_path / version
        folder.mkdir()
        for scenario in ("seed_walk", "containers"):
            shutil.copy(real_snapshot(scenario, version),
                        folder / f"{scenario.replace('_', '-')}.jsonl")
        folders.append(str(folder))
    return folders


def test_compare_fails_on_unexpected_differences_and_passes_once_they_are_expected(tmp_path):
    folders = versions(tmp_path)
    expected = tmp_path / "expected.json"
    proc = steps("compare", *folders, "--expected", str(expected))
    assert proc.returncode == 1 and "unexpected differences in containers, seed-walk" \
        in proc.stderr
    assert steps("compare", *folders, "--expected", str(expected), "--update").returncode == 0
    summary = tmp_path / "summary.md"
    proc = steps("compare", *folders, "--expected", str(expected),
                 env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 scenarios, 3 versions: as expected" in proc.stdout
    assert "## seed-walk" in summary.read_text() and "code changed" in summary.read_text()


def test_record_with_an_interpreter_writes_one_snapshot_per_scenario(tmp_path):
    proc = steps("record", "--python", sys.executable, "--out", str(tmp_path / "out"),
                 "--scenarios", os.path.join(ROOT, "scenarios", "containers.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert os.listdir(tmp_path / "out") == ["containers.jsonl"]


def test_the_workflow_runs_those_steps():
    with open(os.path.join(ROOT, "docs", "ci", "harness-matrix.yml")) as f:
        workflow = yaml.safe_load(f)
    record, compare = workflow["jobs"]["record"], workflow["jobs"]["compare"]
    runs = [s.get("run", "") for s in record["steps"]]
    assert any("docs/ci/matrix_steps.py record --torch ${{ matrix.torch }}" in r for r in runs)
    assert compare["needs"] == "record"
    assert any("docs/ci/matrix_steps.py compare" in s.get("run", "") for s in compare["steps"])
    assert record["strategy"]["matrix"]["torch"] == ["1.13.1", "2.14.1", "2.15.0"]
