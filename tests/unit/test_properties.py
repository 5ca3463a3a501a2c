"""Property-based tests (Hypothesis) for what reads outside input: scenario files, the value
encoders (any string, nested containers, through a snapshot and back), and the snapshot
reader on mutated and truncated files. Their example counts are set in conftest.py
(HYPOTHESIS_PROFILE=thorough for a long run)."""
import io
import json
import os
import sys

import pytest
import yaml
from hypothesis import assume, given, strategies as st

from harness import compare, records, snapshot
from harness import scenario as scenario_mod
from harness.errors import ScenarioError, SnapshotError
from harness.recording.values import default_encoder
from harness.show import render, run_report
from harness.show.replay import ReplayShell
from helpers import real_snapshot

ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=40)
ROOTS = [os.path.abspath(p) for p in sys.path if p and os.path.isabs(p) and len(p) > 1]

# -- scenarios --------------------------------------------------------------------------------
KEYS = list(scenario_mod.TOP_KEYS) + list(scenario_mod.MODEL_KEYS) \
    + list(scenario_mod.BREAKPOINT_KEYS) + ["line", "occurrence", "x", ""]
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT
YAMLISH = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.sampled_from(KEYS) | ANY_TEXT, inner, max_size=5),
                       max_leaves=25)


def load_text(tmp_path_factory, text: str):
    path = tmp_path_factory.mktemp("s") / "s.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        return scenario_mod.load(str(path))
    except ScenarioError:
        return None


@given(data=YAMLISH)
def test_any_yaml_document_loads_or_gets_a_scenario_error(tmp_path_factory, data):
    load_text(tmp_path_factory, yaml.safe_dump(data, allow_unicode=True))


@given(text=st.text(ANY_CHAR, max_size=300))
def test_any_text_loads_or_gets_a_scenario_error(tmp_path_factory, text):
    load_text(tmp_path_factory, text)


@given(version=st.just(1), name=ANY_TEXT, bps=st.lists(YAMLISH, max_size=3))
def test_scenario_shaped_documents_load_or_get_a_located_error(tmp_path_factory, version,
                                                               name, bps):
    data = {"version": version, "name": name, "model": {"factory": "m.py:M"},
            "breakpoints": bps}
    try:
        scenario_mod.from_data(data, base_dir=str(tmp_path_factory.getbasetemp()))
    except ScenarioError as exc:
        assert exc.key is None or isinstance(exc.key, str)


# -- values -----------------------------------------------------------------------------------
HASHABLE = st.none() | st.booleans() | st.integers() | ANY_TEXT | st.floats()
VALUES = st.recursive(
    HASHABLE,
    lambda inner: (st.lists(inner, max_size=4) | st.tuples(inner, inner)
                   | st.dictionaries(HASHABLE, inner, max_size=4)
                   | st.frozensets(HASHABLE, max_size=4) | st.sets(HASHABLE, max_size=4)),
    max_leaves=30)


def through_a_snapshot(tmp_path_factory, encoded):
    path = str(tmp_path_factory.mktemp("v") / "s.jsonl")
    with snapshot.SnapshotWriter(path) as w:
        w.write(records.from_json({"kind": "header", "format": records.FORMAT, "version": 1,
                                   "scenario": {"name": "t", "hash": "0"}}))
        w.write(records.Stop(kind="stop", index=0, function="m.f", breakpoint=0,
                             event="enter", line=1, call=0, parent=None, depth=0,
                             subject=None, locals={"v": encoded}))
    snap = snapshot.read(path)
    assert len(snap.stops) == 1, snap.problems
    return snap.stops[0].locals["v"]


@given(text=st.text(ANY_CHAR, max_size=200))
def test_any_string_round_trips_through_a_snapshot(tmp_path_factory, text):
    assume(not any(root in text for root in ROOTS))  # machine paths are cut, on purpose
    encoded = default_encoder().encode(text)
    assert encoded == text
    assert through_a_snapshot(tmp_path_factory, encoded) == text


@given(value=VALUES)
def test_nested_values_encode_to_data_that_round_trips(tmp_path_factory, value):
    encoded = default_encoder().encode(value)
    json.dumps(encoded, allow_nan=False)  # plain JSON data, always
    assert through_a_snapshot(tmp_path_factory, encoded) == encoded
    assert isinstance(render.short(encoded), str)


# -- the reader -------------------------------------------------------------------------------
ORIGINAL = open(real_snapshot("containers", "2.14.1"), "rb").read()
ORIGINAL_SNAP = snapshot.read(real_snapshot("containers", "2.14.1"))
MUTATIONS = st.lists(st.tuples(st.sampled_from(["cut", "flip", "drop", "dup", "insert"]),
                               st.integers(0, len(ORIGINAL) - 1), st.binary(max_size=8)),
                     min_size=1, max_size=4)


def mutate(data: bytes, mutations) -> bytes:
    for kind, at, junk in mutations:
        at %= max(len(data), 1)
        if kind == "cut":
            data = data[:at]
        elif kind == "flip":
            data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:] if data else data
        elif kind == "insert":
            data = data[:at] + junk + data[at:]
        else:
            lines = data.split(b"\n")
            i = at % max(len(lines), 1)
            lines = lines[:i] + lines[i + 1:] if kind == "drop" else lines[:i + 1] + lines[i:]
            data = b"\n".join(lines)
    return data


@given(mutations=MUTATIONS)
def test_a_mutated_snapshot_reads_what_is_intact_or_is_refused(tmp_path_factory, mutations):
    path = tmp_path_factory.mktemp("m") / "s.jsonl"
    path.write_bytes(mutate(ORIGINAL, mutations))
    try:
        snap = snapshot.read(str(path))
    except SnapshotError:
        return
    for stop in snap.stops:  # everything read is a valid record, and shows without crashing
        assert isinstance(stop, records.Stop)
        render.stop_line(stop, render.Style(False))
    run_report.report(list(snap.stops), snap.end, snap.path, render.Style(False))
    out = io.StringIO()
    shell = ReplayShell(snap, render.Style(False), stdin=io.StringIO(""), stdout=out)
    for command in ("locals", "p memo", "w", "l", "n", "pp"):
        shell.onecmd(command)
    compare.diff(ORIGINAL_SNAP, snap)


@pytest.mark.parametrize("cut", range(0, len(ORIGINAL), max(1, len(ORIGINAL) // 60)))
def test_a_snapshot_cut_anywhere_reads_up_to_its_last_whole_stop(tmp_path, cut):
    path = tmp_path / "s.jsonl"
    path.write_bytes(ORIGINAL[:cut])
    ends, offset = [], 0  # where each whole stop line ends
    for line in ORIGINAL.split(b"\n"):
        if line.startswith(b'{"kind": "stop"'):
            ends.append(offset + len(line))
        offset += len(line) + 1
    whole = sum(1 for end in ends if end <= cut)
    try:
        snap = snapshot.read(str(path))
    except SnapshotError:
        assert b"\n" not in ORIGINAL[:cut]  # only a file without its header is refused
        return
    assert len(snap.stops) == whole


# -- diff is exact about types ------------------------------------------------------------------
# JSON as a snapshot records it: scalars whose Python `==` mixes types (3 and 3.0, True and 1,
# -0.0 and 0.0), NaN as its tagged value, nested lists and objects (keys that are not the
# encoding's own tags, whose meaning the diff reads on purpose: `since`, `same_as`, `type`).
TYPED_SCALARS = (st.none() | st.booleans() | st.integers(-3, 3)
    | st.sampled_from([0.0, -0.0, 1.0, 3.0, 1.0000001, -1.0, 1e300])
    | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(["", "a", "3"])
    | st.sampled_from([{"type": "float", "value": v} for v in ("nan", "inf", "-inf")]))
JSON_VALUES = st.recursive(TYPED_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner,
                                             max_size=3), max_leaves=12)


def look_alike(value):
    """The same value with its numbers respelled as Python's `==` would call the same."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        return -value if value == 0 else int(value) if value.is_integer() and abs(value) < 1e15 \
            else value
    if isinstance(value, list):
        return [look_alike(v) for v in value]
    if isinstance(value, dict):
        return {k: look_alike(v) for k, v in value.items()}
    return value


def as_typed_data(value) -> str:
    """A value as typed JSON text: `3` and `3.0`, `true` and `1`, `-0.0` and `0.0` differ."""
    return json.dumps(value, sort_keys=True)


def one_stop_snapshot(value):
    header = {"kind": "header", "format": records.FORMAT, "version": 1, "encoding": 2,
              "scenario": {"name": "t", "hash": "0"},
              "breakpoints": [{"function": "m.f", "at": "return", "capture": ["v"]}]}
    stop = {"kind": "stop", "index": 0, "function": "m.f", "breakpoint": 0, "event": "return",
            "line": 1, "call": 0, "parent": None, "depth": 0, "subject": "", "locals": {"v": value}}
    end = {"kind": "end", "outcome": "ok", "stops": 1}
    return snapshot.parse([json.dumps(r, allow_nan=False) for r in (header, stop, end)])


@given(a=JSON_VALUES, data=st.data())
def test_two_records_compare_equal_iff_they_are_equal_as_typed_data(a, data):
    b = data.draw(st.sampled_from([a, look_alike(a), json.loads(json.dumps(a))])
                  | JSON_VALUES, label="b")
    same = as_typed_data(a) == as_typed_data(b)
    assert records.same_data(a, b) == same
    assert (compare.value_changes(a, b) == []) == same
    assert compare.diff(one_stop_snapshot(a), one_stop_snapshot(b)).equal == same
