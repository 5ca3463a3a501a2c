"""Short forms of values and stop lines: one short form per value tag, every one safe for a
terminal, and a value of an unexpected shape shown rather than crashing."""
import pytest

from harness.records import Stop, Tag
from harness.show.render import Style, stop_line
from harness.show.short import SHORT_FORMS, flag, short, short_local

CASES = [
    ({"type": "local", "name": "attr_type"}, "<attr_type>"),
    ({"type": "id", "of": "layer1"}, "id(layer1)"),
    ({"type": "id", "of": ""}, "id(<root>)"),
    ({"type": "float", "value": "nan"}, "nan"),
    ({"type": "str", "value": "abc", "truncated": 9000}, "'abc'…"),
    ({"type": "list", "items": [1, "a"]}, "[1, 'a']"),
    ({"type": "tuple", "items": [1]}, "(1)"),
    ({"type": "set", "items": [1, 2], "truncated": 60}, "{1, 2, …60 in all}"),
    ({"type": "dict", "items": [["k", 1]]}, "{'k': 1}"),
    ({"type": "function", "name": "m.f"}, "m.f"),
    ({"type": "annotation", "text": "list[int]"}, "list[int]"),
    ({"type": "Parameter", "shape": [3, 4], "dtype": "float32"}, "Parameter[3×4 float32]"),
    ({"type": "Tensor", "shape": [], "dtype": "int64"}, "Tensor[scalar int64]"),
    ({"type": "nn.Module", "class": "torch.nn.Linear", "path": ""}, "<<root>: Linear>"),
    ({"type": "InferredType", "success": True, "jit_type": "Tensor"}, "✓ Tensor"),
    ({"type": "InferredType", "success": False, "reason": "no"}, "✗ no"),
    ({"type": "ConcreteModuleTypeBuilder", "py_class": "m.Net",
      "attributes": {"w": {}}, "failed_attributes": {"f": "x"}},
     "builder(Net; failed: f; attrs: w)"),
    ({"type": "dtype", "name": "torch.float32"}, "torch.float32"),
    ({"type": "Size", "items": [2, 3]}, "Size([2, 3])"),
    ({"type": "some.Thing", "repr": "<Thing>"}, "<Thing>"),
    ({"type": "ValueError", "message": "bad\n  value"}, "ValueError: bad value"),
]


@pytest.mark.parametrize("value, text", CASES)
def test_short_forms(value, text):
    assert short(value) == text


def test_every_tag_has_a_short_form():
    tags = {v for k, v in vars(Tag).items() if k.isupper() and isinstance(v, str)}
    assert tags - set(SHORT_FORMS) == set()


def test_a_value_of_an_unexpected_shape_is_shown_not_a_crash():
    assert short({"type": "Tensor", "shape": "not a list"}) == "Tensor"
    assert short({"type": "dict", "items": [1, 2]}) == "dict"
    assert short({"type": "InferredType"}) == "InferredType"


def test_control_characters_are_escaped_and_width_is_kept():
    assert short("\x1b[31mred\x07") == repr("\x1b[31mred\x07")
    assert "\x1b" not in short({"type": "x", "repr": "\x1b]0;title\x07"})
    assert len(short(list(range(1000)), width=30)) <= 30
    stop = Stop.from_json({"kind": "stop", "index": 3, "function": "m.\x1b[2Jf",
                           "breakpoint": 0, "event": "enter", "line": 1, "call": 0,
                           "parent": None, "depth": 0, "subject": "a\x1bb",
                           "locals": {"n\x1bame": "v"}})
    line = stop_line(stop, Style(False))
    assert "\x1b" not in line and "\\x1b" in line


def stop(**captured):
    return Stop.from_json({"kind": "stop", "index": 7, "function": "m.infer_type",
                           "breakpoint": 0, "event": "return", "line": 1, "call": 0,
                           "parent": None, "depth": 0, "subject": "fc", "locals": captured})


def test_flags_tell_real_failures_from_submodules():
    submodule = {"type": "InferredType", "success": False,
                 "reason": "Cannot infer concrete type of torch.nn.Module"}
    failed = {"type": "InferredType", "success": False, "reason": "mixed list"}
    typed = {"type": "InferredType", "success": True, "jit_type": "int"}
    assert flag(stop(attr_type=submodule)) == "↳"
    assert short_local("attr_type", submodule) == "↳ submodule"
    assert flag(stop(attr_type=failed)) == "✗"
    assert flag(stop(attr_type=typed)) == "✓"
    assert flag(stop(x=1)) == "·"
    assert flag(stop(x=1, **{"raise": {"type": "ValueError", "message": "m"}})) == "✗"
    builder = {"type": "ConcreteModuleTypeBuilder", "failed_attributes": {"fn": "hint"}}
    assert flag(stop(b=builder)) == "✗"
    line = stop_line(stop(attr_type=failed), Style(False))
    assert line.startswith("#7    ✗ infer_type return fc  attr_type=✗ mixed list")
    assert stop_line(stop(x=1), Style(False), module=False) == "#7    · infer_type return  x=1"


def test_a_grown_container_shows_what_the_stop_added():
    memo = {"type": "dict", "items": [[{"type": "id", "of": "fc"}, 1]],
            "since": {"stop": 3, "count": 4}}
    assert short_local("memo", memo) == "+{id(fc): 1} (5 in all)"
