"""Fail, fix, compare, as a new user does it through the command line: every run is kept,
`harness diff` with no paths compares the last two, `harness runs` lists and prunes them."""
import os
import shutil

from helpers import read_jsonl, run_harness

SCENARIO = """\
version: 1
name: mixed
model:
  factory: model.py:Mixed
breakpoints:
  - function: torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type
    capture: [name, attr_type]
    key: [name]
"""

MODEL = """\
import torch
import torch.nn as nn


class Mixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.scales = {scales}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x) * self.scales[0]
"""


def runs_of(project):
    return sorted(os.listdir(project / "snapshots" / "mixed"))


def test_fail_fix_diff_keeps_both_runs_and_compares_them_without_paths(tmp_path):
    (tmp_path / "mixed.yaml").write_text(SCENARIO)
    (tmp_path / "model.py").write_text(MODEL.format(scales='[1, "two", 3]'))
    failing = run_harness("run", "mixed.yaml", cwd=str(tmp_path))
    assert failing.returncode == 1, failing.stderr
    assert "snapshot: snapshots/mixed/001-torch-2.13.0+cpu.jsonl" in failing.stdout
    assert "runs kept: 1 (harness runs mixed)" in failing.stdout

    (tmp_path / "model.py").write_text(MODEL.format(scales="[1, 2, 3]"))  # the fix
    fixed = run_harness("run", "mixed.yaml", cwd=str(tmp_path))
    assert fixed.returncode == 0, fixed.stderr
    assert "snapshot: snapshots/mixed/002-torch-2.13.0+cpu.jsonl" in fixed.stdout
    assert "compare the last two: harness diff --last mixed" in fixed.stdout
    assert runs_of(tmp_path) == ["001-torch-2.13.0+cpu.jsonl", "002-torch-2.13.0+cpu.jsonl"]

    diff = run_harness("diff", cwd=str(tmp_path))  # no paths typed
    assert diff.returncode == 1, diff.stderr
    assert "comparing the last two runs of mixed: run 1 and run 2" in diff.stderr
    assert "diff A: snapshots/mixed/001-torch-2.13.0+cpu.jsonl" in diff.stdout
    assert "attr_type.success: False  →  True" in diff.stdout
    assert "outcome" in diff.stdout and "RuntimeError" in diff.stdout
    assert run_harness("diff", "--last", "mixed", cwd=str(tmp_path)).stdout == diff.stdout
    inside = run_harness("diff", cwd=str(tmp_path / "snapshots" / "mixed"))
    assert inside.returncode == 1 and "run 1 and run 2" in inside.stderr

    listing = run_harness("runs", cwd=str(tmp_path))
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[0] == "runs of mixed in snapshots/mixed/:"
    assert lines[1].split()[:7] == ["run", "1", "001-torch-2.13.0+cpu.jsonl", "full", "torch",
                                    "2.13.0+cpu", "8"]
    assert "error (RuntimeError, diagnosis: attribute-type)" in lines[1]
    assert lines[2].endswith("ok")
    assert lines[3] == "harness diff --last mixed compares run 1 with run 2"

    # --force replaces the latest run instead of adding one
    before = runs_of(tmp_path)
    again = run_harness("run", "mixed.yaml", "--force", "-q", cwd=str(tmp_path))
    assert again.returncode == 0 and runs_of(tmp_path) == before
    assert "snapshot: snapshots/mixed/002-torch-2.13.0+cpu.jsonl" in again.stdout

    # an interactive session writes its own file, never over a full recording
    inter = run_harness("run", "mixed.yaml", "-i", cwd=str(tmp_path), input="q\n")
    assert inter.returncode == 3, inter.stderr
    assert runs_of(tmp_path)[-1] == "003-torch-2.13.0+cpu-interactive.jsonl"
    assert read_jsonl(tmp_path / "snapshots" / "mixed" / "002-torch-2.13.0+cpu.jsonl"
                      )[-1]["outcome"] == "ok"
    # ...and the default diff leaves it out: it recorded only what was asked
    assert "run 1 and run 2" in run_harness("diff", cwd=str(tmp_path)).stderr

    # the last run against the golden
    goldens = tmp_path / "__snapshots__" / "mixed"
    goldens.mkdir(parents=True)
    shutil.copyfile(tmp_path / "snapshots" / "mixed" / "001-torch-2.13.0+cpu.jsonl",
                    goldens / "torch-2.13.jsonl")
    golden = run_harness("diff", "--golden", cwd=str(tmp_path))
    assert golden.returncode == 1
    assert "comparing the golden of mixed with its latest run, run 2" in golden.stderr
    assert "diff A: __snapshots__/mixed/torch-2.13.jsonl" in golden.stdout

    pruned = run_harness("runs", "mixed", "--prune", "--keep", "1", cwd=str(tmp_path))
    assert pruned.returncode == 0
    assert pruned.stdout.splitlines() == [
        "removed run 1: snapshots/mixed/001-torch-2.13.0+cpu.jsonl",
        "removed run 2: snapshots/mixed/002-torch-2.13.0+cpu.jsonl",
        "mixed: 2 runs removed, 1 kept"]
    nothing = run_harness("diff", cwd=str(tmp_path))
    assert nothing.returncode == 2
    assert "holds no full run of mixed to compare, only 1 interactive run" in nothing.stderr
    assert "Traceback" not in nothing.stderr


def test_explicit_output_is_replaced_as_asked(tmp_path):
    (tmp_path / "mixed.yaml").write_text(SCENARIO)
    (tmp_path / "model.py").write_text(MODEL.format(scales="[1, 2, 3]"))
    out = tmp_path / "mine.jsonl"
    out.write_text("old\n")
    proc = run_harness("run", "mixed.yaml", "-o", str(out), "-q", cwd=str(tmp_path))
    assert proc.returncode == 0 and read_jsonl(out)[0]["kind"] == "header"
    assert not (tmp_path / "snapshots").exists()
    both = run_harness("run", "mixed.yaml", "-o", str(out), "--force", cwd=str(tmp_path))
    assert both.returncode == 2 and "give one of them" in both.stderr


def test_one_run_and_several_scenarios_say_what_to_do(tmp_path):
    """No torch needed: the runs are files a user already has."""
    folder = tmp_path / "snapshots" / "seed-walk"
    folder.mkdir(parents=True)
    source = os.path.join(os.path.dirname(__file__), "..", "data", "seed_walk")
    first = sorted(f for f in os.listdir(source) if f.endswith(".jsonl"))[0]
    shutil.copyfile(os.path.join(source, first), folder / "001-torch-1.13.1+cu117.jsonl")
    one = run_harness("diff", cwd=str(tmp_path))
    assert one.returncode == 2
    assert "holds one run of seed-walk, 001-torch-1.13.1+cu117.jsonl: nothing to compare it " \
           "with yet; run the scenario again, or compare it with its golden: harness diff " \
           "--golden --last seed-walk" in one.stderr
    (tmp_path / "snapshots" / "other").mkdir()
    shutil.copyfile(folder / "001-torch-1.13.1+cu117.jsonl",
                    tmp_path / "snapshots" / "other" / "001-torch-1.13.1+cu117.jsonl")
    several = run_harness("diff", cwd=str(tmp_path))
    assert several.returncode == 2
    assert "snapshots/ holds the runs of 2 scenarios (other, seed-walk): name one" in \
        several.stderr
    listing = run_harness("runs", cwd=str(tmp_path))
    assert listing.returncode == 0
    assert "  seed-walk  1 run, latest run 1: ok" in listing.stdout
    unknown = run_harness("runs", "seed-wlk", cwd=str(tmp_path))
    assert unknown.returncode == 2 and "did you mean seed-walk" in unknown.stderr
    half = run_harness("diff", "a.jsonl", cwd=str(tmp_path))
    assert half.returncode == 2 and "give two snapshots" in half.stderr
