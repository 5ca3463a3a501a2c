"""run --keep-going's parent side, in this process: the round names, the check of each failure,
and the check written into a snapshot (no torch needed)."""
import json

from harness import snapshot
from harness.parent import keep_going
from harness.records import Diagnosis, End


def test_round_names_come_from_the_first_rounds_path():
    first = "snapshots/s/003-torch-2.13.0+cpu.jsonl"
    assert keep_going.round_output(first, 1) == first
    assert keep_going.round_output(first, 2) == "snapshots/s/003-torch-2.13.0+cpu-round-2.jsonl"
    assert keep_going.round_output("out.jsonl", 3) == "out-round-3.jsonl"


def diagnosis(**fields):
    return Diagnosis(kind=fields.pop("kind", "method-compile"), phase="", summary="",
                     **fields)


class Recorded:
    signals = []


def failed_round(number, change_text="", **fields):
    end = End(kind="end", outcome="error", stops=0, diagnosis=diagnosis(**fields))
    return keep_going.Round(number=number, recording=Recorded(), path=None, end=end,
                            change={"kind": "unused-method"} if change_text else None,
                            change_text=change_text)


def test_the_check_says_whether_the_next_round_got_past_the_failure():
    first = failed_round(1, "X marked", module="a", function="Helper.describe",
                         method="summary")
    elsewhere = failed_round(2, module="a", function="Helper.other", method="summary")
    assert keep_going.check_line(first, elsewhere) == \
        "checked: with X marked, scripting gets past this"
    again = failed_round(2, kind="unsupported-syntax", module="a",
                         function="Helper.describe", method="summary")
    assert keep_going.check_line(first, again) == \
        "checked: with X marked, scripting still fails here"
    scripted = keep_going.Round(number=2, recording=Recorded(), path=None,
                                end=End(kind="end", outcome="ok", stops=0))
    assert keep_going.check_line(first, scripted).endswith("gets past this")
    # two bad hooks on one module: torch's reason names each one's line
    hook1 = failed_round(1, "hook removed", kind="hook", module="h", hook="a lambda",
                         reason="Expected a single top-level function: m.py:5")
    hook2 = failed_round(2, kind="hook", module="h", hook="a lambda",
                         reason="Expected a single top-level function: m.py:6")
    assert keep_going.check_line(hook1, hook2).endswith("gets past this")


def test_the_check_is_written_into_the_end_line_and_nothing_else_changes(tmp_path):
    lines = [{"kind": "header", "format": "harness-snapshot", "version": 1,
              "scenario": {"name": "s", "hash": "h"}},
             {"kind": "end", "outcome": "error", "stops": 0,
              "error": {"type": "RuntimeError", "message": "m"},
              "diagnosis": {"kind": "hook", "phase": "p", "summary": "s ✗"}}]
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
                    encoding="utf-8")
    header = path.read_bytes().splitlines()[0]
    keep_going.write_checked(str(path), "checked: with X, scripting gets past this")
    assert path.read_bytes().splitlines()[0] == header
    snap = snapshot.read(str(path))
    assert snap.diagnosis.checked == "checked: with X, scripting gets past this"
    assert snap.diagnosis.summary == "s ✗"
    assert [p.name for p in tmp_path.iterdir()] == ["s.jsonl"]  # no temporary file left
