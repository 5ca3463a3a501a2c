"""`harness replay` as a user runs it: without torch, piped, and at a terminal."""
import subprocess
import sys

import pexpect

from helpers import NO_TORCH, ROOT, harness_command, real_snapshot, run_without_torch

SEED_113 = real_snapshot("seed_walk", "1.13.1")


def test_print_mode_shows_stops_and_summary_without_torch():
    proc = run_without_torch("replay", SEED_113, "--print")
    assert proc.returncode == 0, proc.stderr
    assert "torch 1.13.1+cu117" in proc.stdout
    assert "── 151 stops" in proc.stdout and "outcome: ok" in proc.stdout


def test_a_reader_that_goes_away_ends_it_quietly():
    """`harness replay --print | head -3`: the reader closes the pipe; no traceback, exit 141
    (128 + SIGPIPE, what a shell shows for a command the pipe stopped)."""
    for args in (["replay", SEED_113, "--print"], ["diff", SEED_113, SEED_113]):
        proc = subprocess.Popen(harness_command() + args, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        assert proc.wait(timeout=60) in (0, 141), err  # 0: it had written all before the close
        assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_piped_commands_without_torch():
    proc = run_without_torch("replay", SEED_113, input="g 66\np attr_type\nq\n")
    assert proc.returncode == 0, proc.stderr
    assert "attr_type = ✓ Tensor" in proc.stdout


def test_a_cut_short_snapshot_replays_to_its_last_whole_stop(tmp_path):
    lines = open(SEED_113).read().splitlines()
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:30]) + "\n" + lines[30][:40])
    proc = run_without_torch("replay", str(cut), input="g 999\nn 100\nq\n")
    assert proc.returncode == 0
    assert "cut short" in proc.stdout and "did not finish" in proc.stdout
    assert "already at the last stop (the run did not finish)" in proc.stdout


def test_not_a_snapshot_or_newer_version_exits_2(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"hello": 1}\n')
    proc = run_without_torch("replay", str(bad), "--print")
    assert proc.returncode == 2 and "is not a harness snapshot" in proc.stderr
    newer = tmp_path / "newer.jsonl"
    newer.write_text('{"kind": "header", "format": "harness-snapshot", "version": 9}\n')
    proc = run_without_torch("replay", str(newer), "--print")
    assert proc.returncode == 2 and "format version 9, newer" in proc.stderr


def test_interactive_terminal_with_completion():
    child = pexpect.spawn(sys.executable, ["-c", NO_TORCH, "replay", SEED_113], cwd=ROOT,
                          encoding="utf-8", timeout=30, env={"NO_COLOR": "1", "TERM": "xterm"})
    child.expect(r"\(replay #0\) ")
    child.send("g 66\r")
    child.expect(r"\(replay #66\) ")
    child.send("p attr\t")  # tab completes the local's name
    child.expect("attr_type")
    child.send("\r")
    child.expect("✓ Tensor")
    child.expect(r"\(replay #66\) ")
    child.send("q\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_stop_that_is_not_there_is_bad_input():
    proc = run_without_torch("replay", SEED_113, "--stop", "999")
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("has no such stop (its stops: #0 to #150)")
