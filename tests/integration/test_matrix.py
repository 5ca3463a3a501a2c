"""`harness matrix`: one scenario, several interpreters, a diff against the first."""
import os
import sys

from helpers import run_harness


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
    from harness.parent.job import Job
    from harness.parent import launch

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


def test_interpreters_that_cannot_record_get_one_line_each(tmp_path):
    python2 = os.path.expanduser("~/.pyenv/versions/2.7.18/bin/python")
    if os.path.exists(python2):
        proc = run_harness("matrix", "scenarios/containers.yaml", "--python", python2,
                           "--python", sys.executable, "-o", str(tmp_path / "a"))
        assert proc.returncode == 2
        assert proc.stderr.strip() == (f"harness: error: --python {python2} is Python 2.7; "
                                       "the recording side needs Python 3.8 or newer")
    bare = sys.base_prefix + "/bin/python3"  # this Python without the venv: no torch
    proc = run_harness("matrix", "scenarios/containers.yaml", "--python", bare,
                       "--python", sys.executable, "-o", str(tmp_path / "b"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("harness: error:")]
    assert errors == [f"harness: error: recording with {bare} failed: torch cannot be "
                      f"imported by {bare}: ModuleNotFoundError: No module named 'torch'"]
    assert "Traceback" not in proc.stderr


def test_a_second_matrix_into_one_folder_is_refused(tmp_path):
    (tmp_path / "torch-2.13.0+cpu-py3.11.7.jsonl").write_text("{}\n")
    proc = run_harness("matrix", "scenarios/containers.yaml", "--python", sys.executable,
                       "--python", sys.executable, "-o", str(tmp_path))
    assert proc.returncode == 2
    assert "already holds snapshots (torch-2.13.0+cpu-py3.11.7.jsonl)" in proc.stderr


def test_an_unknown_torch_version_is_reported_and_the_others_go_on(tmp_path):
    proc = run_harness("matrix", "scenarios/failing_attribute.yaml", "--python", sys.executable,
                       "--torch", "9.9.9", "--python", sys.executable, "-o", str(tmp_path / "m"),
                       env={"HARNESS_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 2, proc.stdout + proc.stderr  # bad input, whatever the gate
    assert "matrix: torch 9.9.9 does not exist on the package index; it has 2." in proc.stderr
    assert "(the other environments go on)" in proc.stderr
    assert proc.stderr.count("recording…") == 2
    assert len(os.listdir(tmp_path / "m")) == 2
    rows = proc.stdout.split("── overview")[1].splitlines()
    assert rows[1].split() == ["environment", "against", "the", "base", "model"]
    models = [r.split() for r in rows if r.endswith("failed: attribute-type")]
    assert len(models) == 2 and models[0][-3] == "base" and models[1][-3] == "same"
    assert any("torch 9.9.9" in r and "not recorded: torch 9.9.9 does not exist" in r
               for r in rows)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("harness: error:")]
    assert len(errors) == 1 and "recording with torch 9.9.9 failed" in errors[0]
    assert not (tmp_path / "cache" / "envs").exists() or \
        not os.listdir(tmp_path / "cache" / "envs")


def test_the_exit_status_is_what_the_user_gates_on(tmp_path):
    """A model that fails with every torch: `outcome` (the default) fails; `never` reports."""
    help_text = run_harness("matrix", "--help").stdout
    assert "(default: outcome)" in " ".join(help_text.split())
    proc = run_harness("matrix", "scenarios/failing_attribute.yaml", "--python", sys.executable,
                       "--python", sys.executable, "-o", str(tmp_path / "a"), "--fail-on",
                       "never")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("failed: attribute-type") == 2
    proc = run_harness("matrix", "scenarios/failing_attribute.yaml", "--python", sys.executable,
                       "--python", sys.executable, "-o", str(tmp_path / "b"))
    assert proc.returncode == 1, proc.stdout + proc.stderr


def test_envs_lists_an_empty_cache_and_refuses_to_remove_what_is_not_there(tmp_path):
    env = {"HARNESS_CACHE": str(tmp_path)}
    proc = run_harness("envs", env=env)
    assert proc.returncode == 0 and "none yet" in proc.stdout
    proc = run_harness("envs", "--remove", "1.13.1", env=env)
    assert proc.returncode == 2 and "no cached environment holds torch 1.13.1" in proc.stderr
