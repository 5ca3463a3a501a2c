"""`harness matrix`: one scenario, several interpreters, a diff against the first."""
import json
import os
import subprocess
import sys

from conftest import ROOT, run_harness


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


def test_the_recording_side_needs_neither_pyyaml_nor_an_installed_harness(tmp_path):
    """What `matrix` runs in each environment: an old one may hold torch and nothing else."""
    from harness import scenario

    job = {"scenario": scenario.load("scenarios/containers.yaml").to_data(),
           "output": str(tmp_path / "s.jsonl"), "quiet": True}
    job_file = tmp_path / "job.json"
    job_file.write_text(json.dumps(job))
    blocker = ("import sys; sys.modules['yaml'] = None; sys.modules['pdbpp'] = None; "
               "sys.argv[1:] = [%r]; import runpy; runpy.run_module('harness.child', "
               "run_name='__main__')" % str(job_file))
    from harness.process import child_environment

    proc = subprocess.run([sys.executable, "-c", blocker], cwd=str(tmp_path),
                          env=child_environment(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "s.jsonl").exists()
