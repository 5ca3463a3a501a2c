"""Records: JSON both ways, validation that names the field, dict-style access as in 0.1."""
import pytest

from harness import records
from harness.records import End, ErrorInfo, Header, RecordError, Stop, Tag, path_label

STOP = {"kind": "stop", "index": 4, "function": "m.f", "breakpoint": 0, "event": "return",
        "line": 3, "call": 2, "parent": 1, "depth": 1, "subject": "", "locals": {"x": 1}}


def test_a_stop_round_trips_and_keeps_its_field_order():
    stop = Stop.from_json(STOP)
    assert stop.to_json() == STOP and list(stop.to_json()) == list(STOP)
    assert "absent" not in stop.to_json()  # optional and unset: left out
    with_absent = Stop.from_json({**STOP, "absent": ["y"]})
    assert list(with_absent.to_json())[-1] == "absent"


def test_dict_style_access_as_the_plain_records_of_harness_0_1():
    stop = Stop.from_json(STOP)
    assert stop["locals"] == {"x": 1} and stop.get("subject") == "" and "locals" in stop
    assert stop.get("absent") is None and "absent" not in stop
    with pytest.raises(KeyError):
        stop["absent"]
    end = End.from_json({"kind": "end", "outcome": "error", "stops": 0,
                         "error": {"type": "RuntimeError", "message": "m", "phase": "script"}})
    assert isinstance(end.error, ErrorInfo) and end["error"]["type"] == "RuntimeError"


@pytest.mark.parametrize("data, message", [
    ({**STOP, "line": True}, "field 'line' must be an integer; got true"),
    ({**STOP, "subject": 3}, "field 'subject' must be a string or null"),
    ({**STOP, "absent": "y"}, "field 'absent' must be a list of names"),
    ({"kind": "end", "outcome": "fine", "stops": 0},
     "field 'outcome' must be ok, error, stopped or incomplete"),
    ({"kind": "end", "outcome": "ok", "stops": 0, "warnings": [{"category": 1}]},
     "field 'warnings': field 'category' must be a string"),
    ({"kind": "header", "format": "harness-snapshot", "version": 1, "scenario": {"name": 1}},
     "field 'scenario': field 'name' must be a string"),
])
def test_validation_names_the_field(data, message):
    with pytest.raises(RecordError, match=message.replace("(", r"\(")):
        records.from_json(data)


def test_value_tags_and_path_labels():
    assert records.tag_of({"type": Tag.TENSOR}) == "Tensor"
    assert records.tag_of(3) is None and records.tag_of({"type": 3}) is None
    assert path_label("") == "<root>" and path_label(None) == "-"
    assert path_label("layer2.0") == "layer2.0"
    header = Header.from_json({"kind": "header", "format": "harness-snapshot", "version": 1,
                               "scenario": {"name": "s", "hash": "h"}})
    assert header.encoding_version == 1  # written before the encoding was recorded


def test_a_diagnosis_kind_this_harness_does_not_know_reads_as_other():
    """Kinds are added within format version 1: a newer harness's kind is read, as "other"."""
    end = {"kind": "end", "outcome": "error", "stops": 0,
           "error": {"type": "RuntimeError", "message": "m", "phase": "script"},
           "diagnosis": {"kind": "from-a-newer-harness", "phase": "compiling",
                         "summary": "s", "fix": "f", "stops": []}}
    diagnosis = records.from_json(end).diagnosis
    assert (diagnosis.kind, diagnosis.summary, diagnosis.fix) == ("other", "s", "f")
    end["diagnosis"]["kind"] = "type-mismatch"
    assert records.from_json(end).diagnosis.kind == "type-mismatch"
    assert "other" in records.DIAGNOSIS_KINDS
