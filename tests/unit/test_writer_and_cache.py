"""One writer per snapshot, an end record whatever breaks a run, and the environment cache's
messages, in-process (the command-line side is tests/integration/test_endings.py)."""
import os
import signal
import sys

import pytest

from harness import envs, snapshot
from harness.parent import launch
from helpers import read_jsonl

HEADER = {"kind": "header", "format": "harness-snapshot", "version": 1,
          "scenario": {"name": "t", "hash": "0"}}


def test_a_second_writer_is_refused_and_the_first_ones_file_is_untouched(tmp_path):
    path = str(tmp_path / "s.jsonl")
    with snapshot.SnapshotWriter(path) as first:
        first.write(HEADER)
        with pytest.raises(snapshot.SnapshotBusy, match="another run is writing"):
            snapshot.SnapshotWriter(path)
        first.write({"kind": "end", "outcome": "ok", "stops": 0})
    assert [r["kind"] for r in read_jsonl(path)] == ["header", "end"]
    with snapshot.SnapshotWriter(path) as again:  # the lock went with the first writer
        again.write(HEADER)
    assert [r["kind"] for r in read_jsonl(path)] == ["header"]


def test_a_run_that_breaks_off_still_ends_its_snapshot_saying_so(tmp_path):
    path = str(tmp_path / "s.jsonl")
    with pytest.raises(ZeroDivisionError) as info:
        with snapshot.SnapshotWriter(path) as writer:
            writer.write(HEADER)
            writer.write({"kind": "stop", "index": 0})
            raise ZeroDivisionError("the run breaks off")
    end = read_jsonl(path)[-1]
    assert end["outcome"] == "incomplete" and end["stops"] == 1
    assert end["error"]["type"] == "ZeroDivisionError" and end["error"]["phase"] == "recording"
    assert "keeps the 1 stops" in info.value.snapshot_kept
    assert snapshot.read(path).outcome == "incomplete"


def test_a_run_stopped_before_its_header_leaves_an_empty_file_not_a_headless_one(tmp_path):
    """A stop signal while the run sets up (before the header): an end record alone would be
    a file no reader takes for a snapshot."""
    path = tmp_path / "s.jsonl"
    with pytest.raises(KeyboardInterrupt):
        with snapshot.SnapshotWriter(str(path)):
            raise KeyboardInterrupt
    assert path.read_bytes() == b""


def test_a_folder_that_cannot_be_removed_whole_is_said(tmp_path, monkeypatch):
    env = tmp_path / "torch-9.9-py3.11"
    (env / "lib").mkdir(parents=True)
    (env / "lib" / "stuck.py").write_text("")
    real_unlink = os.unlink

    def unlink(path, *args, **kwargs):
        if str(path).endswith("stuck.py"):
            raise PermissionError(13, "Permission denied")
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    removal = envs.remove_path(str(env))
    assert not removal.removed and "Permission denied" in removal.line()
    assert removal.line().startswith("not removed: ")


def test_a_linked_environment_is_removed_as_a_link_never_its_target(tmp_path):
    target = tmp_path / "elsewhere"
    (target / "bin").mkdir(parents=True)
    link = tmp_path / "torch-9.8-py3.11"
    os.symlink(target, link)
    removal = envs.remove_path(str(link))
    assert removal.removed and not os.path.lexists(link) and target.exists()
    assert f"pointed to, {target}, is left" in removal.line()


def test_a_python_named_for_its_version_is_found_off_path(monkeypatch):
    monkeypatch.setattr(envs.shutil, "which", lambda name: None)
    found = [envs.Interpreter("/opt/py38/bin/python3", (3, 8, 18)),
             envs.Interpreter("/usr/bin/python3", (3, 11, 7))]
    assert envs._named("python3.8", found) is found[0]
    with pytest.raises(envs.EnvError, match=r"3\.8\.18 at /opt/py38/bin/python3"):
        envs.choose(envs.Request("2.14.1", "python3.9"), found)


def test_ctrl_c_while_provisioning_is_the_users_stop(tmp_path):
    with launch.signals_forwarded():
        os.kill(os.getpid(), signal.SIGINT)  # noted by the handler, as in `harness matrix`
        with pytest.raises(KeyboardInterrupt):
            envs._run([sys.executable, "-c", "raise SystemExit(1)"], lambda text: None,
                      what="installing torch 9.9")
