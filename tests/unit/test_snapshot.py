"""Reading snapshots: tolerant of a run that died, strict about what is not a snapshot."""
import json

import pytest

from harness import snapshot
from harness.errors import SnapshotError

HEADER = {"kind": "header", "format": "harness-snapshot", "version": 1}
STOP = {"kind": "stop", "index": 0, "function": "m.f", "event": "enter", "locals": {}}


def write(tmp_path, lines):
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_a_cut_short_snapshot_reads_up_to_its_last_whole_stop(tmp_path):
    path = write(tmp_path, [json.dumps(HEADER), json.dumps(STOP),
                            json.dumps({**STOP, "index": 1})[:25]])
    snap = snapshot.read(path)
    assert [s["index"] for s in snap.stops] == [0]
    assert not snap.complete and snap.outcome == "unfinished"
    assert any("cut short" in p for p in snap.problems)
    assert any("did not finish" in p for p in snap.problems)


def test_not_a_snapshot(tmp_path):
    with pytest.raises(SnapshotError, match="is not a harness snapshot"):
        snapshot.read(write(tmp_path, ["hello"]))
    with pytest.raises(SnapshotError, match="is not a harness snapshot"):
        snapshot.read(write(tmp_path, [json.dumps({"format": "other"})]))
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SnapshotError):
        snapshot.read(str(binary))


def test_a_newer_format_version_is_refused_by_name(tmp_path):
    with pytest.raises(SnapshotError, match="format version 2, newer than this harness reads"):
        snapshot.read(write(tmp_path, [json.dumps({**HEADER, "version": 2})]))


def test_find_stops_by_function_event_and_locals(tmp_path):
    stops = [dict(STOP, index=i, locals={"name": n}) for i, n in enumerate("ab")]
    snap = snapshot.parse([json.dumps(HEADER)] + [json.dumps(s) for s in stops]
                          + [json.dumps({"kind": "end", "outcome": "ok"})])
    assert snap.complete
    assert [s["index"] for s in snap.find("f", name="b")] == [1]
    assert snap.find("m.f", event="return") == []
