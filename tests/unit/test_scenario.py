"""Bad input: exit code 2 and one message naming the file, the YAML line, the key and what is
allowed. Torch-independent checks run before any process starts; the rest where torch is."""
import textwrap

import pytest

from conftest import read_jsonl, run_harness

GOOD_MODEL = "  factory: {models}/seed_model.py:CustomModel\n  args: [true]\n"


def write(tmp_path, body, name="s.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).replace("{models}", str(tmp_path / "models")))
    models = tmp_path / "models"
    models.mkdir(exist_ok=True)
    (models / "seed_model.py").write_text(open("scenarios/models/seed_model.py").read())
    return path


def scenario(breakpoints, extra=""):
    return ("version: 1\nname: t\n" + extra + "model:\n" + GOOD_MODEL
            + "breakpoints:\n" + textwrap.dedent(breakpoints))


def fails(tmp_path, body, *fragments):
    path = write(tmp_path, body)
    proc = run_harness("run", str(path), "-o", str(tmp_path / "out.jsonl"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    err = proc.stderr
    assert "Traceback" not in err
    assert err.startswith("harness: error: ")
    for fragment in fragments:
        assert fragment in err, err
    return err


CASES = {
    "unknown key, with a suggestion": (
        scenario("  - function: torch.jit._recursive.create_script_module\n"
                 "    captures: [nn_module]\n"),
        ["s.yaml:8:", "breakpoints[0].captures", "did you mean capture?",
         "allowed: function, at, capture, when, key"]),
    "wrong type": (
        scenario("  - function: torch.jit._recursive.create_script_module\n"
                 "    capture: 3\n"),
        ["s.yaml:8:", "breakpoints[0].capture", "must be a list of local variable names"]),
    "bad at": (
        scenario("  - function: torch.jit._recursive.create_script_module\n"
                 "    at: entry\n"),
        ["s.yaml:8:", "breakpoints[0].at", "'enter', 'return'", "did you mean enter?"]),
    "function missing in torch": (
        scenario("  - function: torch.jit._recursive.infer_concrete_type_buildr\n"),
        ["s.yaml:7:", "breakpoints[0].function", "did you mean infer_concrete_type_builder",
         "in torch 2."]),
    "closure missing": (
        scenario("  - function: torch.jit._recursive.infer_concrete_type_builder.<locals>.infer\n"),
        ["s.yaml:7:", "defines no function 'infer'", "infer_type"]),
    "a class, not a function": (
        scenario("  - function: torch.jit._recursive.ConcreteTypeStore\n"),
        ["is a class, not a function", "get_or_create_concrete_type"]),
    "line matching nothing": (
        scenario("  - function: torch.jit._recursive.infer_concrete_type_builder\n"
                 "    at: {line: this text is in no line}\n"),
        ["s.yaml:8:", "breakpoints[0].at", "no line of", "contains 'this text is in no line'"]),
    "line matching several": (
        scenario("  - function: torch.jit._recursive.infer_concrete_type_builder\n"
                 "    at: {line: added_names.add(name)}\n"),
        ["matches", "lines of", "occurrence: N"]),
    "when not an expression": (
        scenario("  - function: torch.jit._recursive.create_script_module\n"
                 "    when: name ==\n"),
        ["s.yaml:8:", "breakpoints[0].when", "not a Python expression"]),
    "version": (
        scenario("  - function: torch.jit._recursive.create_script_module\n")
        .replace("version: 1", "version: 2"),
        ["s.yaml:1:", "version", "reads scenario version 1"]),
    "missing model file": (
        scenario("  - function: torch.jit._recursive.create_script_module\n")
        .replace("seed_model.py", "nope.py"),
        ["s.yaml:4:", "model.factory", "model file", "not found"]),
    "missing factory name": (
        scenario("  - function: torch.jit._recursive.create_script_module\n")
        .replace(":CustomModel", ":CustomModle"),
        ["s.yaml:4:", "model.factory", "did you mean CustomModel"]),
    "duplicate key": (
        scenario("  - function: torch.jit._recursive.create_script_module\n"
                 "    at: enter\n    at: return\n"),
        ["s.yaml:9:", "'at' appears twice"]),
    "not YAML": ("version: 1\nname: [unclosed\n", ["s.yaml:", "not valid YAML"]),
    "no breakpoints": ("version: 1\nname: t\nmodel:\n" + GOOD_MODEL + "breakpoints: []\n",
                       ["breakpoints", "at least one breakpoint"]),
    "not a mapping": ("- just a list\n", ["must be a mapping with keys version, name"]),
    "bad capture name": (
        scenario("  - function: torch.jit._recursive.create_script_module\n"
                 "    capture: [nn_module, 'not a name']\n"),
        ["breakpoints[0].capture[1]", "must be the name of a local variable"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_exits_2_with_a_located_message(tmp_path, case):
    body, fragments = CASES[case]
    fails(tmp_path, body, *fragments)


def test_missing_scenario_file_and_no_arguments(tmp_path):
    proc = run_harness("run", str(tmp_path / "absent.yaml"))
    assert proc.returncode == 2 and "cannot read the scenario" in proc.stderr
    proc = run_harness("run")
    assert proc.returncode == 2 and "--model" in proc.stderr


def test_bad_command_line_exits_2():
    assert run_harness("run", "--backend", "dtrace").returncode == 2
    assert run_harness("nonsense").returncode == 2
    proc = run_harness("run", "--model", "scenarios/models/seed_model.py:CustomModel",
                       "--args", "{not: a list}")
    assert proc.returncode == 2 and "--args must be a YAML list" in proc.stderr


def test_absent_local_is_recorded_and_summarised_not_a_crash(tmp_path):
    path = write(tmp_path, scenario(
        "  - function: torch.jit._recursive.create_script_module\n"
        "    at: enter\n    capture: [nn_module, no_such_local]\n"
        "  - function: torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type\n"
        "    when: undefined_name == 1\n"))
    out = tmp_path / "out.jsonl"
    proc = run_harness("run", str(path), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "never present in create_script_module: no_such_local" in proc.stdout
    assert "`when` failed in infer_type (counted as false): NameError" in proc.stdout
    records = read_jsonl(out)
    stop = [r for r in records if r["kind"] == "stop"][0]
    assert stop["absent"] == ["no_such_local"]
    assert records[-1]["never_present"] == {
        "torch.jit._recursive.create_script_module": ["no_such_local"]}
