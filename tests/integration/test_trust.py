"""A snapshot holds exactly what happened: odd strings survive, no id or address or machine
path gets in, and a run in the caller's own process leaves it as it found it."""
import json
import os
import random
import re
import sys

from harness import snapshot
from helpers import ROOT, SAMPLES, read_jsonl, run_harness

ODD = os.path.join(SAMPLES, "odd_model.py")


def scenario(tmp_path, factory, name, extra=""):
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"version: 1\nname: {name}\nmodel:\n  factory: {factory}\nbreakpoints:\n"
        "  - function: torch.jit._script.call_prepare_scriptable_func_impl\n"
        "    at: enter\n    capture: [obj, memo, obj_id]\n"
        "  - function: torch.jit._recursive.infer_concrete_type_builder\n"
        "    capture: [nn_module, concrete_type_builder]\n" + extra)
    return str(path)


def test_strings_no_reader_may_split_and_a_lone_surrogate_survive(tmp_path):
    out = tmp_path / "odd.jsonl"
    path = scenario(tmp_path, f"{ODD}:Odd", "odd",
                    "  - function: odd_model.Odd.__init__\n    capture: [note, lone]\n")
    proc = run_harness("run", path, "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    snap = snapshot.read(str(out))
    assert snap.complete and not snap.problems
    init = snap.stop("odd_model.Odd.__init__")
    assert init.locals["note"] == "line\u2028separator\u2029paragraph\x85next\x1b[31m"
    assert init.locals["lone"] == "half a pair: \ud800"
    assert "\x1b" not in proc.stdout  # shown escaped, never sent to the terminal
    assert "\\x1b[31m" in proc.stdout


def test_modules_without_a_model_path_get_stable_names_and_no_id_gets_in(tmp_path):
    outs = []
    for i in range(2):
        out = tmp_path / f"cycle{i}.jsonl"
        proc = run_harness("run", scenario(tmp_path, f"{ODD}:Cycle", "cycle"), "-o", str(out))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outs.append(out.read_text())
    assert outs[0] == outs[1]  # identical, run after run
    records = [json.loads(line) for line in outs[0].splitlines()]
    prepared = [r["locals"]["obj"]["path"] for r in records if r["kind"] == "stop"
                and r["function"].endswith("call_prepare_scriptable_func_impl")]
    assert prepared == ["", "fc", "t1", "t1.t2", "t1"]
    snap = snapshot.read(str(tmp_path / "cycle0.jsonl"))
    last = [s for s in snap.stops if "memo" in s.locals][-1]
    assert [k["of"] for k, _ in snap.value(last, "memo")["items"]] == ["", "fc", "t1", "t1.t2"]
    assert all(isinstance(r["locals"].get("obj_id"), dict) for r in records
               if r["kind"] == "stop" and "obj_id" in r["locals"])
    assert not re.search(r"\b\d{12,}\b", re.sub(r'"(sha256|digest)": "[0-9a-f]+"', "", outs[0]))
    assert not re.search(r"0x[0-9a-fA-F]{6,}", outs[0])


def test_a_module_used_twice_keeps_both_paths(tmp_path):
    out = tmp_path / "odd.jsonl"
    assert run_harness("run", scenario(tmp_path, f"{ODD}:Odd", "odd"), "-o",
                       str(out)).returncode == 0
    fc = [r["locals"]["obj"] for r in read_jsonl(out) if r["kind"] == "stop"
          and "obj" in r["locals"] and r["locals"]["obj"]["path"] == "fc"][0]
    assert fc["also"] == ["shared"]


def test_no_machine_path_gets_into_captured_error_texts(tmp_path):
    model = tmp_path / "bad_fn_model.py"
    model.write_text(
        "import torch\n\n\ndef helper(x):\n    return x.no_such_method_zzz()\n\n\n"
        "class M(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fn = helper\n\n    def forward(self, x):\n        return self.fn(x)\n")
    out = tmp_path / "s.jsonl"
    proc = run_harness("run", scenario(tmp_path, f"{model}:M", "badfn",
                                       "  - function: torch.jit._recursive.create_script_module"
                                       "_impl\n    capture: [nn_module]\n"), "-o", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    text = out.read_text()
    assert "no_such_method_zzz" in text  # torch's words are there...
    assert str(tmp_path) not in text and ROOT not in text  # ...without this machine's paths
    assert 'File \\"bad_fn_model.py\\", line 5' in text


def test_an_in_process_run_leaves_the_caller_as_it_found_it(tmp_path, torch):
    """Random states, sys.path, sys.modules, and a trace function already set (chained while
    the run goes, so it still sees torch's code, and put back after)."""
    import harness

    random.seed(1234)
    torch.manual_seed(99)
    random_state, torch_state = random.getstate(), torch.random.get_rng_state()
    path_before, modules_before = list(sys.path), set(sys.modules)
    seen = []

    def coverage_like(frame, event, arg):
        if frame.f_code.co_filename.endswith(os.path.join("jit", "_recursive.py")):
            seen.append(frame.f_code.co_name)
        return None

    outer = sys.gettrace()
    sys.settrace(coverage_like)
    try:
        snap = harness.run(os.path.join(ROOT, "scenarios", "containers.yaml"),
                           output=str(tmp_path / "s.jsonl"), in_process=True,
                           backend="settrace")
        assert sys.gettrace() is coverage_like
    finally:
        sys.settrace(outer)
    assert snap.outcome == "ok" and len(snap.stops) == 11
    assert "infer_concrete_type_builder" in seen and "create_script_module_impl" in seen
    assert random.getstate() == random_state
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert sys.path == path_before
    assert "containers_model" not in sys.modules
    models = os.path.join(ROOT, "scenarios", "models")
    assert not [m for m in set(sys.modules) - modules_before
                if (getattr(sys.modules[m], "__file__", None) or "").startswith(models)]


def test_coverage_measures_the_same_lines_with_the_harness_recording_in_process(tmp_path):
    """The real coverage.py (its C tracer, which reclaims the trace function whenever it is
    called) sees the same lines of torch's code whether the harness records or not."""
    import subprocess

    pytest_ = __import__("pytest")
    pytest_.importorskip("coverage")
    common = ("import sys, warnings; warnings.simplefilter('ignore')\n"
              f"sys.path.insert(0, {os.path.join(ROOT, 'scenarios', 'models')!r})\n")
    plain = common + ("import torch\nfrom containers_model import Containers\n"
                      "torch.jit.script(Containers(width=8))\n")
    scenario = os.path.join(ROOT, 'scenarios', 'containers.yaml')
    recorded = common + ("import harness\n"
                         f"snap = harness.run({scenario!r},"
                         f" output={str(tmp_path / 's.jsonl')!r}, in_process=True,"
                         " backend='settrace')\nassert len(snap.stops) == 11, snap.problems\n")
    missed = []
    for name, code in (("plain", plain), ("recorded", recorded)):
        script = tmp_path / f"{name}.py"
        script.write_text(code)
        data = tmp_path / f".coverage.{name}"
        env = dict(os.environ, COVERAGE_FILE=str(data))
        run = subprocess.run([sys.executable, "-m", "coverage", "run", "--include=*_recursive.py",
                              str(script)], env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        report = subprocess.run([sys.executable, "-m", "coverage", "json", "-o", "-"], env=env,
                                capture_output=True, text=True, timeout=60)
        files = json.loads(report.stdout)["files"]
        (measured,) = [f for f in files if f.endswith("_recursive.py")]
        missed.append(files[measured]["missing_lines"])
    assert missed[0] == missed[1]
