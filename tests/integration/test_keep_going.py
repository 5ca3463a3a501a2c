"""`harness run --keep-going`: every failure of a model in one run, each with its check, each
round's snapshot kept, the user's files untouched, and the exit code the model's own."""
import json
import os
import subprocess
import sys

import pytest

from harness import snapshot
from helpers import ROOT, SAMPLES, run_harness

# The shipped model with three independent faults (and WithHelper), copied into a folder of
# each test's own so that the test can check the harness never touches the file.
with open(os.path.join(ROOT, "scenarios", "models", "several_faults.py"), encoding="utf-8") as f:
    FAULTY = f.read()

# ThreeFaults as a person fixes it by hand, following the three checks.
FIXED = (FAULTY
         .replace("    @property\n", "    __jit_unused_properties__ = [\"size\"]\n\n"
                                   "    @property\n", 1)
         .replace("self.blocks = [Block(), Block()]", "self.blocks = nn.ModuleList([Block(), "
                                                      "Block()])")
         .replace("        self.head.register_forward_hook(lambda module, inputs, output: "
                  "None)  # a lambda hook\n", ""))


def model_file(folder, text=FAULTY):
    folder.mkdir()
    path = folder / "faulty.py"
    path.write_text(text)
    return path


def keep_going(path, factory, out, *more):
    return run_harness("run", "--model", f"{path}:{factory}", "--keep-going", "-q",
                       "--no-color", "-o", str(out), *more)


@pytest.fixture(scope="module")
def three_faults(tmp_path_factory):
    """ThreeFaults run once with --keep-going, its last round's module saved."""
    tmp_path = tmp_path_factory.mktemp("three")
    path = model_file(tmp_path / "model")
    before = path.read_bytes()
    out = tmp_path / "runs" / "three.jsonl"
    saved = tmp_path / "last.pt"
    proc = keep_going(path, "ThreeFaults", out, "--save-scripted", str(saved))
    return tmp_path, path, before, out, saved, proc


def test_every_failure_is_listed_in_one_run_each_with_its_check(three_faults):
    tmp_path, path, before, out, saved, proc = three_faults
    text = proc.stdout
    assert proc.returncode == 1, text + proc.stderr  # the model as written fails
    assert "every failure, in one run: 3 failures in 4 rounds" in text
    checks = [line.strip() for line in text.splitlines() if line.strip().startswith("checked:")]
    assert checks == [
        "checked:   with size listed in Block.__jit_unused_properties__ (module stem), "
        "scripting gets past this",
        "checked:   with stage.blocks wrapped in nn.ModuleList, scripting gets past this",
        "checked:   with the forward hook ThreeFaults.__init__.<locals>.<lambda> of module head "
        "removed, scripting gets past this"]
    assert "round 4: the model scripts with 3 changes:" in text
    assert "your files are unchanged" in text
    assert "the model as written fails to script (exit 1)" in text
    assert path.read_bytes() == before  # never touched

    # each round's snapshot exists under the name the output gives, and reads
    names = ["three.jsonl", "three-round-2.jsonl", "three-round-3.jsonl", "three-round-4.jsonl"]
    assert sorted(os.listdir(out.parent)) == sorted(names)
    snaps = [snapshot.read(str(out.parent / name)) for name in names]
    for name in names:
        assert str(out.parent / name) in text or name == "three-round-4.jsonl"
    assert [s.outcome for s in snaps] == ["error", "error", "error", "ok"]
    assert [s.diagnosis.checked for s in snaps[:3]] == [c.replace("checked:   ", "checked: ")
                                                        for c in checks]
    assert [s.diagnosis.module for s in snaps[:3]] == ["stem", "stage", "head"]


def test_a_method_that_is_not_forward_is_marked_unused(tmp_path):
    path = model_file(tmp_path / "model")
    out = tmp_path / "helper.jsonl"
    proc = keep_going(path, "WithHelper", out)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ("checked:   with Helper.describe marked @torch.jit.unused (module helper; it raises "
            "if called), scripting gets past this") in proc.stdout
    assert "1 failure in 2 rounds" in proc.stdout
    assert snapshot.read(str(tmp_path / "helper-round-2.jsonl")).outcome == "ok"


def test_a_failure_no_change_applies_to_stops_after_one_round_and_says_why(tmp_path):
    path = model_file(tmp_path / "model")
    out = tmp_path / "root.jsonl"
    proc = keep_going(path, "RootForward", out)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failure in 1 round" in proc.stdout
    assert ("round 1: stopped, no change applies to this failure (the failing method is the "
            "model's own forward") in proc.stdout
    assert sorted(os.listdir(tmp_path)) == ["model", "root.jsonl"]  # one round, one snapshot
    checked = snapshot.read(str(out)).diagnosis.checked
    assert checked.startswith("no check possible: the failing method is the model's own forward")


def test_a_model_that_scripts_at_once_behaves_as_without_the_flag(tmp_path):
    path = model_file(tmp_path / "model")
    plain = run_harness("run", "--model", f"{path}:Scripts", "--no-color", "-o",
                        str(tmp_path / "a.jsonl"))
    going = run_harness("run", "--model", f"{path}:Scripts", "--no-color", "--keep-going",
                        "-o", str(tmp_path / "b.jsonl"))
    assert plain.returncode == going.returncode == 0, going.stdout + going.stderr
    assert going.stdout.replace("b.jsonl", "a.jsonl") == plain.stdout
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["a.jsonl", "b.jsonl", "model"]


def info(mode, target):
    proc = subprocess.run([sys.executable, os.path.join(SAMPLES, "keep_going_info.py"), mode,
                           target], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONHASHSEED="0"))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_last_round_scripts_what_the_changes_made_by_hand_script(three_faults):
    """Fidelity: the module the last round scripted (saved with --save-scripted) is the one
    torch makes of the model fixed by hand in its source, as the checks say: the same types,
    the same code in every submodule, the same weights and output."""
    tmp_path, path, before, out, saved, proc = three_faults
    fixed = model_file(tmp_path / "fixed", FIXED)  # same module name: same qualified names
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"the scripted module of round 4 (with the changes) is saved to {saved}" in \
        proc.stdout
    by_hand = info("script", f"{fixed}:ThreeFaults")
    assert info("load", str(saved)) == by_hand
    assert by_hand["modules"][""]["type"] == "__torch__.faulty.ThreeFaults"


def test_the_api_gives_one_snapshot_a_round(tmp_path):
    import harness

    path = model_file(tmp_path / "model")
    snaps = harness.run_keep_going({"version": 1, "name": "helper",
                                    "model": {"factory": f"{path}:WithHelper"},
                                    "breakpoints": [{"function": "torch.jit._recursive."
                                                                 "create_script_module",
                                                     "at": "enter"}]},
                                   output=str(tmp_path / "h.jsonl"))
    assert [s.outcome for s in snaps] == ["error", "ok"]
    assert [s.path for s in snaps] == [str(tmp_path / "h.jsonl"),
                                       str(tmp_path / "h-round-2.jsonl")]
    assert snaps[0].diagnosis.checked == (
        "checked: with Helper.describe marked @torch.jit.unused (module helper; it raises if "
        "called), scripting gets past this")
