"""The pytest plugin, driven with pytester as a user's project would use it."""
import json
import sys

import pytest
from helpers import run_harness

MODEL = '''
import torch
import torch.nn as nn


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.factor = {factor}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x) * self.factor
'''

SCENARIO = '''
version: 1
name: tiny
description: how Tiny's attributes are typed
model:
  factory: models/tiny_model.py:Tiny
breakpoints:
  - function: torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type
    capture: [name, attr_type]
    key: [name]
'''


@pytest.fixture
def project(pytester):
    pytester.makeini("[pytest]\nharness_scenarios = scenarios/*.yaml\n")
    pytester.mkdir("scenarios")
    pytester.mkdir("scenarios/models")
    set_factor(pytester, "2")
    (pytester.path / "scenarios" / "tiny.yaml").write_text(SCENARIO)
    return pytester


def set_factor(pytester, factor):
    (pytester.path / "scenarios" / "models" / "tiny_model.py").write_text(
        MODEL.format(factor=factor))


def golden(pytester):
    found = list((pytester.path / "scenarios" / "__snapshots__" / "tiny").glob("torch-*.jsonl"))
    assert len(found) == 1, found
    return found[0]


def test_missing_golden_fails_and_says_how_to_create_it(project):
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*no golden snapshot for torch 2.13*run `pytest --harness-update` to record it*"])


def test_update_then_pass_then_model_change_fails_with_a_diff_then_update_fixes(project):
    result = project.runpytest("--harness-update")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["harness: 1 golden snapshot written, 0 unchanged, 0 unused"])
    assert golden(project).name == "torch-2.13.jsonl"

    project.runpytest().assert_outcomes(passed=1)

    set_factor(project, "2.5")  # the attribute's type changes: int -> float
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "return <root> name=factor" in out
    assert "attr_type.jit_type: 'int'  →  'float'" in out
    assert "return[0]" not in out  # the return only echoes attr_type: reported once
    assert "if the change is expected: pytest --harness-update" in out
    assert '"kind": "stop"' not in out  # a diff report, not a JSON dump

    project.runpytest("--harness-update").assert_outcomes(passed=1)
    project.runpytest().assert_outcomes(passed=1)


def test_corrupt_golden_is_a_clear_error(project):
    project.runpytest("--harness-update").assert_outcomes(passed=1)
    golden(project).write_text("{ this is not a snapshot\n")
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the golden snapshot cannot be read*not a harness snapshot*"])


def test_without_the_ini_option_nothing_is_collected(pytester):
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "tiny.yaml").write_text(SCENARIO)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_harness_run_fixture_in_a_hand_written_test(project):
    project.makepyfile(test_by_hand='''
        def test_factor_is_typed_as_int(harness_run):
            snap = harness_run("scenarios/tiny.yaml")
            assert snap.outcome == "ok"
            stop = snap.stop("infer_type", name="factor")
            assert stop["locals"]["attr_type"]["jit_type"] == "int"

        def test_a_dict_scenario(harness_run):
            snap = harness_run({"version": 1, "name": "d",
                                "model": {"factory": "scenarios/models/tiny_model.py:Tiny"},
                                "breakpoints": [{"function":
                                    "torch.jit._recursive.create_script_module",
                                    "at": "enter", "capture": ["nn_module"]}]})
            assert snap.stop("create_script_module")["subject"] == ""
    ''')
    project.runpytest("-p", "no:cacheprovider", "test_by_hand.py").assert_outcomes(passed=2)


@pytest.fixture(scope="session")
def torch_imported():
    """pytester snapshots sys.modules when it is set up and restores it afterwards: torch
    first imported inside an in-process run would be dropped, and torch cannot be imported a
    second time in one process (torch._C does not initialise twice). Session-scoped fixtures
    are set up first, so torch is in the snapshot."""
    from harness.recording import import_torch

    return import_torch()


def test_no_trace_hook_is_left_behind(torch_imported, project):
    """Even recording in-process inside the pytest process puts the trace function back."""
    project.makepyfile(test_in_process='''
        def test_in_process(harness_run):
            snap = harness_run("scenarios/tiny.yaml", in_process=True)
            assert snap.outcome == "ok"
    ''')

    def tracer(frame, event, arg):
        return None

    before = sys.gettrace()
    sys.settrace(tracer)
    try:
        project.runpytest("test_in_process.py").assert_outcomes(passed=1)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(before)


def test_works_with_xdist(project):
    pytest.importorskip("xdist")
    project.runpytest("--harness-update").assert_outcomes(passed=1)
    (project.path / "scenarios" / "tiny_copy.yaml").write_text(
        SCENARIO.replace("name: tiny", "name: tiny-copy"))
    project.runpytest("--harness-update", "scenarios/tiny_copy.yaml").assert_outcomes(passed=1)
    result = project.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", "--harness-update")
    result.assert_outcomes(passed=2)
    # what each worker did to its golden reaches the controller's summary
    result.stdout.fnmatch_lines(["harness: 0 golden snapshots written, 2 unchanged, 0 unused"])


def test_two_scenarios_with_one_name_do_not_share_a_golden(project):
    (project.path / "scenarios" / "tiny_twin.yaml").write_text(SCENARIO)  # also `name: tiny`
    result = project.runpytest("--harness-update")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*tiny_twin.yaml and *tiny.yaml are both named 'tiny'*"])


def test_a_golden_of_another_value_encoding_says_so(project):
    project.runpytest("--harness-update").assert_outcomes(passed=1)
    lines = golden(project).read_text().splitlines()
    header = json.loads(lines[0])
    del header["encoding"]  # as harness 0.1 wrote it: encoding 1
    golden(project).write_text("\n".join([json.dumps(header)] + lines[1:]) + "\n")
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*was recorded with value encoding 1, and this harness "
                                 "writes encoding 3*re-record it with `pytest "
                                 "--harness-update`*"])


def test_a_failing_golden_keeps_what_it_recorded_where_the_message_says(project):
    project.runpytest("--harness-update").assert_outcomes(passed=1)
    set_factor(project, "2.5")
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    kept = "snapshots/tiny/001-torch-2.13.0+cpu.jsonl"
    result.stdout.fnmatch_lines([
        "*diff golden: *scenarios/__snapshots__/tiny/torch-2.13.jsonl",
        f"*now: {kept}",
        f"now:    {kept} (kept; compare again: harness diff --golden --last tiny)",
        "harness: the snapshots of 1 failing test kept (harness diff --golden --last NAME "
        "compares one again)",
        f"  kept: {kept}"])
    assert (project.path / kept).exists()  # still there after pytest ended
    again = run_harness("diff", "--golden", "--last", "tiny", cwd=str(project.path))
    assert again.returncode == 1, again.stderr
    assert "attr_type.jit_type: 'int'  →  'float'" in again.stdout
    # a second failure is a second run: the first stays
    project.runpytest().assert_outcomes(failed=1)
    assert sorted(p.name for p in (project.path / "snapshots" / "tiny").iterdir()) == [
        "001-torch-2.13.0+cpu.jsonl", "002-torch-2.13.0+cpu.jsonl"]


def test_update_writes_only_what_changed_and_reports_unused_goldens(project):
    project.runpytest("--harness-update").assert_outcomes(passed=1)
    before = golden(project).stat().st_mtime_ns, golden(project).read_bytes()
    result = project.runpytest("--harness-update")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["harness: 0 golden snapshots written, 1 unchanged, 0 unused"])
    assert (golden(project).stat().st_mtime_ns, golden(project).read_bytes()) == before

    # the scenario is renamed: its new golden is written, the old one is reported unused
    scenario = project.path / "scenarios" / "tiny.yaml"
    scenario.write_text(SCENARIO.replace("name: tiny", "name: tiny-renamed"))
    result = project.runpytest("--harness-update")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "harness: 1 golden snapshot written, 0 unchanged, 1 unused",
        "  written: scenarios/__snapshots__/tiny-renamed/torch-2.13.jsonl",
        "  unused: scenarios/__snapshots__/tiny/torch-2.13.jsonl (no scenario named 'tiny' "
        "beside it; pytest --harness-delete-unused deletes it)"])
    old = project.path / "scenarios" / "__snapshots__" / "tiny"
    assert old.exists()  # reported, not deleted

    result = project.runpytest("--harness-delete-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["harness: 1 unused golden snapshot deleted",
                                 "  deleted: scenarios/__snapshots__/tiny/torch-2.13.jsonl"])
    assert not old.exists()
    assert (project.path / "scenarios" / "__snapshots__" / "tiny-renamed").exists()


def test_goldens_of_an_unreadable_scenario_are_never_called_unused(project):
    project.runpytest("--harness-update").assert_outcomes(passed=1)
    (project.path / "scenarios" / "tiny.yaml").write_text(
        SCENARIO.replace("name: tiny", "name: tiny-renamed"))
    (project.path / "scenarios" / "broken.yaml").write_text("version: 1\nname: [\n")
    result = project.runpytest("--harness-update", "--harness-delete-unused",
                               "scenarios/tiny.yaml")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["harness: 1 golden snapshot written, 0 unchanged, 0 unused"])
    assert (project.path / "scenarios" / "__snapshots__" / "tiny" / "torch-2.13.jsonl").exists()
