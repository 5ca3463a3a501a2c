"""The second hostile pass (issue 19), as a hostile or careless user would do it, through the
command line with real processes, signals and files: one writer per snapshot, every ending
said, readers bounded by their input, no traceback on any input, true messages, and a diff
that checks what it compares. docs/guarantees.md says what each test holds."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from harness import snapshot
from helpers import ROOT, SAMPLES, harness_command, read_jsonl, run_harness, write_jsonl

ENDING = os.path.join(SAMPLES, "ending_model.py")
SEED_SNAPSHOT = os.path.join(ROOT, "tests", "data", "seed_walk",
                             "torch-2.14.1+cu130-py3.11.7.jsonl")


def ending_scenario(tmp_path, action, marker=None, seconds=0, extra=""):
    path = tmp_path / f"{action}.yaml"
    path.write_text(
        f"version: 1\nname: ending-{action.replace('_', '-')}\nmodel:\n"
        f"  factory: {ENDING}:Ending\n  args: [{action}, {marker or 'null'}, {seconds}]\n"
        + extra + "breakpoints:\n"
        "  - function: ending_model.Part.__init__\n    capture: [width]\n"
        "  - function: torch.jit._recursive.create_script_module\n    at: enter\n"
        "    capture: [nn_module]\n")
    return str(path)


def popen(*args, **kwargs):
    return subprocess.Popen(harness_command() + list(args), cwd=kwargs.pop("cwd", ROOT),
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def wait_for(path, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and open(path, "rb").read():
            return True
        time.sleep(0.05)
    return False


def kinds(path):
    return [r["kind"] for r in read_jsonl(path)]


# -- one writer per snapshot --------------------------------------------------------------------
def test_a_second_run_on_the_same_snapshot_is_refused_and_the_file_is_the_firsts(tmp_path):
    out, marker = tmp_path / "s.jsonl", tmp_path / "pid"
    first = popen("run", ending_scenario(tmp_path, "wait", marker, 120), "-o", str(out), "-q")
    assert wait_for(marker), first.communicate(timeout=5)
    second = run_harness("run", ending_scenario(tmp_path, "ok"), "-o", str(out), "-q")
    assert second.returncode == 2, second.stdout + second.stderr
    assert "another run is writing the snapshot" in second.stderr and str(out) in second.stderr
    assert "Traceback" not in second.stderr
    os.killpg(first.pid, signal.SIGINT)
    stdout, stderr = first.communicate(timeout=120)
    assert first.returncode == 130, stdout + stderr
    data = out.read_bytes()
    assert b"\x00" not in data
    assert kinds(out).count("header") == 1 and kinds(out).count("end") == 1
    snap = snapshot.read(str(out))
    assert not snap.problems and snap.outcome == "stopped"


# -- every ending says what happened ------------------------------------------------------------
def test_a_factory_returning_what_cannot_be_scripted_is_said_and_ended(tmp_path):
    out = tmp_path / "s.jsonl"
    proc = run_harness("run", "--model", f"{ENDING}:five", "-o", str(out), "-q")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "returned 5" in proc.stderr and "Traceback" not in proc.stderr
    end = read_jsonl(out)[-1]
    assert end["kind"] == "end" and end["outcome"] == "incomplete"


@pytest.mark.parametrize("action, said", [("untrace", "removed the harness's trace function"),
                                          ("untrace_then_own", "replaced the harness's trace")])
def test_a_model_that_turns_the_tracer_off_is_reported_never_ok(tmp_path, action, said):
    out = tmp_path / "s.jsonl"
    proc = run_harness("run", ending_scenario(tmp_path, action), "-o", str(out),
                       "--backend", "settrace")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert said in proc.stderr and "ends as incomplete" in proc.stderr
    assert "Traceback" not in proc.stderr
    end = read_jsonl(out)[-1]
    assert end["outcome"] == "incomplete" and end["error"]["type"] == "TracerRemoved"
    assert snapshot.read(str(out)).complete


@pytest.mark.parametrize("code", [130, 0])
def test_os_exit_in_the_model_is_a_death_whatever_its_code(tmp_path, code):
    out = tmp_path / "s.jsonl"
    proc = run_harness("run", ending_scenario(tmp_path, f"exit{code}"), "-o", str(out))
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert f"exited with code {code} on its own" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("delay", [0.15, 0.3, 0.6, 1.2])
def test_ctrl_c_to_the_harness_alone_in_its_first_instants_is_never_lost(tmp_path, delay):
    """Sent to the harness's process only (not its group), so nothing but the harness can
    pass it on: the run must stop, never end as if nothing came."""
    out = tmp_path / "s.jsonl"
    proc = popen("run", ending_scenario(tmp_path, "ok"), "-o", str(out))
    time.sleep(delay)
    # A run this small may be over by then (its end record written): a signal after the end
    # is the next test's case, not a first instant
    over = proc.poll() is not None or (out.exists() and b'"kind": "end"' in out.read_bytes())
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    if stderr.startswith("Fatal Python error: init_import_site"):
        return  # Python's own startup, before any code of the harness ran
    if over:
        assert snapshot.read(str(out)).outcome == "ok", (stdout, stderr)
        return
    assert proc.returncode in (130, -signal.SIGINT), (stdout, stderr)
    assert "Traceback" not in stderr
    if out.exists() and out.read_bytes():
        assert snapshot.read(str(out)).outcome in ("stopped", "unfinished")


def test_ctrl_c_just_after_the_end_record_leaves_code_and_snapshot_agreeing(tmp_path):
    for attempt in range(2):
        out = tmp_path / f"s{attempt}.jsonl"
        proc = popen("run", ending_scenario(tmp_path, "ok"), "-o", str(out))
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if out.exists() and b'"kind": "end"' in out.read_bytes():
                break
            time.sleep(0.005)
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        stdout, stderr = proc.communicate(timeout=120)
        outcome = read_jsonl(out)[-1]["outcome"]
        assert (proc.returncode, outcome) in ((0, "ok"), (130, "stopped")), (stdout, stderr)
        assert "Traceback" not in stderr


# -- readers bounded by their input -------------------------------------------------------------
def grown_memo_snapshot(path, stops):
    """A snapshot whose `memo` grows by one entry a stop, written as the harness writes it
    (each stop holds what it gained since the one before)."""
    records = [{"kind": "header", "format": "harness-snapshot", "version": 1,
                "scenario": {"name": "grown", "hash": "0"}, "torch": "x", "python": "3",
                "backend": "settrace", "encoding": 2}]
    for i in range(stops):
        item = [{"type": "id", "of": f"m{i}"}, {"type": "nn.Module", "path": f"m{i}",
                                                "class": "torch.nn.Linear"}]
        memo = {"type": "dict", "items": [item]}
        if i:
            memo["since"] = {"stop": i - 1}
        records.append({"kind": "stop", "index": i, "function": "torch.jit.f", "breakpoint": 0,
                        "event": "enter", "line": 1, "call": i, "parent": None, "depth": 0,
                        "subject": f"m{i}", "locals": {"memo": memo}})
    records.append({"kind": "end", "outcome": "ok", "stops": stops})
    return write_jsonl(path, records)


def test_the_report_page_grows_with_the_stops_not_their_square(tmp_path):
    sizes = []
    for stops in (500, 1000):
        snap = grown_memo_snapshot(tmp_path / f"g{stops}.jsonl", stops)
        proc = run_harness("report", snap, "-o", str(tmp_path / f"g{stops}.html"))
        assert proc.returncode == 0, proc.stderr
        sizes.append(os.path.getsize(tmp_path / f"g{stops}.html"))
    assert sizes[1] < 2.3 * sizes[0], sizes  # quadratic would be 4x


def peak_kb(*args):
    """Run the command line; its peak memory (KB) as the kernel counted it."""
    probe = ("import resource, subprocess, sys; "
             "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "sys.stdout.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
             " + ' ' + str(p.returncode) + '\\n' + p.stderr)")
    out = subprocess.run([sys.executable, "-c", probe] + harness_command() + list(args),
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    first, _, stderr = out.stdout.partition("\n")
    kb, code = map(int, first.split())
    return kb, code, stderr


@pytest.mark.parametrize("line", ["long", "many"])
def test_a_huge_line_is_skipped_unread_in_bounded_memory(tmp_path, line):
    path = tmp_path / "huge.jsonl"
    header = json.dumps({"kind": "header", "format": "harness-snapshot", "version": 1,
                         "scenario": {"name": "h", "hash": "0"}})
    body = ('{"kind": "stop", "locals": {"x": "' + "a" * (20 << 20) + '"}}' if line == "long"
            else '{"kind": "stop", "locals": {"x": [' + "0," * 1_500_000 + '0]}}')
    path.write_text(header + "\n" + body + "\n")
    for command in (["replay", "--print", str(path)], ["diff", str(path), str(path)]):
        kb, code, stderr = peak_kb(*command)
        assert code == 0, stderr
        assert kb < 250_000, (command, kb)  # the file is 20 MB; 0.2 peaked at 3 GB
        assert "Traceback" not in stderr


def test_diff_of_huge_source_texts_says_so_in_bounded_time(tmp_path):
    def snap(name, text):
        return write_jsonl(tmp_path / name, [
            {"kind": "header", "format": "harness-snapshot", "version": 1,
             "scenario": {"name": "s", "hash": "0"}, "encoding": 2},
            {"kind": "source", "function": "m.f", "text": text, "sha256": "0"},
            {"kind": "stop", "index": 0, "function": "m.f", "breakpoint": 0, "event": "enter",
             "line": 1, "call": 0, "parent": None, "depth": 0, "subject": None,
             "locals": {}},
            {"kind": "end", "outcome": "ok", "stops": 1}])

    big = "".join(f"x{i} = {i}\n" for i in range(300_000))
    a = snap("a.jsonl", "def f():\n" + big)
    b = snap("b.jsonl", "def f():\n" + big.replace("x7 = 7", "x7 = 8"))
    proc = run_harness("diff", a, b)
    assert proc.returncode == 1, proc.stderr
    assert "too long to compare line by line" in proc.stdout


def test_an_alias_bomb_through_args_is_refused_as_in_a_file(tmp_path):
    bomb = "[&a [1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a], " \
           "&c [*b,*b,*b,*b,*b,*b,*b,*b,*b], &d [*c,*c,*c,*c,*c,*c,*c,*c,*c], " \
           "&e [*d,*d,*d,*d,*d,*d,*d,*d,*d], &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]]"
    proc = run_harness("run", "--model", f"{ENDING}:Ending", "--args", bomb, timeout=60)
    assert proc.returncode == 2 and "expands to more than" in proc.stderr, proc.stderr


# -- no traceback on any input ------------------------------------------------------------------
@pytest.fixture
def hostile_snapshot(tmp_path):
    lines = []
    for line in open(SEED_SNAPSHOT, encoding="utf-8"):
        r = json.loads(line)
        if r["kind"] == "stop" and "name" in r["locals"]:
            r["locals"]["name"] = "lone \ud800 \x1b[31m"
        if r["kind"] == "source":
            r["text"] += "\n# \udcff"
        lines.append(json.dumps(r))
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return str(path)


@pytest.mark.parametrize("command, env", [
    (["report", "{snap}", "-o", "{tmp}/r.html"], {}),
    (["diff", "--format", "json", "{snap}", SEED_SNAPSHOT], {}),
    (["diff", "--format", "html", "{snap}", SEED_SNAPSHOT, "-o", "{tmp}/d.html"], {}),
    (["replay", "--print", "{snap}"], {}),
    (["replay", "--print", "{snap}"], {"PYTHONIOENCODING": "ascii"}),
    (["diff", "{snap}", SEED_SNAPSHOT], {"PYTHONIOENCODING": "ascii"}),
])
def test_lone_surrogates_and_narrow_encodings_are_escaped(tmp_path, hostile_snapshot,
                                                          command, env):
    args = [a.format(snap=hostile_snapshot, tmp=tmp_path) for a in command]
    proc = run_harness(*args, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr and "error" not in proc.stderr
    if "PYTHONIOENCODING" in env or "--print" in args:
        assert "\\ud800" in proc.stdout


def test_a_failed_run_on_an_ascii_terminal_keeps_its_report_and_diagnosis(tmp_path):
    proc = run_harness("run", "scenarios/failing_attribute.yaml", "-o",
                       str(tmp_path / "s.jsonl"), env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 1, proc.stderr
    assert "diagnosis" in proc.stdout and "\\u2717" in proc.stdout  # ✗, escaped
    assert "Traceback" not in proc.stderr


def test_a_file_name_that_is_not_utf8_gets_its_report(tmp_path):
    name = os.path.join(os.fsencode(str(tmp_path)), b"bad\xff.jsonl")
    with open(SEED_SNAPSHOT, "rb") as src, open(name, "wb") as dst:
        dst.write(src.read())
    proc = subprocess.run(harness_command() + ["report", name], capture_output=True,
                          cwd=ROOT)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    assert os.path.exists(os.path.join(os.fsencode(str(tmp_path)), b"bad\xff.html"))


@pytest.mark.parametrize("command", [["replay", "--print", SEED_SNAPSHOT],
                                     ["diff", SEED_SNAPSHOT, SEED_SNAPSHOT],
                                     ["envs"], ["report", SEED_SNAPSHOT, "-o", "{tmp}/r.html"]])
def test_a_full_disk_on_the_output_is_one_line(tmp_path, command):
    args = [a.format(tmp=tmp_path) for a in command]
    with open("/dev/full", "w") as full:
        proc = subprocess.run(harness_command() + args, stdout=full, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT, env=dict(os.environ,
                                                            HARNESS_CACHE=str(tmp_path)))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == "harness: error: cannot write the output: No space left on device"


def test_hostile_scenario_values_are_refused_with_a_message(tmp_path):
    huge = "9" * 5000
    cases = {
        "seed": f"version: 1\nname: s\nmodel:\n  factory: {ENDING}:Ending\n  seed: {huge}\n"
                "breakpoints:\n  - function: torch.jit._recursive.create_script_module\n",
        "args": f"version: 1\nname: s\nmodel:\n  factory: {ENDING}:Ending\n  args: [{huge}]\n"
                "breakpoints:\n  - function: torch.jit._recursive.create_script_module\n",
        "when": f"version: 1\nname: s\nmodel:\n  factory: {ENDING}:Ending\n"
                "breakpoints:\n  - function: torch.jit._recursive.create_script_module\n"
                f"    when: {' + '.join(['x'] * 100_000)}\n",
    }
    for what, text in cases.items():
        path = tmp_path / f"{what}.yaml"
        path.write_text(text)
        proc = run_harness("run", str(path), timeout=120)
        assert proc.returncode == 2, (what, proc.stderr)
        assert "Traceback" not in proc.stderr and str(path) in proc.stderr, (what, proc.stderr)
    proc = run_harness("run", "--model", f"{ENDING}:Ending", "--args", f"[{huge}]")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr


def test_model_from_a_deleted_working_directory(tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    script = (f"import os, subprocess, sys; os.chdir({str(gone)!r}); os.rmdir({str(gone)!r}); "
              "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
              "sys.stdout.write(str(p.returncode) + '\\n' + p.stderr)")
    out = subprocess.run([sys.executable, "-c", script] + harness_command()
                         + ["run", "--model", "m.py:M"], capture_output=True, text=True)
    code, _, stderr = out.stdout.partition("\n")
    assert code == "2" and "was it deleted?" in stderr and "Traceback" not in stderr, stderr


@pytest.mark.parametrize("kind", ["file", "loop"])
def test_an_unusable_cache_is_one_line(tmp_path, kind):
    cache = tmp_path / "cache"
    if kind == "file":
        cache.write_text("")
    else:
        os.symlink(tmp_path / "other", cache)
        os.symlink(cache, tmp_path / "other")
    for args in (["envs"], ["envs", "--prune"], ["envs", "--remove", "2.14.1"]):
        proc = run_harness(*args, env={"HARNESS_CACHE": str(cache)})
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "cannot be used" in proc.stderr and "Traceback" not in proc.stderr


def test_matrix_into_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("")
    proc = run_harness("matrix", "scenarios/containers.yaml", "--python", sys.executable,
                       "--python", sys.executable, "-o", str(target))
    assert proc.returncode == 2 and "it is a file" in proc.stderr, proc.stderr


def test_python_m_harness_never_runs_the_current_folders_modules(tmp_path):
    (tmp_path / "json.py").write_text("raise SystemExit('the json.py of the current folder')\n")
    proc = subprocess.run([sys.executable, "-m", "harness", "diff", SEED_SNAPSHOT,
                           SEED_SNAPSHOT], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "current folder" not in proc.stderr


# -- golden snapshots (the pytest plugin) -------------------------------------------------------
GOLDEN_SCENARIO = f"""version: 1
name: tiny
model:
  factory: {ENDING}:Ending
breakpoints:
  - function: ending_model.Part.__init__
    capture: [width]
"""


@pytest.fixture
def project(pytester):
    pytester.makeini("[pytest]\nharness_scenarios = scenarios/*.yaml\n")
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "tiny.yaml").write_text(GOLDEN_SCENARIO)
    return pytester


def test_updating_onto_a_golden_that_is_a_folder_fails_the_item(project):
    folder = project.path / "scenarios" / "__snapshots__" / "tiny" / "torch-2.13.jsonl"
    folder.mkdir(parents=True)
    result = project.runpytest("--harness-update", "-p", "no:xdist")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*cannot write the golden snapshot*it is a folder*"])
    assert "INTERNALERROR" not in result.stdout.str()


def test_a_golden_with_hostile_values_fails_the_item_never_internalerror(project):
    project.runpytest("--harness-update", "-p", "no:xdist").assert_outcomes(passed=1)
    golden = project.path / "scenarios" / "__snapshots__" / "tiny" / "torch-2.13.jsonl"
    records = read_jsonl(golden)
    for r in records:
        if r["kind"] == "stop":
            r["locals"]["width"] = {"type": "ConcreteModuleTypeBuilder", "attributes": 5,
                                    "items": 7, "since": {"stop": "x"}, "repr": None}
        if r["kind"] == "end":
            r["warnings"] = [{"category": "\ud800", "message": "\x1b[2J"}]
    golden.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = project.runpytest("-p", "no:xdist")
    result.assert_outcomes(failed=1)
    assert "INTERNALERROR" not in result.stdout.str()


# -- diff checks what it compares ---------------------------------------------------------------
def test_diff_recomputes_source_hashes_and_reports_missing_source_records(tmp_path):
    records = read_jsonl(SEED_SNAPSHOT)
    edited = [dict(r, text=r["text"] + "\nedited = 1\n")  # its sha256 left as it was
              if r["kind"] == "source" and r.get("text") else r for r in records]
    dropped = [r for i, r in enumerate(records)
               if r["kind"] != "source" or i != next(j for j, x in enumerate(records)
                                                     if x["kind"] == "source")]
    for name, changed, said in (("edited", edited, "with changed code"),
                                ("dropped", dropped, "no source record in B")):
        path = write_jsonl(tmp_path / f"{name}.jsonl", changed)
        proc = run_harness("diff", SEED_SNAPSHOT, path)
        assert proc.returncode == 1, (name, proc.stdout)
        assert said in proc.stdout and "different" in proc.stdout, (name, proc.stdout)
