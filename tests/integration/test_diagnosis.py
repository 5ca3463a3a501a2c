"""The diagnosis of a failed run, for each way scripting fails on real models: the shipped
failing scenarios (their goldens, recorded live by the plugin on every test run, hold the
diagnosis), and a run whose breakpoints show nothing of the failure."""
import os

import pytest

from harness import snapshot
from helpers import ROOT, read_jsonl, run_harness

GOLDENS = os.path.join(ROOT, "scenarios", "__snapshots__")

EXPECTED = {
    "failing-attribute": dict(kind="attribute-type", module="", attribute="scales",
                              phase="compiling MixedScales.forward", stops=[8, 9, 10],
                              fix="a list's elements must share one type"),
    "failing-function-attribute": dict(kind="function-attribute", module="", attribute="post",
                                       where="failing_models.py:16",
                                       function="scale_by_config",
                                       fix="call it directly as a module-level function"),
    "failing-uninitialized-module": dict(kind="uninitialized", module="head",
                                         module_class="failing_models.Head",
                                         fix="call super().__init__() first thing in "
                                             "Head.__init__"),
    "failing-hook": dict(kind="hook", module="stage", phase="reading the module's hooks",
                         hook="functools.partial(keep_features)",
                         fix="functools.partial objects, lambdas and bound methods cannot be"),
    "failing-method-syntax": dict(kind="unsupported-syntax", module="blocks.1",
                                  method="forward", construct="a try block",
                                  phase="compiling Smoother.forward",
                                  summary="Smoother.forward in module blocks.1 (Smoother) uses "
                                          "a try block, which TorchScript does not compile"),
    "failing-method-types": dict(kind="type-mismatch", module="stages.1", method="forward",
                                 reason="Variable 'shift' is annotated with type int but is "
                                        "being assigned to a value of type str",
                                 summary="Offset.forward in module stages.1 (Offset) gives a "
                                         "str where an int is expected (shift)"),
    "failing-prepare-scriptable": dict(kind="prepare-scriptable", module="quant",
                                       where="failing_models.py:109 in __prepare_scriptable__"),
    "failing-type-builder": dict(kind="type-builder", module="",
                                 summary="torch's ConcreteModuleTypeBuilder.add_ignored_"
                                         "attributes('debug_log') refused what module <root> "
                                         "(IgnoredAsString) gave it",
                                 fix="__jit_ignored_attributes__ must be a list"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_kind_of_failure_is_diagnosed(name):
    snap = snapshot.read(os.path.join(GOLDENS, name, "torch-2.13.jsonl"))
    assert snap.outcome == "error"
    diagnosis = snap.diagnosis
    for field, expected in EXPECTED[name].items():
        got = getattr(diagnosis, field)
        if field in ("fix", "summary", "where") and isinstance(expected, str):
            assert expected in got, (field, got)
        else:
            assert got == expected, (field, got)
    for index in diagnosis.stops:  # the stops it names exist and are about that module
        assert snap.by_index(index) is not None
    # the outcome is torch's: its exception type and its words, never the harness's
    assert snap.end.error.type in ("RuntimeError", "AttributeError", "TypeError",
                                   "ValueError", "torch.jit.frontend.UnsupportedNodeError")


def test_the_diagnosis_works_whatever_breakpoints_the_scenario_lists(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "version: 1\nname: unrelated\nmodel:\n"
        f"  factory: {ROOT}/scenarios/models/failing_models.py:SyntaxInSubmodule\n"
        "breakpoints:\n  - function: torch.jit._recursive.create_script_module\n"
        "    at: enter\n    capture: [nn_module]\n")
    out = tmp_path / "s.jsonl"
    proc = run_harness("run", str(scenario), "-o", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    end = read_jsonl(out)[-1]
    assert end["diagnosis"]["kind"] == "unsupported-syntax"
    assert end["diagnosis"]["module"] == "blocks.1" and end["diagnosis"]["stops"] == []
    assert end["diagnosis"]["advice"] == (
        "no stop of this scenario shows it; a breakpoint on "
        "torch.jit._recursive.create_script_module_impl (capture: [nn_module]) would")
    # the harness's own watches wrote no stop the scenario did not ask for
    assert {r["function"] for r in read_jsonl(out) if r["kind"] == "stop"} == {
        "torch.jit._recursive.create_script_module"}
    assert "try blocks aren't supported" in proc.stdout  # torch's own words, printed


def test_the_diagnosis_never_advises_a_breakpoint_the_scenario_has():
    for name in EXPECTED:
        snap = snapshot.read(os.path.join(GOLDENS, name, "torch-2.13.jsonl"))
        advice = snap.diagnosis.advice
        if advice:
            functions = [bp.function for bp in snap.header.breakpoints]
            assert not any(f"on {f} " in advice for f in functions), (name, advice)


def test_a_model_constructor_that_raises_is_diagnosed_as_such(tmp_path):
    model = tmp_path / "boom.py"
    model.write_text("import torch\nclass Boom(torch.nn.Module):\n    def __init__(self):\n"
                     "        super().__init__()\n        raise ValueError('bad config')\n")
    out = tmp_path / "b.jsonl"
    proc = run_harness("run", "--model", f"{model}:Boom", "-o", str(out))
    assert proc.returncode == 1
    assert "outcome: error while building the model" in proc.stdout
    assert "ValueError: bad config" in proc.stdout
    diagnosis = read_jsonl(out)[-1]["diagnosis"]
    assert diagnosis["kind"] == "model-constructor"
    assert diagnosis["where"] == "boom.py:5 in __init__"


def test_a_big_model_prints_what_a_person_reads(tmp_path):
    model = tmp_path / "wide.py"
    model.write_text(
        "import torch\nclass Wide(torch.nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.layers = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(60)])\n"
        "        self.bad = [1, 'x']\n"
        "    def forward(self, x):\n        return x * self.bad[0]\n")
    scenario = tmp_path / "wide.yaml"
    scenario.write_text(
        "version: 1\nname: wide\nmodel:\n  factory: wide.py:Wide\nbreakpoints:\n"
        "  - function: torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type\n"
        "    capture: [name, attr_type]\n    key: [name]\n")
    proc = run_harness("run", str(scenario), "-o", str(tmp_path / "w.jsonl"))
    assert proc.returncode == 1
    out = proc.stdout
    stops = len([r for r in read_jsonl(tmp_path / "w.jsonl") if r["kind"] == "stop"])
    assert stops > 300
    assert "stops marked ✗ (--stops all: every one)" in out
    assert len(out.splitlines()) < 150  # module headings and the failure, not every stop
    assert "\nlayers.59  4 stops (4 ✓)\n" in out
    proc = run_harness("run", str(scenario), "-o", str(tmp_path / "w2.jsonl"), "--stops", "all")
    assert len(proc.stdout.splitlines()) > stops


def test_a_method_using_an_attribute_never_set_is_diagnosed_as_missing(tmp_path):
    model = tmp_path / "missing.py"
    model.write_text(
        "import torch\nclass Inner(torch.nn.Module):\n    def forward(self, x):\n"
        "        return x * self.gain\n"
        "class Outer(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.inner = Inner()\n    def forward(self, x):\n        return self.inner(x)\n")
    out = tmp_path / "m.jsonl"
    proc = run_harness("run", "--model", f"{model}:Outer", "-o", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    diagnosis = read_jsonl(out)[-1]["diagnosis"]
    assert diagnosis["kind"] == "missing-attribute"
    assert (diagnosis["module"], diagnosis["attribute"]) == ("inner", "gain")
    assert diagnosis["where"] == "missing.py:4"
    assert "set self.gain in Inner.__init__" in diagnosis["fix"]
