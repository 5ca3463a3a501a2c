"""Bad input: one message naming the file, the YAML line, the key and what is allowed (the
command line prints it after `harness: error:` and exits 2). Checked in this process: loading
(no torch), then what only the installed torch can tell (a function, a line fragment)."""
import textwrap

import pytest

from harness import scenario as scenario_mod
from harness.errors import ScenarioError
from helpers import ROOT, run_harness

GOOD_MODEL = "  factory: {models}/seed_model.py:CustomModel\n  args: [true]\n"


def write(tmp_path, body, name="s.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).replace("{models}", str(tmp_path / "models")))
    models = tmp_path / "models"
    models.mkdir(exist_ok=True)
    (models / "seed_model.py").write_text(open(f"{ROOT}/scenarios/models/seed_model.py").read())
    return path


def scenario(breakpoints, extra=""):
    return ("version: 1\nname: t\n" + extra + "model:\n" + GOOD_MODEL
            + "breakpoints:\n" + textwrap.dedent(breakpoints))


def problem(path) -> str:
    """The message a scenario gets, as `harness run` would print it, found in this process."""
    from harness.recording import model_loader
    from harness.recording.session import resolve_breakpoints

    try:
        loaded = scenario_mod.load(str(path))
        try:
            model_loader.load_factory(loaded.model)
        except model_loader.ModelLoadError as exc:
            raise loaded.model_error(str(exc)) from None
        resolve_breakpoints(loaded)
    except ScenarioError as exc:
        return str(exc)
    raise AssertionError(f"{path} was accepted")


def fails(tmp_path, body, *fragments):
    message = problem(write(tmp_path, body))
    for fragment in fragments:
        assert fragment in message, message
    return message


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
def test_bad_scenario_gets_a_located_message(tmp_path, torch, case):
    body, fragments = CASES[case]
    fails(tmp_path, body, *fragments)


@pytest.mark.parametrize("case", ["unknown key, with a suggestion", "function missing in torch",
                                  "missing factory name"])
def test_the_command_line_exits_2_with_that_message_and_no_traceback(tmp_path, case):
    body, fragments = CASES[case]
    path = write(tmp_path, body)
    proc = run_harness("run", str(path), "-o", str(tmp_path / "out.jsonl"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("harness: error: ") and "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr
    assert not (tmp_path / "out.jsonl").exists()  # bad input: no snapshot


def test_missing_scenario_file(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read the scenario"):
        scenario_mod.load(str(tmp_path / "absent.yaml"))


# -- input that is not a scenario at all --------------------------------------------------------
GOOD = scenario("  - function: torch.jit._recursive.create_script_module\n")


def load_problem(tmp_path, content, name="s.yaml"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content.replace("{models}", f"{ROOT}/scenarios/models"))
    with pytest.raises(ScenarioError) as info:
        scenario_mod.load(str(path))
    return str(info.value)


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    import time

    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    start = time.monotonic()
    message = load_problem(tmp_path, "\n".join(lines) + "\n")
    assert time.monotonic() - start < 0.5
    assert "expands to more than" in message and "s.yaml:1:" in message


def test_not_utf8_names_the_line(tmp_path):
    message = load_problem(tmp_path, b"version: 1\nname: caf\xe9\n")
    assert message.startswith(f"{tmp_path}/s.yaml:2: not UTF-8 text (byte 0xe9 at column 10)")


def test_deeply_nested_yaml_is_refused(tmp_path):
    assert "nested too deeply" in load_problem(tmp_path, "[" * 5000 + "]" * 5000)


def test_not_regular_files_and_huge_files_are_refused(tmp_path):
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="not a regular file"):
        scenario_mod.load(str(fifo))  # opening it would wait for a writer forever
    with pytest.raises(ScenarioError, match="not a regular file"):
        scenario_mod.load("/dev/zero")
    with pytest.raises(ScenarioError, match="is a folder"):
        scenario_mod.load(str(tmp_path))
    assert "a scenario is at most" in load_problem(tmp_path, "#" * 2_000_000)


@pytest.mark.parametrize("args, fragment", [
    ("[2024-01-02]", "model.args[0]: must be plain data (a string, number, true/false, null, "
                     "list or mapping); got date"),
    ("[!!set {a: null}]", "model.args[0]: must be plain data"),
    ("[!!binary aGVsbG8=]", "got bytes"),
    ("[[1, [.nan]]]", "model.args[0][1][0]: must be a finite number"),
    ("[{1: x}]", "model.args[0]: keys must be strings; got the number 1"),
])
def test_model_arguments_must_be_json_data(tmp_path, args, fragment):
    body = GOOD.replace("  args: [true]\n", f"  args: {args}\n")
    assert fragment in load_problem(tmp_path, body)


@pytest.mark.parametrize("seed", ["-1", str(2 ** 64), "1.5", "true"])
def test_seeds_out_of_range_are_refused(tmp_path, seed):
    body = GOOD.replace("  args: [true]\n", f"  args: [true]\n  seed: {seed}\n")
    assert "model.seed: must be" in load_problem(tmp_path, body)


def test_a_key_that_is_not_captured_is_refused(tmp_path):
    body = scenario("  - function: torch.jit._recursive.create_script_module\n"
                    "    capture: [nn_module]\n    key: [name]\n")
    message = load_problem(tmp_path, body)
    assert "breakpoints[0].key[0]: 'name' is not captured" in message
    assert "capture: ['nn_module']" in message


def test_names_with_control_characters_are_refused(tmp_path):
    assert "name: must start with a letter" in load_problem(
        tmp_path, GOOD.replace("name: t", 'name: "t\\e[2J"'))
    assert "name: must start with a letter" in load_problem(
        tmp_path, GOOD.replace("name: t", 'name: "t\\n"'))
    assert "breakpoints[0].function: must be a dotted name" in load_problem(
        tmp_path, GOOD.replace("create_script_module", 'create_script\\x1bmodule"')
        .replace("function: torch", 'function: "torch'))
