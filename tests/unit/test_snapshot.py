"""Writing and reading snapshots: every string round-trips, a file cut anywhere reads up to its
last whole stop, and what is not a snapshot (or not one of ours) is refused by name."""
import json
import math
import os
import tracemalloc

import pytest

from harness import records, snapshot
from harness.errors import SnapshotError
from harness.records import End, Stop

HEADER = {"kind": "header", "format": "harness-snapshot", "version": 1,
          "scenario": {"name": "t", "hash": "0"}}
STOP = {"kind": "stop", "index": 0, "function": "m.f", "breakpoint": 0, "event": "enter",
        "line": 3, "call": 0, "parent": None, "depth": 0, "subject": None, "locals": {}}
END = {"kind": "end", "outcome": "ok", "stops": 1}


def write(tmp_path, lines, name="s.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def stop(i, **fields):
    return {**STOP, "index": i, "call": i, **fields}


def test_a_cut_short_snapshot_reads_up_to_its_last_whole_stop(tmp_path):
    path = write(tmp_path, [json.dumps(HEADER), json.dumps(STOP),
                            json.dumps(stop(1))[:25]])
    snap = snapshot.read(path)
    assert [s.index for s in snap.stops] == [0]
    assert not snap.complete and snap.outcome == "unfinished"
    assert any("cut short" in p for p in snap.problems)
    assert any("did not finish" in p for p in snap.problems)


def test_a_snapshot_cut_inside_a_character_still_reads(tmp_path):
    text = (json.dumps(HEADER) + "\n" + json.dumps(stop(0, locals={"s": "ü€"}),
                                                    ensure_ascii=False) + "\n"
            + json.dumps(stop(1, locals={"s": "ü€"}), ensure_ascii=False) + "\n")
    data = text.encode("utf-8")
    cut = data[: data.rindex("€".encode()) + 1]  # inside the last character
    path = tmp_path / "cut.jsonl"
    path.write_bytes(cut)
    snap = snapshot.read(str(path))
    assert [s.index for s in snap.stops] == [0]
    assert any("cut short" in p for p in snap.problems)


@pytest.mark.parametrize("text", ["a\u2028b", "c\u2029d", "e\x85f", "line\nbreak\r",
                                  "lone \ud800 surrogate", "\x1b[31mred", "nul\x00"])
def test_every_string_round_trips_through_a_snapshot(tmp_path, text):
    path = str(tmp_path / "s.jsonl")
    with snapshot.SnapshotWriter(path) as w:
        w.write(records.from_json(HEADER))
        w.write(Stop.from_json(stop(0, locals={"s": text, text: 1})))
        w.write(Stop.from_json(stop(1)))
        w.write(End.from_json(END))
    snap = snapshot.read(path)
    assert len(snap.stops) == 2 and snap.complete and not snap.problems
    assert snap.stops[0].locals == {"s": text, text: 1}
    raw = open(path, "rb").read()
    for separator in ("\u2028", "\u2029", "\x85"):
        assert separator.encode("utf-8") not in raw  # written escaped: no reader splits there


def test_not_a_snapshot(tmp_path):
    with pytest.raises(SnapshotError, match="is not a harness snapshot"):
        snapshot.read(write(tmp_path, ["hello"]))
    with pytest.raises(SnapshotError, match="is not a harness snapshot"):
        snapshot.read(write(tmp_path, [json.dumps({"format": "other"})]))
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SnapshotError, match="is not a harness snapshot"):
        snapshot.read(str(binary))
    empty = tmp_path / "e.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(SnapshotError, match="is empty"):
        snapshot.read(str(empty))
    with pytest.raises(SnapshotError, match="header is broken: field 'scenario' is missing"):
        snapshot.read(write(tmp_path, [json.dumps({k: v for k, v in HEADER.items()
                                                   if k != "scenario"})]))


def test_a_newer_format_version_is_refused_by_name(tmp_path):
    newer = records.FORMAT_VERSION + 1
    with pytest.raises(SnapshotError, match=f"format version {newer}, newer than this harness"):
        snapshot.read(write(tmp_path, [json.dumps({**HEADER, "version": newer})]))


def test_files_that_are_not_regular_files_are_refused_without_reading(tmp_path):
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(SnapshotError, match="not a regular file"):
        snapshot.read(str(fifo))  # opening a FIFO would wait for a writer forever
    with pytest.raises(SnapshotError, match="not a regular file"):
        snapshot.read("/dev/zero")  # reading it would never end
    with pytest.raises(SnapshotError, match="is a folder"):
        snapshot.read(str(tmp_path))
    with pytest.raises(SnapshotError, match="cannot read"):
        snapshot.read(str(tmp_path / "absent.jsonl"))


@pytest.mark.parametrize("bad, fragment", [
    ({**STOP, "index": "0"}, "field 'index' must be an integer; got the string '0'"),
    ({k: v for k, v in STOP.items() if k != "function"}, "field 'function' is missing"),
    ({**STOP, "event": "exit"}, "field 'event' must be enter, return or line"),
    ({**STOP, "locals": []}, "field 'locals' must be an object of captured values"),
    ({**STOP, "parent": 5}, "parent call 5 is not an earlier call"),
    ({"kind": "mystery"}, "unknown record kind 'mystery'"),
    ([1, 2], "a record must be an object, got a list"),
])
def test_broken_records_are_skipped_and_named_with_their_line(tmp_path, bad, fragment):
    path = write(tmp_path, [json.dumps(HEADER), json.dumps(bad), json.dumps(stop(1)),
                            json.dumps(END)])
    snap = snapshot.read(path)
    assert [s.index for s in snap.stops] == [1]  # the intact stop is read
    assert any(p.startswith("line 2: ") and fragment in p for p in snap.problems), snap.problems


def test_numbers_json_cannot_hold_and_deep_nesting_are_refused(tmp_path):
    nested = "[" * 100000 + "]" * 100000
    path = write(tmp_path, [json.dumps(HEADER),
                            json.dumps(stop(0)).replace('"locals": {}', '"locals": {"x": NaN}'),
                            json.dumps(stop(1)).replace('"locals": {}',
                                                        '"locals": {"x": %s}' % nested),
                            json.dumps(stop(2, locals={"x": [[[[1]]]]})), json.dumps(END)])
    snap = snapshot.read(path)
    assert [s.index for s in snap.stops] == [2]
    assert any("line 2:" in p and "NaN is not JSON data" in p for p in snap.problems)
    assert any("line 3:" in p and "nested more than" in p for p in snap.problems)
    with pytest.raises(records.RecordError, match="not finite"):
        records.check_values({"x": math.inf}, "locals")


def test_records_after_the_end_and_a_flood_of_bad_lines_are_bounded(tmp_path):
    path = write(tmp_path, [json.dumps(HEADER), json.dumps(END)] + ["junk"] * 500)
    snap = snapshot.read(path)
    assert snap.complete
    assert len(snap.problems) == snapshot.MAX_PROBLEMS + 1
    assert snap.problems[-1] == f"… and {500 - snapshot.MAX_PROBLEMS} more lines skipped"


def test_a_long_snapshot_is_read_in_bounded_memory(tmp_path, monkeypatch):
    """Stops are kept as offsets and parsed again when asked for: reading 30000 stops (10 MB)
    holds far less than the file, and every stop still reads back."""
    monkeypatch.setattr(snapshot, "CACHE_STOPS", 100)
    payload = {"memo": {"type": "dict", "items": [[i, "x" * 200] for i in range(1)]}}
    lines = [json.dumps(HEADER)] + [json.dumps(stop(i, locals=payload)) for i in range(30000)]
    path = write(tmp_path, lines + [json.dumps(END)])
    size = os.path.getsize(path)
    tracemalloc.start()
    try:
        snap = snapshot.read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > 9_000_000 and peak < size / 5, (size, peak)
    assert len(snap.stops) == 30000
    assert snap.stops[12345].index == 12345 and snap.stops[-1].index == 29999
    assert sum(1 for _ in snap.stops) == 30000


def test_an_overlong_line_is_skipped_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "MAX_LINE_BYTES", 1000)
    path = write(tmp_path, [json.dumps(HEADER), json.dumps(stop(0, locals={"s": "x" * 5000})),
                            json.dumps(stop(1)), json.dumps(END)])
    snap = snapshot.read(path)
    assert [s.index for s in snap.stops] == [1]
    assert any("longer than 1000 bytes" in p for p in snap.problems)


def test_find_stops_by_function_event_and_locals(tmp_path):
    stops = [stop(i, locals={"name": n}) for i, n in enumerate("ab")]
    snap = snapshot.parse([json.dumps(HEADER)] + [json.dumps(s) for s in stops]
                          + [json.dumps(END)])
    assert snap.complete
    assert [s.index for s in snap.find("f", name="b")] == [1]
    assert snap.find("m.f", event="return") == []
    assert snap.stop("f", name="a")["locals"] == {"name": "a"}  # dict-style access, as 0.1
    with pytest.raises(LookupError, match="2 stops match 'f'"):
        snap.stop("f")


def test_a_file_changed_after_reading_is_not_misread(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "CACHE_STOPS", 1)
    path = write(tmp_path, [json.dumps(HEADER), json.dumps(stop(0)), json.dumps(stop(1)),
                            json.dumps(END)])
    snap = snapshot.read(path)
    with open(path, "a") as f:
        f.write("\n")
    with pytest.raises(SnapshotError, match="changed after it was read"):
        snap.stops[0]
