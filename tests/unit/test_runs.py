"""The runs layout (harness/runs.py): numbering, kinds, replacing, pruning, and finding the
runs and goldens to compare without typing paths. Files only: no torch."""
import json
import os
import threading

import pytest

from harness import runs
from harness.errors import HarnessError


def snapshot_text(outcome="ok", stops=3, torch="2.13.0+cpu", end=True, **end_fields):
    header = {"kind": "header", "format": "harness-snapshot", "version": 1,
              "scenario": {"name": "s", "hash": "0"}, "torch": torch}
    lines = [json.dumps(header)]
    if end:
        lines.append(json.dumps({"kind": "end", "outcome": outcome, "stops": stops,
                                 **end_fields}))
    return "".join(line + "\n" for line in lines)


def make_run(root, scenario="s", torch="2.13.0+cpu", interactive=False, **kwargs):
    path = runs.new_run(scenario, torch, interactive=interactive, root=str(root))
    with open(path, "w") as f:
        f.write(snapshot_text(torch=torch, **kwargs))
    return path


def names(folder):
    return [os.path.basename(r.path) for r in runs.list_runs(str(folder))]


def test_each_run_gets_the_next_number_and_says_its_torch_and_kind(tmp_path):
    make_run(tmp_path)
    make_run(tmp_path, interactive=True)
    make_run(tmp_path, torch="2.14.1+cu130")
    assert names(tmp_path / "s") == ["001-torch-2.13.0+cpu.jsonl",
                                     "002-torch-2.13.0+cpu-interactive.jsonl",
                                     "003-torch-2.14.1+cu130.jsonl"]
    assert [r.name.interactive for r in runs.list_runs(str(tmp_path / "s"))] == \
        [False, True, False]
    assert not any(n.startswith(".") for n in os.listdir(tmp_path / "s"))  # no markers left


def test_names_parse_back_and_numbers_sort_as_numbers(tmp_path):
    name = runs.RunName(12, "2.13.0+cpu", ("interactive",))
    assert runs.RunName.parse(name.filename) == name
    assert runs.RunName.parse("torch-2.13.0+cpu.jsonl") == runs.RunName(0, "2.13.0+cpu")
    assert runs.RunName.parse("notes.jsonl") is None
    folder = tmp_path / "s"
    folder.mkdir()
    for n in ("1000-torch-2.13.0.jsonl", "999-torch-2.13.0.jsonl", "torch-1.13.1.jsonl"):
        (folder / n).write_text(snapshot_text())
    assert names(folder) == ["torch-1.13.1.jsonl", "999-torch-2.13.0.jsonl",
                             "1000-torch-2.13.0.jsonl"]
    assert os.path.basename(runs.new_run("s", "2.13.0", root=str(tmp_path))) == \
        "1001-torch-2.13.0.jsonl"


def test_replacing_the_last_run_keeps_its_number_and_never_crosses_kinds(tmp_path):
    make_run(tmp_path)
    make_run(tmp_path)
    again = runs.new_run("s", "2.13.0+cpu", replace_last=True, root=str(tmp_path))
    assert os.path.basename(again) == "002-torch-2.13.0+cpu.jsonl"
    assert len(names(tmp_path / "s")) == 2
    # an interactive run never replaces a full recording
    inter = runs.new_run("s", "2.13.0+cpu", interactive=True, replace_last=True,
                         root=str(tmp_path))
    assert os.path.basename(inter) == "003-torch-2.13.0+cpu-interactive.jsonl"
    full = runs.new_run("s", "2.13.0+cpu", replace_last=True, root=str(tmp_path))
    assert os.path.basename(full) == "004-torch-2.13.0+cpu.jsonl"


def test_runs_started_at_once_never_share_a_number(tmp_path):
    made = []

    def start():
        for _ in range(10):
            made.append(runs.new_run("s", "2.13.0", root=str(tmp_path)))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    numbers = [r.name.number for r in runs.list_runs(str(tmp_path / "s"))]
    assert sorted(numbers) == list(range(1, 41)) and len(set(made)) == 40


def test_a_summary_reads_the_outcome_from_the_two_ends_of_the_file(tmp_path):
    ok = make_run(tmp_path, stops=151)
    bad = make_run(tmp_path, outcome="error", stops=11, error={"type": "RuntimeError"},
                   diagnosis={"kind": "attribute-type"})
    died = make_run(tmp_path, end=False)
    assert runs.RunSummary.read(ok).outcome == "ok" and runs.RunSummary.read(ok).stops == 151
    summary = runs.RunSummary.read(bad)
    assert (summary.outcome, summary.detail) == ("error", "RuntimeError, diagnosis: attribute-type")
    assert runs.RunSummary.read(died).outcome == "unfinished"
    with open(died, "a") as f:
        f.write('{"kind": "stop", "index": 0, "cut sh')  # killed mid-line
    assert runs.RunSummary.read(died).outcome == "unfinished"
    empty = runs.new_run("s", "2.13.0", root=str(tmp_path))
    assert runs.RunSummary.read(empty).outcome == "empty"


def test_prune_keeps_the_newest(tmp_path):
    paths = [make_run(tmp_path) for _ in range(4)]
    removed, kept = runs.prune(str(tmp_path / "s"), 2)
    assert [r.path for r in removed] == paths[:2] and [r.path for r in kept] == paths[2:]
    assert runs.prune(str(tmp_path / "s"), 0)[0] and names(tmp_path / "s") == []


def test_finding_the_scenario_from_where_we_are(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(HarnessError, match=r"no runs in snapshots/ \(harness run"):
        runs.find_scenario()
    make_run(tmp_path / "snapshots", "seed-walk")
    assert runs.find_scenario() == ("seed-walk", os.path.join("snapshots", "seed-walk"))
    make_run(tmp_path / "snapshots", "other")
    with pytest.raises(HarnessError, match="holds the runs of 2 scenarios .other, seed-walk.: "
                                           "name one, e.g. --last other"):
        runs.find_scenario()
    with pytest.raises(HarnessError, match="no runs of 'seed-wlk' .*did you mean seed-walk"):
        runs.find_scenario("seed-wlk")
    monkeypatch.chdir(tmp_path / "snapshots" / "seed-walk")  # inside a scenario's runs
    assert runs.find_scenario()[0] == "seed-walk"


def test_nothing_to_compare_says_why(tmp_path):
    folder = str(tmp_path / "s")
    make_run(tmp_path, interactive=True)
    with pytest.raises(HarnessError, match="no full run of s to compare, only 1 interactive run"):
        runs.last_two("s", folder)
    make_run(tmp_path)
    with pytest.raises(HarnessError, match=r"one run of s, 002-torch-2.13.0\+cpu.jsonl \(and 1 "
                                           r"interactive run, left out\): nothing to compare"):
        runs.last_two("s", folder)
    make_run(tmp_path)
    older, newer = runs.last_two("s", folder)
    assert (older.name.number, newer.name.number) == (2, 3)


def test_the_golden_is_found_by_the_runs_torch_line(tmp_path):
    folder = tmp_path / "snapshots" / "s"
    make_run(tmp_path / "snapshots")
    with pytest.raises(HarnessError, match="no golden of s for torch 2.13"):
        runs.golden_of("s", "2.13.0+cpu", str(folder), start=str(tmp_path))
    goldens = tmp_path / "scenarios" / "__snapshots__" / "s"
    goldens.mkdir(parents=True)
    (goldens / "torch-2.14.jsonl").write_text(snapshot_text())
    with pytest.raises(HarnessError, match="goldens for other torch releases"):
        runs.golden_of("s", "2.13.0+cpu", str(folder), start=str(tmp_path))
    (goldens / "torch-2.13.jsonl").write_text(snapshot_text())
    assert os.path.samefile(runs.golden_of("s", "2.13.0+cpu", str(folder), start=str(tmp_path)),
                            goldens / "torch-2.13.jsonl")
    assert runs.golden_filename("2.13.0+cpu") == "torch-2.13.jsonl"


def test_a_tag_derives_a_name_from_a_run():
    assert runs.with_tag("snapshots/s/003-torch-2.13.0+cpu.jsonl", "round-2") == \
        "snapshots/s/003-torch-2.13.0+cpu-round-2.jsonl"
    assert runs.RunName.parse("003-torch-2.13.0+cpu-round-2.jsonl").tags == ("round", "2")
    with pytest.raises(ValueError):
        runs.with_tag("x.jsonl", "a/b")


def test_a_keep_going_run_is_replaced_and_pruned_with_its_rounds(tmp_path):
    make_run(tmp_path)
    first = make_run(tmp_path)
    for n in (2, 3):
        with open(runs.with_tag(first, f"round-{n}"), "w") as f:
            f.write(snapshot_text())
    assert names(tmp_path / "s")[1:] == ["002-torch-2.13.0+cpu.jsonl",
                                         "002-torch-2.13.0+cpu-round-2.jsonl",
                                         "002-torch-2.13.0+cpu-round-3.jsonl"]
    removed, kept = runs.prune(str(tmp_path / "s"), 1)
    assert [os.path.basename(r.path) for r in removed] == ["001-torch-2.13.0+cpu.jsonl"]
    assert runs.count_runs(kept) == 1 and len(kept) == 3
    again = runs.new_run("s", "2.13.0+cpu", replace_last=True, root=str(tmp_path))
    assert names(tmp_path / "s") == [os.path.basename(again)] == ["002-torch-2.13.0+cpu.jsonl"]
