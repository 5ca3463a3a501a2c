"""Faults, as a hostile tester would cause them, with real processes and real signals: the run
says what happened, exits with its documented code, and the snapshot keeps what it had."""
import os
import signal
import subprocess
import time

import pytest

from harness import snapshot
from helpers import ROOT, SAMPLES, harness_command, read_jsonl, run_harness, stops

FAULTY = os.path.join(SAMPLES, "fault_model.py")


def faulty_scenario(tmp_path, action, marker=None, extra_breakpoints=""):
    path = tmp_path / f"{action}.yaml"
    path.write_text(
        f"version: 1\nname: faulty-{action.replace('_', '-')}\nmodel:\n"
        f"  factory: {FAULTY}:Faulty\n  args: [{action}, {marker or 'null'}]\n"
        "breakpoints:\n"
        "  - function: fault_model.Piece.__init__\n    capture: [width]\n"
        "  - function: torch.jit._recursive.create_script_module\n    at: enter\n"
        "    capture: [nn_module]\n" + extra_breakpoints)
    return str(path)


def start(tmp_path, action, *extra, env=None):
    """Start `harness run` on the faulty model; wait until the model is being built."""
    marker = tmp_path / "pid"
    out = tmp_path / "s.jsonl"
    proc = subprocess.Popen(harness_command() + ["run", faulty_scenario(tmp_path, action, marker),
                                                 "-o", str(out), *extra],
                            cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 60
    while not (marker.exists() and marker.read_text()) and proc.poll() is None \
            and time.time() < deadline:
        time.sleep(0.05)
    child = int(marker.read_text()) if marker.exists() and marker.read_text() else None
    return proc, child, out


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_the_recording_process_killed_by_a_signal_is_reported_and_keeps_its_stops(tmp_path):
    proc, child, out = start(tmp_path, "sleep")
    os.kill(child, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 4, stdout + stderr
    assert "was killed by SIGKILL (9) while building the model" in stderr
    assert "the snapshot keeps the 2 stops it reached" in stderr and str(out) in stderr
    assert "Traceback" not in stderr
    snap = snapshot.read(str(out))
    assert [s.locals["width"] for s in snap.stops] == [2, 3] and not snap.complete


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_the_harness_terminated_stops_its_recording_cleanly(tmp_path, signum, code):
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"))
    os.makedirs(env["TMPDIR"])
    proc, child, out = start(tmp_path, "sleep", env=env)
    proc.send_signal(signum)  # to the harness alone, not its process group
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stdout + stderr
    assert "Traceback" not in stderr
    end = read_jsonl(out)[-1]
    assert end["kind"] == "end" and end["outcome"] == "stopped"
    assert end["stopped_by"] == signal.Signals(signum).name
    assert not alive(child)  # no orphan
    assert os.listdir(env["TMPDIR"]) == []  # no temporary file left behind


def catches(pid, signum):
    """Whether the process has a handler of its own for `signum` (its SigCgt mask): how the
    harness says, without a word, that its own code runs and its run has begun (it forwards
    SIGTERM to the recording process from then on)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            mask = next(line.split()[1] for line in f if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(mask, 16) & (1 << (signum - 1)))


def wait_until_running(proc, deadline=60.0):
    """Until the harness runs its recording (however loaded the machine), or it ended."""
    end = time.time() + deadline
    while proc.poll() is None and time.time() < end:
        if catches(proc.pid, signal.SIGTERM):
            return True
        time.sleep(0.005)
    return False


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc")
@pytest.mark.parametrize("moment", ["at-once", 0.0, 0.05, 0.15, 0.4])
def test_ctrl_c_at_any_moment_exits_130_with_no_traceback(tmp_path, moment):
    """From the harness's first instant to its last (the recording process starting, running,
    ending): exit 130 and no traceback. The moments are counted from when the harness says
    its run has begun, not from a fixed delay, which a loaded machine stretches into Python's
    own start-up. "at-once" signals straight after the start: if the harness's code is not
    running yet, Python itself may still be starting, and no handler can run: the process
    dies of SIGINT (a shell shows that as 130 too), or Python reports its interrupted start."""
    out = tmp_path / "s.jsonl"
    proc = subprocess.Popen(harness_command() + ["run", "scenarios/containers.yaml", "-o",
                                                 str(out)],
                            cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if moment != "at-once":
        assert wait_until_running(proc) or proc.poll() is not None
        time.sleep(moment)
    running = catches(proc.pid, signal.SIGTERM)
    if proc.poll() is not None:
        pytest.skip("the run ended before the signal")
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    stdout, stderr = proc.communicate(timeout=60)
    if not running and stderr.startswith("Fatal Python error: init_import_site"):
        return  # Python's own start-up, before any code of ours ran
    assert proc.returncode in (130, -signal.SIGINT), (stdout, stderr)
    assert "Traceback" not in stderr
    assert proc.returncode == -signal.SIGINT or "interrupted" in stderr
    if running:
        assert proc.returncode == 130 and "interrupted" in stderr, stderr
    if out.exists():  # begun: closed, never half-written
        snap = snapshot.read(str(out))
        assert snap.complete, snap.problems


def test_ctrl_c_sent_to_the_harness_alone_reaches_its_recording(tmp_path):
    proc, child, out = start(tmp_path, "sleep")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    assert read_jsonl(out)[-1]["stopped_by"] == "KeyboardInterrupt"
    assert not alive(child)


def test_sys_exit_in_model_code_is_the_model_failing(tmp_path):
    out = tmp_path / "s.jsonl"
    proc = run_harness("run", faulty_scenario(tmp_path, "exit"), "-o", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    end = read_jsonl(out)[-1]
    assert end["outcome"] == "error" and end["error"]["type"] == "SystemExit"
    assert end["error"]["message"] == "the model's code called sys.exit(5)"
    assert "outcome: error while building the model" in proc.stdout


def test_os_exit_in_model_code_is_reported_as_what_it_is(tmp_path):
    out = tmp_path / "s.jsonl"
    proc = run_harness("run", faulty_scenario(tmp_path, "os_exit"), "-o", str(out))
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert ("exited with code 7 on its own (os._exit, sys.exit or a crash outside the run) "
            "while building the model") in proc.stderr
    assert len(stops(read_jsonl(out))) == 2


def test_sys_exit_in_a_module_a_breakpoint_imports_or_in_when(tmp_path):
    (tmp_path / "quits.py").write_text("import sys\nsys.exit(9)\ndef f():\n    pass\n")
    scenario = faulty_scenario(tmp_path, "ok", extra_breakpoints="  - function: quits.f\n")
    proc = run_harness("run", scenario, "-o", str(tmp_path / "s.jsonl"),
                       env={"PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "breakpoints[2].function: importing quits called sys.exit(9)" in proc.stderr
    when = faulty_scenario(tmp_path, "ok", extra_breakpoints=(
        "  - function: torch.jit._recursive.infer_concrete_type_builder\n"
        "    when: __import__('sys').exit(4)\n"))
    proc = run_harness("run", when, "-o", str(tmp_path / "w.jsonl"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "`when` failed in infer_concrete_type_builder (counted as false): it called " \
           "sys.exit(4)" in proc.stdout


def test_a_full_disk_ends_the_run_with_one_message(tmp_path):
    proc = run_harness("run", "scenarios/containers.yaml", "-o", "/dev/full")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip() == ("harness: error: writing the snapshot /dev/full failed: "
                                   "No space left on device")


def test_a_disk_that_fills_midway_keeps_the_stops_that_fit(tmp_path):
    import resource

    out = tmp_path / "s.jsonl"

    def small_files():  # the file size limit a full disk would impose, 20 KB in
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))

    proc = subprocess.run(harness_command() + ["run", "scenarios/seed_walk.yaml", "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, preexec_fn=small_files,
                          timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "File too large" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr and "outcome: error" not in proc.stdout
    snap = snapshot.read(str(out))
    assert len(snap.stops) > 3 and not snap.complete


def test_outputs_never_overwrite_inputs(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(open(os.path.join(ROOT, "scenarios", "containers.yaml")).read()
                        .replace("models/", f"{ROOT}/scenarios/models/"))
    before = scenario.read_text()
    proc = run_harness("run", str(scenario), "-o", str(scenario))
    assert proc.returncode == 2 and "would overwrite the scenario" in proc.stderr
    proc = run_harness("run", str(scenario), "-o", f"{ROOT}/scenarios/models/containers_model.py")
    assert proc.returncode == 2 and "would overwrite the model file" in proc.stderr
    out = tmp_path / "s.jsonl"
    proc = run_harness("run", str(scenario), "-o", str(out), "--save-scripted", str(out))
    assert proc.returncode == 2 and "name the same file" in proc.stderr
    assert scenario.read_text() == before and not out.exists()


def test_a_json_py_in_the_working_directory_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    for name in ("json.py", "typing.py", "signal.py"):
        (tmp_path / name).write_text(f"open({str(marker)!r}, 'w').write('{name}')\n"
                                     "raise SystemExit(0)\n")
    out = tmp_path / "s.jsonl"
    proc = run_harness("run", f"{ROOT}/scenarios/containers.yaml", "-o", str(out),
                       cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not marker.exists()
    assert read_jsonl(out)[-1]["outcome"] == "ok"


def test_the_parent_checks_the_snapshot_it_was_promised(tmp_path):
    """A recording process that ends 'successfully' without its snapshot is not a success."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(  # in the recording process only
        "import os, sys\n"
        "if any('harness_recorder' in a for a in sys.orig_argv):\n    os._exit(0)\n")
    proc = run_harness("run", "scenarios/containers.yaml", "-o", str(tmp_path / "s.jsonl"),
                       env={"PYTHONPATH": str(site)})
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "exited with code 0 on its own" in proc.stderr and "while starting" in proc.stderr
    assert "no snapshot was written" in proc.stderr
