"""`harness run` as a user runs it: a subprocess, on the shipped scenarios."""
import os
import re

from helpers import HARNESS, ROOT, read_jsonl, real_snapshot, run_harness, stops

SEED_FUNCTIONS = {
    "torch.jit._script.call_prepare_scriptable_func_impl",
    "torch.jit._recursive.create_script_module",
    "torch.jit._recursive.check_module_initialized",
    "torch.jit._recursive.get_module_concrete_type",
    "torch.jit._recursive.ConcreteTypeStore.get_or_create_concrete_type",
    "torch.jit._recursive.infer_concrete_type_builder",
    "torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type",
    "torch.jit._recursive.create_script_module_impl",
}
ANSI = re.compile(r"\x1b\[")


def test_seed_scenario_records_every_seed_function(seed_run):
    proc, records = seed_run
    assert proc.returncode == 0, proc.stderr
    assert records[0]["kind"] == "header" and records[0]["format"] == "harness-snapshot"
    assert records[-1]["kind"] == "end" and records[-1]["outcome"] == "ok"
    assert {s["function"] for s in stops(records)} == SEED_FUNCTIONS
    assert {r["function"] for r in records if r["kind"] == "source"} == SEED_FUNCTIONS
    # one call_prepare_scriptable_func_impl and one infer_concrete_type_builder per module
    assert len(stops(records, "call_prepare_scriptable_func_impl")) == 13
    assert len(stops(records, ".infer_concrete_type_builder")) == 13


def test_memo_is_keyed_by_model_paths_not_ids_and_written_by_what_it_gained(seed_run):
    from harness import snapshot

    proc, records = seed_run
    prepared = stops(records, "call_prepare_scriptable_func_impl")
    assert prepared[0]["locals"]["memo"] == {"type": "dict", "items": []}
    for before, stop in zip(prepared, prepared[1:]):  # each stop: only what it added
        memo = stop["locals"]["memo"]
        assert memo["since"] == {"stop": before["index"],
                                 "count": len(prepared[:prepared.index(before)])}
        assert len(memo["items"]) == 1
    snap = snapshot.read(proc.stdout.split("snapshot: ")[-1].strip())
    whole = snap.value(snap.by_index(prepared[-1]["index"]), "memo")  # put back together
    keys = [k["of"] for k, _ in whole["items"]]
    assert keys[:3] == ["", "layer1", "layer1.0"] and len(keys) == 12
    assert all(v["type"] == "nn.Module" for _, v in whole["items"])


def test_builder_added_names_and_attr_type_are_data(seed_run):
    _, records = seed_run
    root = [s for s in stops(records, ".infer_concrete_type_builder") if s["subject"] == ""][0]
    builder = root["locals"]["concrete_type_builder"]
    assert builder["type"] == "ConcreteModuleTypeBuilder"
    assert builder["py_class"] == "seed_model.CustomModel"
    assert builder["attributes"]["branch_testing"]["jit_type"] == "bool"
    assert set(builder["modules"]) >= {"layer1", "layer2", "custom_layer1", "fc1"}
    added = root["locals"]["added_names"]
    assert added["type"] == "set" and added["items"] == sorted(added["items"])
    weights = [s for s in stops(records, "infer_type") if s["locals"]["name"] == "weights"][0]
    assert weights["subject"] == "custom_layer1"
    assert weights["locals"]["attr_type"] == {"type": "InferredType", "success": True,
                                              "jit_type": "Tensor"}
    item = weights["locals"]["item"]
    assert item["type"] == "Parameter" and item["shape"] == [3, 256, 256]
    assert re.fullmatch(r"[0-9a-f]{16}", item["digest"])


def test_colour_on_a_terminal(tmp_path):
    import sys

    import pexpect

    child = pexpect.spawn(sys.executable, ["-m", "harness", "run", "scenarios/containers.yaml",
                                           "-o", str(tmp_path / "c.jsonl")],
                          encoding="utf-8", timeout=120,
                          env={k: v for k, v in os.environ.items() if k != "NO_COLOR"})
    output = child.read()
    child.close()
    assert child.exitstatus == 0
    assert ANSI.search(output) and "outcome: ok" in output


def test_terminal_output_groups_every_stop_by_module_with_a_flag(seed_run):
    proc, records = seed_run
    out = proc.stdout
    lines = re.findall(r"^  #(\d+) +([✗↳✓·]) ", out, re.M)
    assert sorted(int(i) for i, _ in lines) == [s["index"] for s in stops(records)]
    assert "custom_layer1  CustomLayer  14 stops (7 ✓)" in out
    assert "  #66   ✓ infer_type return  name='weights'" in out
    assert "✗" not in out  # submodules are marked ↳, not as failures
    assert "memo=+{id(layer1): <layer1: Sequential>} (2 in all)" in out
    assert "outcome: ok: scripted into __torch__.seed_model.CustomModel" in out
    # the deprecation warning, once, with a count
    assert len(re.findall(r"torch\.jit\.script. is deprecated", out)) == 1
    assert not ANSI.search(out)  # piped: no colour
    assert "snapshot: " in out


def test_default_snapshot_path_and_quiet(tmp_path):
    proc = run_harness("run", os.path.join(os.getcwd(), "scenarios", "seed_walk.yaml"), "-q",
                       cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    files = list((tmp_path / "snapshots" / "seed-walk").glob("*.jsonl"))
    torch = read_jsonl(files[0])[0]["torch"]  # a CPU or a CUDA build: the name says which
    assert [f.name for f in files] == [f"001-torch-{torch}.jsonl"] and torch.startswith("2.")
    assert not re.search(r"^#\d+ ", proc.stdout, re.M)
    assert "outcome: ok" in proc.stdout


def test_failing_model_exits_1_keeps_the_snapshot_and_points_at_the_typing(failing_run):
    proc, records = failing_run
    assert proc.returncode == 1
    assert "Module 'MixedScales' has no attribute 'scales'" in proc.stdout  # torch's words
    assert "the type of attribute scales of module <root> (MixedScales) could not be " \
           "inferred; MixedScales.forward uses it" in proc.stdout
    assert re.search(r"shown at: +#8 #9 #10", proc.stdout)
    # what failed comes first: torch's error, the diagnosis, the stops marked ✗
    assert proc.stdout.index("RuntimeError") < proc.stdout.index("── diagnosis") \
        < proc.stdout.index("stops marked ✗") < proc.stdout.index("── stops by module")
    end = records[-1]
    assert end["outcome"] == "error" and end["error"]["attribute"] == "scales"
    typed = [s for s in stops(records, "infer_type") if s["locals"]["name"] == "scales"][0]
    assert typed["locals"]["attr_type"]["success"] is False
    assert "consistent element type" in typed["locals"]["attr_type"]["reason"]
    line_stop = [s for s in stops(records) if s["event"] == "line"][0]
    assert "failed to convert Python type: 'list'" in line_stop["locals"]["hint"]


def test_containers_scenario_shows_module_list_dict_annotations_and_ignored(tmp_path):
    out = tmp_path / "c.jsonl"
    proc = run_harness("run", "scenarios/containers.yaml", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    records = read_jsonl(out)
    builders = {s["subject"]: s["locals"]["concrete_type_builder"]
                for s in stops(records, ".infer_concrete_type_builder")}
    assert builders["blocks"]["kind"] == "module_list"
    assert builders["heads"]["kind"] == "module_dict"
    assert builders[""]["ignored_attributes"] == ["debug_log"]
    typed = {s["locals"]["name"]: s["locals"] for s in stops(records, "infer_type")}
    assert "debug_log" not in typed
    assert typed["labels"]["inferred"] is False
    assert typed["labels"]["attr_type"]["jit_type"] == "List[str]"


def test_model_option_runs_the_builtin_seed_walk(tmp_path):
    out = tmp_path / "m.jsonl"
    proc = run_harness("run", "--model", "scenarios/models/seed_model.py:CustomModel",
                       "--args", "[false]", "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    records = read_jsonl(out)
    assert records[0]["scenario"]["name"] == "seed-walk-CustomModel"
    assert {s["function"] for s in stops(records)} == SEED_FUNCTIONS


def test_builtin_seed_walk_is_the_shipped_scenario_file():
    import yaml

    from harness import shipped

    with open("scenarios/seed_walk.yaml") as f:
        breakpoints = yaml.safe_load(f)["breakpoints"]
    assert shipped.seed_walk_data("m.py:M")["breakpoints"] == breakpoints


def test_save_scripted_and_in_process(tmp_path):
    pt = tmp_path / "m.pt"
    proc = run_harness("run", "scenarios/containers.yaml", "-o", str(tmp_path / "c.jsonl"),
                       "--save-scripted", str(pt), "--in-process", "-q")
    assert proc.returncode == 0, proc.stderr
    assert pt.stat().st_size > 0


def test_python_dash_m_and_console_script_agree():
    import subprocess
    import sys

    assert os.path.exists(HARNESS), "the console script is installed beside the interpreter"
    snap = real_snapshot("seed_walk", "1.13.1")
    outputs = []
    for command in ([HARNESS], [sys.executable, "-m", "harness"]):
        proc = subprocess.run(command + ["replay", snap, "--print", "--stop", "66"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
        version = subprocess.run(command + ["--version"], capture_output=True, text=True)
        assert version.stdout.startswith("harness ")
    assert outputs[0] == outputs[1] and "name='weights'" in outputs[0]


def test_targets_lists_the_seed_functions_with_a_filter():
    proc = run_harness("targets", "infer_")
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("  ")]
    assert "torch.jit._recursive.infer_concrete_type_builder" in names
    assert "torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type" in names
    assert all("infer_" in n for n in names)
    assert "torch.jit._recursive  (torch/jit/_recursive.py)" in proc.stdout.splitlines()


def test_targets_lists_the_frontend_grouped_by_module():
    """Methods of classes (StmtBuilder's staticmethods), the functions torch's C++ calls back
    (try_compile_fn, the resolution callbacks), each under its module's heading."""
    proc = run_harness("targets")
    assert proc.returncode == 0, proc.stderr
    groups, heading = {}, None
    for line in proc.stdout.splitlines():
        if line and not line.startswith(" "):
            heading = line.split()[0]
        elif line.strip():
            groups.setdefault(heading, []).append(line.split()[0])
    assert "torch.jit.frontend.StmtBuilder.build_For" in groups["torch.jit.frontend"]
    assert "torch.jit._recursive.try_compile_fn" in groups["torch.jit._recursive"]
    assert "torch._jit_internal.createResolutionCallbackFromEnv.<locals>.parseExpr" \
        in groups["torch._jit_internal"]
    assert "torch._sources.parse_def" in groups["torch._sources"]
    # no namedtuple machinery from collections' file
    assert not any(n.endswith("._asdict") for names in groups.values() for n in names)


def test_ctrl_c_closes_the_snapshot_as_stopped(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    marker, out = tmp_path / "started", tmp_path / "s.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", "--model",
         "tests/samples/slow_model.py:Slow", "--args", f"['{marker}']", "-o", str(out)],
        start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not marker.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert "outcome: stopped: KeyboardInterrupt" in stdout
    assert read_jsonl(out)[-1]["outcome"] == "stopped"


def test_unwritable_outputs_are_bad_input(tmp_path):
    missing = tmp_path / "no" / "such"
    (tmp_path / "no").write_text("a file where a folder should be")
    proc = run_harness("run", "scenarios/containers.yaml", "-o", str(missing / "s.jsonl"))
    assert proc.returncode == 2 and "cannot write the snapshot to" in proc.stderr
    proc = run_harness("run", "scenarios/containers.yaml", "--save-scripted",
                       str(tmp_path / "absent" / "m.pt"))
    assert proc.returncode == 2 and "--save-scripted" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_model_whose_constructor_fails_exits_1_with_its_error(tmp_path):
    model = tmp_path / "boom.py"
    model.write_text("import torch\nclass Boom(torch.nn.Module):\n    def __init__(self):\n"
                     "        super().__init__()\n        raise ValueError('bad config')\n")
    proc = run_harness("run", "--model", f"{model}:Boom", "-o", str(tmp_path / "b.jsonl"))
    assert proc.returncode == 1
    assert "outcome: error while building the model" in proc.stdout
    assert "ValueError: bad config" in proc.stdout


def test_the_models_own_functions_are_targets_too(tmp_path):
    scenario = tmp_path / "user.yaml"
    scenario.write_text(
        "version: 1\nname: user-functions\nmodel:\n"
        f"  factory: {os.getcwd()}/scenarios/models/seed_model.py:CustomModel\n"
        "  args: [true]\nbreakpoints:\n"
        "  - function: seed_model.CustomLayer.__init__\n"
        "    capture: [first_dimension, weights]\n"
        "  - function: seed_model.CustomModel.forward\n"  # compiled, never called
        "    at: enter\n")
    out = tmp_path / "u.jsonl"
    proc = run_harness("run", str(scenario), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    (stop,) = stops(read_jsonl(out))
    assert stop["function"] == "seed_model.CustomLayer.__init__"
    assert stop["locals"]["first_dimension"] == 3
    assert stop["locals"]["weights"]["shape"] == [3, 256, 256]
    source = [r for r in read_jsonl(out) if r["kind"] == "source"][0]
    assert source["file"] == "seed_model.py"
    assert "never stopped: seed_model.CustomModel.forward at enter" in proc.stdout
    assert read_jsonl(out)[-1]["never_stopped"] == ["seed_model.CustomModel.forward at enter"]


def test_bad_command_line_exits_2():
    assert run_harness("run", "--backend", "dtrace").returncode == 2
    assert run_harness("nonsense").returncode == 2
    proc = run_harness("run", "--model", "scenarios/models/seed_model.py:CustomModel",
                       "--args", "{not: a list}")
    assert proc.returncode == 2 and "--args must be a YAML list" in proc.stderr
    proc = run_harness("run")
    assert proc.returncode == 2 and "--model" in proc.stderr


def test_absent_local_is_recorded_and_summarised_not_a_crash(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "version: 1\nname: t\nmodel:\n"
        f"  factory: {ROOT}/scenarios/models/containers_model.py:Containers\n"
        "breakpoints:\n"
        "  - function: torch.jit._recursive.create_script_module\n"
        "    at: enter\n    capture: [nn_module, no_such_local]\n"
        "  - function: torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type\n"
        "    when: undefined_name == 1\n")
    out = tmp_path / "out.jsonl"
    proc = run_harness("run", str(scenario), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "never present in create_script_module: no_such_local" in proc.stdout
    assert "`when` failed in infer_type (counted as false): NameError" in proc.stdout
    records = read_jsonl(out)
    stop = [r for r in records if r["kind"] == "stop"][0]
    assert stop["absent"] == ["no_such_local"]
    assert records[-1]["never_present"] == {
        "torch.jit._recursive.create_script_module": ["no_such_local"]}
