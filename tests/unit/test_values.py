"""The value encoding, on plain Python values (no torch needed)."""
import math

from harness.recording.values import Limits, default_encoder
from harness.text import strip_addresses


def test_scalars_stay_and_odd_floats_are_tagged():
    enc = default_encoder()
    assert [enc.encode(v) for v in (None, True, 3, 2.5, "s")] == [None, True, 3, 2.5, "s"]
    assert enc.encode(math.inf) == {"type": "float", "value": "inf"}
    assert enc.encode(float("nan")) == {"type": "float", "value": "nan"}


def test_sets_are_sorted_and_containers_tagged():
    enc = default_encoder()
    assert enc.encode({"b", "a", "c"}) == {"type": "set", "items": ["a", "b", "c"]}
    assert enc.encode((1, [2])) == {"type": "tuple", "items": [1, {"type": "list", "items": [2]}]}
    assert enc.encode({"k": 1}) == {"type": "dict", "items": [["k", 1]]}


def test_id_keyed_dicts_name_their_keys():
    enc = default_encoder()
    owner = object()
    enc.name_object(owner, "layer2.0")
    memo = {id(owner): "prepared"}
    assert enc.encode(memo) == {"type": "dict",
                                "items": [[{"type": "id", "of": "layer2.0"}, "prepared"]]}


def test_unknown_objects_get_a_type_and_a_repr_without_addresses():
    class Thing:
        pass

    out = default_encoder().encode(Thing())
    assert out["type"].endswith("Thing")
    assert "0x…" in out["repr"] and "0x7" not in out["repr"]
    assert strip_addresses("<x at 0x7f3a2b1c>") == "<x at 0x…>"


def test_limits_mark_what_they_cut():
    enc = default_encoder(Limits(depth=2, items=3, string=5, repr=10))
    assert enc.encode(list(range(10))) == {"type": "list", "items": [0, 1, 2], "truncated": 10}
    assert enc.encode("abcdefgh") == {"type": "str", "value": "abcde", "truncated": 8}
    deep = enc.encode([[[1]]])
    assert deep["items"][0]["items"][0] == {"type": "list", "truncated": "depth"}
    big = enc.encode(set(range(10)))
    assert big["truncated"] == 10 and len(big["items"]) == 3


def test_functions_and_classes_by_qualified_name():
    enc = default_encoder()
    assert enc.encode(strip_addresses) == {"type": "function",
                                           "name": "harness.text.strip_addresses"}
    assert enc.encode(int) == {"type": "class", "name": "builtins.int"}


def test_an_encoder_that_fails_says_so_instead_of_breaking_the_run():
    enc = default_encoder()

    class Broken:
        pass

    enc.register(Broken, lambda v, e, d: 1 / 0)
    assert enc.encode(Broken())["error"].startswith("ZeroDivisionError")
