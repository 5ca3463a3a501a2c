"""What keeps a recording cheap and a snapshot's size linear in the model, without changing
what it holds: tensor fingerprints, encodings kept for what cannot change, containers written
by what they gained, and values written once then referred to."""
import json

import pytest

from harness import snapshot
from harness.recording.values import default_encoder, type_name


@pytest.fixture
def torch_encoder(torch):
    from harness.recording import torch_values

    enc = torch_values.install(default_encoder())
    enc.naming_open = True
    return enc


def test_a_fingerprint_sees_any_change_up_to_256_kib_and_samples_past_it(torch):
    from harness.recording.contents import FULL_BYTES, digest_of

    small = torch.randn(FULL_BYTES // 4)  # exactly 256 KiB of float32: every byte summed
    for where in (0, 12345, small.numel() - 1):
        changed = small.clone()
        changed[where] += 1
        assert digest_of(changed) != digest_of(small)
    assert digest_of(small.clone()) == digest_of(small)
    big = torch.randn(8 * 1024 * 1024)  # 32 MB, like the seed's fc1.weight
    other = torch.randn(8 * 1024 * 1024)  # another initialisation: told apart
    assert digest_of(big) != digest_of(other)
    first, last = big.clone(), big.clone()
    first[0] += 1
    last[-1] += 1
    assert digest_of(first) != digest_of(big) and digest_of(last) != digest_of(big)
    assert digest_of(big.view(4096, 2048)) == digest_of(big)  # the same bytes
    assert digest_of(big[: FULL_BYTES // 4 + 1]) != digest_of(big[: FULL_BYTES // 4 + 2])


def test_a_fingerprint_of_up_to_256_kib_is_encoding_2s(torch):
    """Encodings 2 and 3 sum tensors up to 256 KiB alike, so `diff` compares their digests
    across the two (this value is what encoding 2 wrote for these bytes)."""
    from harness.recording.contents import digest_of

    assert digest_of(torch.arange(65536, dtype=torch.float32)) == "1036d2ec500dea50"


def test_a_tensor_met_again_is_encoded_once_until_it_changes(torch, torch_encoder):
    weight = torch.nn.Parameter(torch.randn(64, 64))
    first = torch_encoder.encode(weight)
    assert torch_encoder.encode(weight) is first  # the same encoding, not computed again
    with torch.no_grad():
        weight += 1  # in place: its version moves on
    changed = torch_encoder.encode(weight)
    assert changed is not first and changed["digest"] != first["digest"]
    assert {k: v for k, v in changed.items() if k != "digest"} == \
        {k: v for k, v in first.items() if k != "digest"}


def test_a_module_is_encoded_once_it_has_its_path(torch, torch_encoder):
    from harness.recording.torch_values import name_model

    torch_encoder.naming_open = False
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    early = torch_encoder.encode(model[0])  # met while the model is being built: no path yet
    assert early["path"] is None
    name_model(torch_encoder, model)
    assert torch_encoder.encode(model[0])["path"] == "0"
    assert torch_encoder.encode(model[0]) is torch_encoder.encode(model[0])


def test_a_container_is_written_by_what_each_stop_added_per_object(torch_encoder):
    enc = torch_encoder
    a, b = [1], ["x"]
    assert enc.encode_local((0, "known"), a, 0) == {"type": "list", "items": [1]}
    assert enc.encode_local((0, "known"), b, 1) == {"type": "list", "items": ["x"]}
    a.append(2)  # two objects seen by one local, each with its own history
    assert enc.encode_local((0, "known"), a, 2) == {"type": "list", "items": [2],
                                                    "since": {"stop": 0, "count": 1}}
    assert enc.encode_local((0, "known"), b, 3) == {"type": "list", "items": [],
                                                    "since": {"stop": 1, "count": 1}}
    a[0] = 9  # changed in place, not only grown: written whole
    assert enc.encode_local((0, "known"), a, 4) == {"type": "list", "items": [9, 2]}


def test_a_value_that_never_changes_is_written_once_then_referred_to(torch, torch_encoder):
    enc = torch_encoder
    kinds = []
    enc.register_shared(tuple, lambda v: {"type": "tuple", "length": len(v)})
    shared = (1, 2, 3)
    kinds.append(enc.encode_local((0, "t"), shared, 0))
    kinds.append(enc.encode_local((1, "u"), shared, 5))
    assert kinds[0] == {"type": "tuple", "items": [1, 2, 3]}
    assert kinds[1] == {"type": "tuple", "length": 3, "same_as": {"stop": 0, "local": "t"}}
    header = {"kind": "header", "format": "harness-snapshot", "version": 1,
              "scenario": {"name": "s", "hash": "0"}}
    stops = [{"kind": "stop", "index": i, "function": "m.f", "breakpoint": 0, "event": "enter",
              "line": 1, "call": i, "parent": None, "depth": 0, "subject": None,
              "locals": {name: value}} for i, (name, value) in ((0, ("t", kinds[0])),
                                                                 (5, ("u", kinds[1])))]
    snap = snapshot.parse([json.dumps(header)] + [json.dumps(s) for s in stops])
    assert snap.value(snap.by_index(5), "u") == kinds[0]  # the reader puts it back


def test_a_class_s_annotations_read_anew_are_encoded_once(torch, torch_encoder):
    """torch reads a class's annotations into a new dict for every module of the class: the
    same names and annotation objects, encoded once and then taken from the cache."""
    from typing import List, Optional

    annotations = {"weight": torch.Tensor, "bias": Optional[torch.Tensor], "sizes": List[int],
                   "n": int}
    first = torch_encoder.encode(dict(annotations))
    assert torch_encoder.encode(dict(annotations)) is first
    assert first["items"][1] == ["bias", {"type": "annotation", "text": "torch.Tensor | None"}]
    changed = torch_encoder.encode(dict(annotations, n=float))
    assert changed is not first and changed["items"][3][1]["name"] == "builtins.float"
    plain = {"a": [1]}  # a list is not a class: encoded every time, as it may change
    assert torch_encoder.encode(plain) is not torch_encoder.encode(plain)
    grown = {"g": int}
    torch_encoder.encode_local((0, "g"), grown, 0)
    grown["h"] = str  # the grown-by part is the encoder's own dict, never the cached one
    assert torch_encoder.encode_local((0, "g"), grown, 1)["since"] == {"stop": 0, "count": 1}
    assert "since" not in torch_encoder.encode({"g": int})


def test_a_set_of_names_sorts_as_the_json_of_its_items_would():
    import random
    import string

    from harness.recording.values import sort_key, sorted_encodings

    chars = string.printable + "é\x00\x1f"
    rng = random.Random(0)
    for _ in range(5000):
        items = ["".join(rng.choice(chars) for _ in range(rng.randint(0, 4)))
                 for _ in range(rng.randint(0, 6))]
        assert sorted_encodings(items) == sorted(items, key=sort_key), items
    assert sorted_encodings(["b", 2, "a"]) == sorted(["b", 2, "a"], key=sort_key)


def test_a_concrete_type_is_encoded_once_at_any_depth_it_fits(torch, torch_encoder):
    """Met inside `known_types` (one level down) and then as the value returned: one
    encoding, since nothing in it was cut for depth."""
    from harness.recording.values import cut_for_depth

    ct = torch.jit._recursive.get_module_concrete_type(torch.nn.Linear(2, 3), True)
    inside = torch_encoder.encode([ct])["items"][0]
    assert torch_encoder.encode(ct) is inside and inside["jit_type"].endswith("Linear")
    assert not cut_for_depth(inside)
    assert cut_for_depth({"type": "list", "items": [{"type": "x", "truncated": "depth"}]})


def test_a_run_freezes_what_existed_before_it_and_leaves_a_caller_s_own_freeze_alone():
    import gc

    from harness.recording.session import _collector_spared

    if gc.get_freeze_count():
        pytest.skip("this Python starts with objects frozen (3.12.0, 3.12.1): in its own "
                    "process a caller's freeze cannot be told from it")
    with _collector_spared():
        assert gc.get_freeze_count() > 0  # torch's objects are not walked by a collection
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with _collector_spared():
            pass
        assert gc.get_freeze_count() == frozen  # the caller's own freeze is left as it was
    finally:
        gc.unfreeze()


def test_what_can_no_longer_change_is_encoded_once_and_still_cut_where_too_deep(torch,
                                                                               torch_encoder):
    """A scripted module, a named module, a JIT type: their encodings are kept and handed out
    again as they are, but never where the value sits deeper than the depth limit."""
    from harness.recording.torch_values import name_model

    enc = torch_encoder
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    name_model(enc, model)
    scripted = torch.jit.script(torch.nn.Linear(2, 2))
    jit_type = torch._C.TensorType.get()
    for value in (scripted, model[0], jit_type):
        first = enc.encode(value)
        assert enc.encode(value) is first and enc.encode_local((0, "x"), value, 0) is first
        deep = enc.encode(value, enc.limits.depth)
        assert deep == {"type": type_name(type(value)), "truncated": "depth"}
    assert enc.encode(scripted)["qualified_name"].endswith("Linear")


def test_the_recording_process_freezes_past_what_its_python_froze_at_start():
    """Python 3.12.0 and 3.12.1 start with objects in the permanent generation: the recording
    process reads how many before any code of its runs, and those are not a caller's freeze.
    (Made here by freezing, as such a Python starts.)"""
    import gc

    from harness.recording import session

    if gc.get_freeze_count():
        pytest.skip("this Python starts with objects frozen: the case is real here, not made")
    gc.freeze()
    try:
        at_start = gc.get_freeze_count()
        session.interpreter_started_with(at_start)
        made = [[] for _ in range(10)]  # noqa: F841 - objects that exist before the run
        with session._collector_spared():
            assert gc.get_freeze_count() > at_start  # the run's freeze, past the interpreter's
        assert gc.get_freeze_count() == 0
        with session._collector_spared():  # a second run in the process (--keep-going)
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
    finally:
        session.interpreter_started_with(0)
        gc.unfreeze()
