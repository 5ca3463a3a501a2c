"""The launch's pure helpers, in-process: the recording process's environment, the stops
counted in a snapshot written so far, and the exit code each stop signal gives."""
import os
import signal

from helpers import ROOT

from harness import snapshot
from harness.errors import ExitCode
from harness.parent import launch

FAILING = os.path.join(ROOT, "scenarios", "__snapshots__", "failing-attribute", "torch-2.13.jsonl")


def test_the_child_gets_a_fixed_hash_seed_and_only_absolute_pythonpath_entries(monkeypatch):
    absolute = os.path.abspath("somewhere")
    monkeypatch.setenv("PYTHONHASHSEED", "random")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(["", "relative", absolute]))
    env = launch.child_environment()
    assert env["PYTHONHASHSEED"] == launch.HASHSEED
    assert env["PYTHONPATH"] == absolute  # "" and "relative" would mean the cwd


def test_a_pythonpath_of_only_relative_entries_is_dropped(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(["", "."]))
    assert "PYTHONPATH" not in launch.child_environment()


def test_the_stops_of_a_snapshot_are_counted_by_their_lines():
    assert launch._count_stops(FAILING) == len(snapshot.read(FAILING).stops) > 0


def test_each_stop_signal_has_its_exit_code():
    assert launch._exit_for_signal(signal.SIGINT) == ExitCode.INTERRUPTED
    assert launch._exit_for_signal(signal.SIGTERM) == ExitCode.TERMINATED
    if hasattr(signal, "SIGHUP"):
        assert launch._exit_for_signal(signal.SIGHUP) == ExitCode.HANGUP
