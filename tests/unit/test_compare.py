"""Pairing stops by identity and finding what changed in their values, on small snapshots."""
import json

from harness import snapshot
from harness.compare import diff, normalized_code, value_changes

HEADER = {"kind": "header", "format": "harness-snapshot", "version": 1,
          "scenario": {"name": "t", "hash": "0"},
          "breakpoints": [{"function": "m.f", "at": "return", "capture": ["name", "t"],
                           "key": ["name"]}]}


def stop(i, name, t, subject=""):
    return {"kind": "stop", "index": i, "function": "m.f", "breakpoint": 0, "event": "return",
            "line": 10 + i, "call": i, "parent": None, "depth": 0, "subject": subject,
            "locals": {"name": name, "t": t}}


def snap(stops, path="x"):
    lines = [json.dumps(HEADER)] + [json.dumps(s) for s in stops]
    lines.append(json.dumps({"kind": "end", "outcome": "ok", "stops": len(stops)}))
    return snapshot.parse(lines, path)


def test_stops_pair_by_key_and_module_not_by_position():
    a = snap([stop(0, "w", 1), stop(1, "b", 2), stop(2, "w", 3, subject="fc")])
    b = snap([stop(0, "b", 2), stop(1, "w", 1), stop(2, "w", 4, subject="fc")])
    report = diff(a, b)
    assert report.paired == 3 and report.counts["changed"] == 1
    (change,) = report.functions["m.f"].changed
    assert change.identity == "return fc name=w"
    assert [(v.path, v.a, v.b) for v in change.changes] == [("t", 3, 4)]


def test_unpaired_stops_are_only_on_one_side():
    report = diff(snap([stop(0, "w", 1), stop(1, "x", 1)]), snap([stop(0, "w", 1)]))
    fr = report.functions["m.f"]
    assert [s.identity for s in fr.only_a] == ["return <root> name=x"] and not fr.only_b
    assert not report.equal and report.counts["only_a"] == 1


def test_value_changes_go_down_to_the_nested_field():
    a = {"type": "dict", "items": [["k", {"type": "InferredType", "success": True,
                                          "jit_type": "int"}]]}
    b = {"type": "dict", "items": [["k", {"type": "InferredType", "success": True,
                                          "jit_type": "float"}]]}
    assert [(c.path, c.a, c.b) for c in value_changes(a, b, "x")] == \
        [("x[k].jit_type", "int", "float")]
    sa, sb = {"type": "set", "items": [1, 2]}, {"type": "set", "items": [2, 3]}
    assert [(c.path, c.a, c.b) for c in value_changes(sa, sb)] == \
        [("{-}", 1, "<absent>"), ("{+}", "<absent>", 3)]
    assert value_changes({"type": "list", "items": [1]}, {"type": "tuple", "items": [1]})


def test_reformatting_is_not_a_code_change():
    one = "def f(x):\n    '''doc'''\n    return x + 1  # add\n"
    two = 'def f(x):\n    """Other doc."""\n    return (x +\n            1)\n'
    assert normalized_code(one) == normalized_code(two)
    assert normalized_code("def f(:") is None


def test_snapshots_of_two_value_encodings_are_not_compared_value_by_value():
    from harness.show.render_diff import diff_text

    old = dict(HEADER)  # written before the encoding was recorded: encoding 1
    new = dict(HEADER, encoding=2)
    a = snapshot.parse([json.dumps(old), json.dumps(stop(0, "w", 1))], "old")
    b = snapshot.parse([json.dumps(new), json.dumps(stop(0, "w", 2))], "new")
    report = diff(a, b)
    assert report.encoding == (1, 2) and not report.equal
    assert report.counts["changed"] == 0 and report.paired == 1
    text = diff_text(report)
    assert "values not compared: A was recorded with value encoding 1 and B with 2" in text
    assert text.splitlines()[-1].startswith("not comparable: value encodings 1 and 2")


def tensor(shape, digest, dtype="float32"):
    return {"type": "Parameter", "shape": shape, "dtype": dtype, "device": "cpu",
            "requires_grad": True, "digest": digest}


def test_encodings_2_and_3_compare_all_but_the_digests_of_tensors_over_256_kib():
    """Encoding 3 only sums tensors over 256 KiB differently: a diff across the two still
    compares every value, and the digests of tensors up to 256 KiB."""
    from harness.show.render_diff import diff_text

    small, big = [256, 256], [257, 256]  # 256 KiB of float32, and one row more
    a = snapshot.parse([json.dumps(dict(HEADER, encoding=2)),
                        json.dumps(stop(0, "w", tensor(big, "a" * 16))),
                        json.dumps(stop(1, "b", tensor(small, "c" * 16)))], "old")
    b = snapshot.parse([json.dumps(dict(HEADER, encoding=3)),
                        json.dumps(stop(0, "w", tensor(big, "b" * 16))),
                        json.dumps(stop(1, "b", tensor(small, "c" * 16)))], "new")
    report = diff(a, b)
    assert report.encoding is None and report.digests_up_to == 256 * 1024
    assert report.equal, report.to_data()
    assert "tensor digests compared up to 256 KiB only" in diff_text(report)
    assert "(digests of tensors over 256 KiB left out)" in diff_text(report).splitlines()[-1]
    b = snapshot.parse([json.dumps(dict(HEADER, encoding=3)),
                        json.dumps(stop(0, "w", tensor(big, "b" * 16, dtype="float64"))),
                        json.dumps(stop(1, "b", tensor(small, "d" * 16)))], "new")
    changes = {c.identity: [v.path for v in c.changes]
               for c in diff(a, b).functions["m.f"].changed}
    assert changes == {"return <root> name=w": ["t.dtype"],  # the rest of it still counts
                       "return <root> name=b": ["t.digest"]}  # summed alike: compared


def test_stops_without_a_key_are_told_apart_in_the_report():
    nokey = dict(HEADER, breakpoints=[{"function": "m.f", "at": "return",
                                       "capture": ["name", "t"]}])
    a = snapshot.parse([json.dumps(nokey)] + [json.dumps(stop(i, n, 1))
                                              for i, n in enumerate("xyz")])
    b = snapshot.parse([json.dumps(nokey)] + [json.dumps(stop(i, n, 1 + (n == "y")))
                                              for i, n in enumerate("xyz")])
    (change,) = diff(a, b).functions["m.f"].changed
    assert change.identity == "return <root> name='y'"
    varies = [stop(i, "x", i) for i in range(3)]  # the first local that tells them apart
    a = snapshot.parse([json.dumps(nokey)] + [json.dumps(s) for s in varies])
    b = snapshot.parse([json.dumps(nokey)] + [json.dumps(s) for s in varies[:2]])
    (only,) = diff(a, b).functions["m.f"].only_a
    assert only.identity == "return <root> t=2"
    same = [stop(i, "x", 0) for i in range(3)]  # nothing tells them apart but their place
    a = snapshot.parse([json.dumps(nokey)] + [json.dumps(s) for s in same])
    b = snapshot.parse([json.dumps(nokey)] + [json.dumps(s) for s in same[:2]])
    (only,) = diff(a, b).functions["m.f"].only_a
    assert only.identity == "return <root> (3 of 3)"


def grown_stop(i, items, since=None):
    memo = {"type": "dict", "items": items}
    if since is not None:
        memo["since"] = {"stop": since[0], "count": since[1]}
    return {**stop(i, f"m{i}", 0), "locals": {"name": f"m{i}", "t": memo}}


def test_a_cumulative_change_is_reported_once():
    """B's memo gained one more entry at stop 1: every later stop carries it, but each stop is
    written as what it gained, so only stop 1 differs."""
    k = lambda n: {"type": "id", "of": n}  # noqa: E731
    a = snap([grown_stop(0, []), grown_stop(1, [[k("a"), 1]], (0, 0)),
              grown_stop(2, [[k("b"), 2]], (1, 1)), grown_stop(3, [[k("c"), 3]], (2, 2))])
    b = snap([grown_stop(0, []), grown_stop(1, [[k("a"), 1], [k("x"), 9]], (0, 0)),
              grown_stop(2, [[k("b"), 2]], (1, 2)), grown_stop(3, [[k("c"), 3]], (2, 3))])
    report = diff(a, b)
    assert [c.identity for c in report.functions["m.f"].changed] == ["return <root> name=m1"]
    whole = b.value(b.by_index(3), "t")  # the reader puts a grown value back together
    assert [key["of"] for key, _ in whole["items"]] == ["a", "x", "b", "c"]
    assert "since" not in whole


def test_tensor_contents_can_be_left_out():
    def weights(digest):
        return {"type": "Parameter", "shape": [2], "dtype": "float32", "device": "cpu",
                "requires_grad": True, "digest": digest}

    a = snap([{**stop(0, "w", 0), "locals": {"name": "w", "t": weights("aa")}}])
    b = snap([{**stop(0, "w", 0), "locals": {"name": "w", "t": weights("bb")}}])
    assert diff(a, b).counts["changed"] == 1
    report = diff(a, b, contents=False)
    assert report.equal and not report.contents
    from harness.show.render_diff import summary_line

    assert summary_line(report).endswith("(tensor contents left out)")
    shape = snap([{**stop(0, "w", 0), "locals": {"name": "w",
                                                  "t": dict(weights("aa"), shape=[3])}}])
    assert diff(a, shape, contents=False).counts["changed"] == 1  # the shape still counts


# -- exact about types: the recorded JSON values, not Python's `==` after decoding -------------
NAN = {"type": "float", "value": "nan"}
DIFFERENT_TYPES_OR_VALUES = [(3, 3.0), (True, 1), (False, 0), (1.0, 1.0000001), (-0.0, 0.0),
                             ([1], [1.0]), ({"x": 1}, {"x": True}), (None, 0), ("1", 1)]


def test_values_equal_in_python_but_not_as_recorded_data_are_a_change():
    for x, y in DIFFERENT_TYPES_OR_VALUES:
        report = diff(snap([stop(0, "w", x)]), snap([stop(0, "w", y)]))
        assert not report.equal, (x, y)
        (change,) = report.functions["m.f"].changed
        assert [v.path for v in change.changes] in (["t"], ["t.x"]), (x, y)


def test_a_nan_is_the_same_as_a_nan_and_equal_values_are_equal():
    for x in [NAN, 3, 3.0, True, -0.0, 1.0000001, {"a": [1, 2.5]}]:
        assert diff(snap([stop(0, "w", x)]), snap([stop(0, "w", json.loads(json.dumps(x)))])
                    ).equal, x
    assert not diff(snap([stop(0, "w", NAN)]), snap([stop(0, "w", 0.0)])).equal


def test_key_values_of_another_type_are_other_stops():
    report = diff(snap([stop(0, 1, "t")]), snap([stop(0, True, "t")]))
    assert report.counts["only_a"] == 1 and report.counts["only_b"] == 1


def test_finding_a_stop_by_a_captured_value_is_exact_about_types():
    s = snap([stop(0, "w", 3.0), stop(1, "v", 3)])
    assert [x.index for x in s.find("f", t=3)] == [1]
    assert [x.index for x in s.find("f", t=3.0)] == [0]
    assert s.find("f", t=True) == []
