"""`harness diff`: pairs stops by identity, reports what changed; on real torch releases."""
import json
import os

from helpers import real_snapshot, run_harness, run_without_torch, write_jsonl


def test_two_runs_on_one_torch_diff_as_equal(tmp_path, seed_run):
    proc_first, _ = seed_run
    first = proc_first.stdout.split("snapshot: ")[-1].strip()
    again = tmp_path / "again.jsonl"
    assert run_harness("run", "scenarios/seed_walk.yaml", "-o", str(again), "-q").returncode == 0
    assert os.path.abspath(first) != os.path.abspath(again)
    proc = run_harness("diff", first, str(again))
    assert proc.returncode == 0 and "equal: 151 stops paired, no differences" in proc.stdout


def test_moved_lines_do_not_count_and_changed_values_do(tmp_path, seed_run):
    _, records = seed_run
    moved = [dict(r, line=r["line"] + 40) if r["kind"] == "stop" else r for r in records]
    a = write_jsonl(tmp_path / "a.jsonl", records)
    assert run_harness("diff", a, write_jsonl(tmp_path / "m.jsonl", moved)).returncode == 0

    changed = []
    for r in records:
        if r["kind"] == "stop" and r["locals"].get("name") == "weights":
            r = json.loads(json.dumps(r))
            r["locals"]["attr_type"]["jit_type"] = "Optional[Tensor]"
        changed.append(r)
    proc = run_harness("diff", a, write_jsonl(tmp_path / "c.jsonl", changed))
    assert proc.returncode == 1
    assert "return custom_layer1 name=weights" in proc.stdout
    assert "attr_type.jit_type: 'Tensor'  →  'Optional[Tensor]'" in proc.stdout
    assert "1 changed" in proc.stdout


def test_stops_are_paired_by_key_not_position(tmp_path, seed_run):
    _, records = seed_run
    # drop one infer_type stop in B: only that stop is missing, the rest still pair
    dropped = [r for r in records if not (r["kind"] == "stop" and r["locals"].get("name") ==
                                          "first_dimension")]
    proc = run_harness("diff", write_jsonl(tmp_path / "a.jsonl", records),
                       write_jsonl(tmp_path / "b.jsonl", dropped), "--format", "json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["counts"]["only_a"] == 1 and report["counts"]["changed"] == 0
    fn = report["functions"]["torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type"]
    assert fn["only_a"][0]["locals"]["name"] == "first_dimension"


def test_bad_input_exits_2(tmp_path):
    bogus = tmp_path / "x.jsonl"
    bogus.write_text("not json\n")
    proc = run_harness("diff", str(bogus), str(bogus))
    assert proc.returncode == 2 and "is not a harness snapshot" in proc.stderr
    assert run_harness("diff", str(tmp_path / "missing.jsonl"), str(bogus)).returncode == 2


def test_torch_1_13_against_live_2_13_shows_what_really_changed(seed_run):
    proc_live, records = seed_run
    live = records[0]  # header
    assert live["torch"].startswith("2.13")
    old = real_snapshot("seed_walk", "1.13.1")
    proc = run_harness("diff", old, proc_live.stdout.split("snapshot: ")[-1].strip(),
                       "--format", "json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["header"]["torch"]["a"].startswith("1.13.1")
    counts = report["counts"]
    # the same walk: every stop pairs, none is only on one side
    assert counts["paired"] == 151 and counts["only_a"] == counts["only_b"] == 0
    fns = report["functions"]
    # infer_type typed every attribute the same way in 2022 and today
    assert fns["torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type"][
        "changed"] == []
    # real code changes, without the reformatting
    prep = fns["torch.jit._script.call_prepare_scriptable_func_impl"]["source"]
    assert prep["code_changed"]
    assert "+    for v in new_obj_dict.values():" in prep["code_diff"]
    assert not any('"_modules"' in line for line in prep["code_diff"])  # quote style: not code
    create = fns["torch.jit._recursive.create_script_module"]["source"]["code_diff"]
    assert "-    assert not isinstance(nn_module, torch.jit.RecursiveScriptModule)" in create
    # respelled annotations (Optional[Tensor] -> Tensor | None) are not changes
    builder = fns["torch.jit._recursive.infer_concrete_type_builder"]["changed"]
    paths = [c["path"] for stop in builder for c in stop["changes"]]
    assert not any("[bias]" in p for p in paths)
    assert report["warnings"]["only_b"] == [
        "DeprecationWarning: `torch.jit.script` is deprecated. Please switch to "
        "`torch.compile` or `torch.export`."]


def test_torch_2_14_against_live_2_13(seed_run):
    proc_live, _ = seed_run
    live_path = proc_live.stdout.split("snapshot: ")[-1].strip()
    proc = run_harness("diff", live_path, real_snapshot("seed_walk", "2.14.1"),
                       "--format", "json")
    report = json.loads(proc.stdout)
    prep = report["functions"]["torch.jit._script.call_prepare_scriptable_func_impl"]["source"]
    assert any("isinstance(v, torch.nn.Module)" in line and line.startswith("+")
               for line in prep["code_diff"])
    # 2.14 made the deprecation warning a FutureWarning
    assert report["warnings"]["only_b"][0].startswith("FutureWarning:")
    assert report["counts"]["only_a"] == report["counts"]["only_b"] == 0


def test_failing_scenario_fails_the_same_way_on_1_13(failing_run):
    proc_live, records = failing_run
    live_path = proc_live.stdout.split("snapshot: ")[-1].strip()
    proc = run_harness("diff", real_snapshot("failing_attribute", "1.13.1"), live_path,
                       "--format", "json")
    report = json.loads(proc.stdout)
    assert report["outcome"] is None  # same error, same first line
    assert report["counts"]["changed"] == 0


def test_diff_needs_no_torch(seed_run):
    proc = run_without_torch("diff", real_snapshot("seed_walk", "1.13.1"),
                             real_snapshot("seed_walk", "2.14.1"))
    assert proc.returncode == 1, proc.stderr
    assert "torch: 1.13.1+cu117 → 2.14.1+cu130" in proc.stdout
    assert "code changed" in proc.stdout


def test_torch_2_14_to_2_15_changed_nothing_on_the_shipped_scenarios():
    for scenario in ("seed_walk", "seed_walk_no_branch", "failing_attribute", "containers"):
        proc = run_without_torch("diff", real_snapshot(scenario, "2.14.1"),
                                 real_snapshot(scenario, "2.15.0"))
        assert proc.returncode == 0, (scenario, proc.stdout)
        assert "torch: 2.14.1+cu130 → 2.15.0+cu132" in proc.stdout
