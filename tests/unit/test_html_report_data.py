"""The data the walk page shows (html_report.walk_data), built from a golden snapshot and from
hand-made stops, with no torch: the diagnosis's module label, the model tree, the attributes as
typed, failed and ignored, and the embedding that no value can break out of."""
import json
import os

from helpers import ROOT

from harness import snapshot
from harness.records import Stop, Tag
from harness.show import html_report

FAILING = os.path.join(ROOT, "scenarios", "__snapshots__", "failing-attribute", "torch-2.13.jsonl")


def test_a_failed_runs_data_carries_its_diagnosis_and_model_tree():
    data = html_report.walk_data(snapshot.read(FAILING))
    assert data["outcome"]["kind"] == "error"
    assert data["outcome"]["error"].startswith("RuntimeError: ")
    assert data["diagnosis"]["kind"] == "attribute-type"
    assert data["diagnosis"]["module_label"] == "<root> (failing_model.MixedScales)"
    tree = {m["path"]: m for m in data["modules"]}
    assert tree[""]["children"] == ["fc"] and tree["fc"]["parent"] == ""
    assert tree[""]["cls"] == "MixedScales" and tree["fc"]["cls"] == "Linear"
    scales = tree[""]["attributes"]["scales"]
    assert scales["ok"] is False and "consistent element type" in scales["reason"]
    assert tree[""]["attributes"]["fc"] == {"ok": "submodule"}
    assert "scales" in tree[""]["failed_attributes"]
    assert tree[""]["failed"] >= 1
    # every stop points at a function the page lists, by index
    assert all(0 <= s["f"] < len(data["functions"]) for s in data["stops"])
    assert data["functions"][0]["label"] == "infer_type"


def _stop(index, subject, locals_):
    return Stop(kind="stop", index=index, function="f", breakpoint=0, event="return", line=1,
                call=index, parent=None, depth=0, subject=subject, locals=locals_)


def test_a_builder_adds_attributes_constants_and_ignored_names_and_tolerates_junk():
    builder = {"type": Tag.BUILDER, "attributes": {"w": {"jit_type": "Tensor"}, "bad": 3},
               "failed_attributes": {"x": "hint", "y": {"odd": 1}},
               "constants": {"k": 3}, "ignored_attributes": ["debug", "debug", 7]}
    tree = html_report.modules([_stop(0, "a.b", {"b": builder}),
                                _stop(1, "a.b", {"b": {"type": Tag.BUILDER,
                                                       "attributes": "not a mapping"}})])
    (entry,) = tree
    assert entry["attributes"] == {"w": {"ok": True, "type": "Tensor"}}
    assert entry["failed_attributes"] == {"x": "hint", "y": '{"odd": 1}'}
    assert entry["constants"] == {"k": "3"}
    assert entry["ignored"] == ["debug"]
    assert entry["stops"] == [0, 1] and entry["parent"] is None  # "a" was never seen


def test_embedded_data_cannot_close_its_script_element():
    text = html_report.embed({"v": "</script><b>&"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"v": "</script><b>&"}
