"""`harness matrix`: one scenario, several interpreters, a diff against the first."""
import os
import sys

from helpers import ROOT, run_harness


def test_matrix_records_each_environment_and_diffs(tmp_path):
    proc = run_harness("matrix", "scenarios/containers.yaml", "--python", sys.executable,
                       "--python", sys.executable, "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.count("recording…") == 2 and proc.stderr.count("done in") == 2
    files = sorted(os.listdir(tmp_path))
    assert len(files) == 2 and all(f.startswith("torch-2.13.0") for f in files)
    assert "equal: 11 stops paired, no differences" in proc.stdout


def test_matrix_bad_input(tmp_path):
    proc = run_harness("matrix", "scenarios/containers.yaml", "--python", "/no/such/python",
                       "--python", sys.executable)
    assert proc.returncode == 2 and "no such executable" in proc.stderr
    proc = run_harness("matrix", "scenarios/containers.yaml", "--python", sys.executable)
    assert proc.returncode == 2 and "at least two" in proc.stderr


def test_the_recording_side_needs_neither_pyyaml_nor_pdbpp(tmp_path, monkeypatch):
    """What `matrix` runs in each environment: an old one may hold torch and nothing else."""
    from harness import scenario
    from harness.job import Job
    from harness.recording import launch

    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\nsys.modules['yaml'] = None\nsys.modules['pdbpp'] = None\n")
    monkeypatch.setenv("PYTHONPATH", str(blocker))
    job = Job(scenario=scenario.load("scenarios/containers.yaml"),
              output=str(tmp_path / "s.jsonl"), quiet=True)
    recording = launch.run(job, capture=True)
    assert recording.recorded, recording.stderr
    assert recording.code == 0 and (tmp_path / "s.jsonl").exists()
