"""The harness does not change what it observes: a model scripted under it is identical to one
scripted without it (type names, every submodule's code, the saved archive, byte for byte)."""
import json
import os
import subprocess
import sys

import pytest

from helpers import SAMPLES

SCRIPT_INFO = os.path.join(SAMPLES, "script_info.py")


def script_info(mode, scenario):
    env = dict(os.environ, PYTHONHASHSEED="0")  # torch's constants come out in set order
    proc = subprocess.run([sys.executable, SCRIPT_INFO, mode, scenario], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("scenario", ["scenarios/seed_walk.yaml", "scenarios/containers.yaml"])
def test_scripted_module_is_identical_with_and_without_the_harness(scenario):
    plain = script_info("plain", scenario)
    recorded = script_info("harness", scenario)
    assert recorded["modules"] == plain["modules"]
    assert recorded["archive_sha256"] == plain["archive_sha256"]


@pytest.mark.parametrize("backend", ["instrument", "settrace"])
def test_scripted_module_is_identical_under_each_backend(backend):
    """`auto` above is one backend; the others must leave torch's result alone too (the
    instrument backend runs torch's functions from code of its own making)."""
    plain = script_info("plain", "scenarios/seed_walk.yaml")
    recorded = script_info(f"harness/{backend}", "scenarios/seed_walk.yaml")
    assert recorded["modules"] == plain["modules"]
    assert recorded["archive_sha256"] == plain["archive_sha256"]


@pytest.mark.parametrize("scenario", ["scenarios/function_walk.yaml",
                                      "scenarios/class_walk.yaml"])
def test_scripted_function_and_class_are_identical_with_and_without_the_harness(scenario):
    plain = script_info("plain", scenario)
    recorded = script_info("harness", scenario)
    assert recorded == plain
    if "function" in plain:  # the helper was compiled too, and called by its torch name
        assert "__torch__.frontend_models.clamp_sum(xs, None, )" in plain["code"]
    else:
        assert set(plain["methods"]) == {"__init__", "area"}
        assert "__torch__.frontend_models.Pair" in plain["methods"]["__init__"]["graph"]


def test_the_comparison_catches_the_builder_build_trap():
    """Control: an observer that calls ConcreteModuleTypeBuilder.build() renames torch's types,
    and the comparison above sees it. (This is why the harness records builder calls.)"""
    plain = script_info("plain", "scenarios/seed_walk.yaml")
    naive = script_info("build", "scenarios/seed_walk.yaml")
    assert plain["modules"][""]["type"] == "__torch__.seed_model.CustomModel"
    assert naive["modules"][""]["type"] != plain["modules"][""]["type"]
    assert "___torch_mangle_" in naive["modules"][""]["type"]


def test_torch_builder_class_is_put_back_after_a_run(tmp_path):
    from harness import scenario as scenario_mod
    from harness.recording import import_torch
    from harness.recording.session import record

    torch = import_torch()
    before = torch._C.ConcreteModuleTypeBuilder
    trace_before = sys.gettrace()
    record(scenario_mod.load("scenarios/failing_attribute.yaml"), output=str(tmp_path / "f.jsonl"))
    assert torch._C.ConcreteModuleTypeBuilder is before
    assert sys.gettrace() is trace_before
