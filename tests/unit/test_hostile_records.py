"""Hostile snapshots and scenario values, generated (Hypothesis): every reader and every view
of a record (the short form, the run report, replay's commands, the HTML pages, diff) either
shows it or refuses the file with a message, never an exception of its own.

A hostile record is one the harness would never write but a file can hold: every tag with
fields of the wrong type, links (`since`, `same_as`) pointing anywhere, strings with lone
surrogates, control characters and markup, huge numbers, deep nesting. Example counts are
bounded (a quarter of the profile's) so the default suite stays fast;
HYPOTHESIS_PROFILE=thorough runs more."""
import io
import json

from hypothesis import given, settings, strategies as st

from harness import compare, records, snapshot
from harness import scenario as scenario_mod
from harness.errors import HarnessError, ScenarioError
from harness.show import html_diff, html_report, render, run_report, short
from harness.show.render_diff import diff_lines
from harness.show.replay import ReplayShell, print_snapshot

BOUNDED = settings(max_examples=max(25, settings().max_examples // 4), deadline=None)

ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=())
HOSTILE_TEXT = st.text(ANY_CHAR, max_size=30) | st.sampled_from([
    "\ud800", "\x1b[31mred\x1b[0m", "</script><script>alert(1)</script>", "a\u2028b\u2029c\x85",
    "${alert(1)}", "javascript:alert(1)", "\x00", "🜁" * 20, "", "*", "__proto__", "constructor",
    "memo", "layer1.0", "id(layer1)", "x" * 500])
TAGS = [v for k, v in vars(records.Tag).items() if k.isupper() and isinstance(v, str)]
FIELDS = ["type", "value", "name", "path", "class", "py_class", "of", "items", "since",
          "same_as", "stop", "local", "truncated", "jit_type", "success", "reason",
          "attributes", "failed_attributes", "constants", "ignored_attributes", "shape",
          "dtype", "device", "digest", "repr", "message", "recorded", "text", "length"]
NUMBERS = (st.integers(-2 ** 70, 2 ** 70) | st.just(10 ** 4000) | st.just(-1)
           | st.floats(allow_nan=False, allow_infinity=False))
SCALARS = st.none() | st.booleans() | NUMBERS | HOSTILE_TEXT
LINK = st.fixed_dictionaries({"stop": st.integers(-3, 12) | HOSTILE_TEXT,
                              "local": st.sampled_from(["memo", "v", "w"]) | SCALARS})


def _tagged(inner):
    return st.fixed_dictionaries(
        {"type": st.sampled_from(TAGS) | HOSTILE_TEXT},
        optional={**{f: inner for f in FIELDS if f != "type"},
                  "since": LINK | inner, "same_as": LINK | inner,
                  "items": st.lists(st.tuples(inner, inner).map(list) | inner, max_size=4)})


VALUES = st.recursive(SCALARS, lambda inner: (_tagged(inner) | st.lists(inner, max_size=4)
                                              | st.dictionaries(HOSTILE_TEXT, inner,
                                                                max_size=4)),
                      max_leaves=20)
NAMES = st.sampled_from(["memo", "v", "w", "name", "attr_type"]) | HOSTILE_TEXT


def stop_record(i, function, subject, locals_, absent):
    return {"kind": "stop", "index": i, "function": function, "breakpoint": 0,
            "event": ["enter", "return", "line"][i % 3], "line": i + 1, "call": i,
            "parent": i - 1 if i else None, "depth": i, "subject": subject, "locals": locals_,
            "absent": absent}


STOPS = st.lists(st.tuples(st.sampled_from(["torch.jit.f", "m.<locals>.g"]) | HOSTILE_TEXT,
                           st.none() | HOSTILE_TEXT,
                           st.dictionaries(NAMES, VALUES, max_size=4),
                           st.none() | st.lists(NAMES, max_size=2)),
                 min_size=0, max_size=6)
ENDS = st.none() | st.fixed_dictionaries(
    {"kind": st.just("end"), "outcome": st.sampled_from(records.OUTCOMES),
     "stops": st.integers(0, 10)},
    optional={"error": st.fixed_dictionaries({"type": HOSTILE_TEXT, "message": HOSTILE_TEXT,
                                              "phase": HOSTILE_TEXT}),
              "stopped_by": HOSTILE_TEXT,
              "scripted": st.dictionaries(HOSTILE_TEXT, VALUES, max_size=2),
              "diagnosis": st.fixed_dictionaries(
                  {"kind": HOSTILE_TEXT, "phase": HOSTILE_TEXT, "summary": HOSTILE_TEXT},
                  optional={"module": HOSTILE_TEXT, "stops": st.lists(st.integers(-2, 20),
                                                                      max_size=3),
                            "fix": HOSTILE_TEXT, "where": HOSTILE_TEXT}),
              "warnings": st.lists(st.fixed_dictionaries({"category": HOSTILE_TEXT,
                                                          "message": HOSTILE_TEXT}),
                                   max_size=2)})
SOURCES = st.dictionaries(st.sampled_from(["torch.jit.f", "m.<locals>.g"]) | HOSTILE_TEXT,
                          st.none() | HOSTILE_TEXT | st.just("def f(:\n  pass\n" * 3),
                          max_size=3)


def write_snapshot(path, name, stops, end, sources):
    lines = [{"kind": "header", "format": records.FORMAT, "version": records.FORMAT_VERSION,
              "scenario": {"name": name, "hash": "0"}, "torch": "x", "python": "3",
              "backend": "settrace", "encoding": records.ENCODING_VERSION}]
    lines += [{"kind": "source", "function": fn, "text": text, "sha256": "0"}
              for fn, text in sources.items()]
    lines += [stop_record(i, *stop) for i, stop in enumerate(stops)]
    if end is not None:
        lines.append(end)
    # ensure_ascii: lone surrogates travel as \u escapes, as the writer writes them
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="ascii")
    return str(path)


def show_everything(snap, other):
    style = render.Style(True)
    for stop in snap.stops:
        render.stop_line(stop, style)
        render.stop_detail(stop, style)
        for name, value in stop.locals.items():
            short.short(value)
            short.short_local(name, value, 40)
            snap.value(stop, name)
    run_report.report(list(snap.stops), snap.end, snap.path, style, mode="all",
                      header=snap.header)
    run_report.report(list(snap.stops), snap.end, snap.path, style, quiet=True)
    html_report.walk_page(snap).encode("utf-8", "backslashreplace")
    out = io.StringIO()
    print_snapshot(snap, style, out)
    shell = ReplayShell(snap, style, stdin=io.StringIO(""), stdout=out)
    names = [n for s in list(snap.stops)[:2] for n in s.locals] + ["memo", "nothing"]
    for command in ["locals", "w", "l", "n", "back", "stops", "goto 0", "goto 99", "func x"] \
            + [f"p {n}" for n in names] + [f"pp {n}" for n in names] \
            + [f"p {n}[0]" for n in names] + [f"p {n}.x" for n in names]:
        shell.onecmd(command)
    out.getvalue().encode("utf-8", "backslashreplace")
    for a, b in ((snap, other), (other, snap), (snap, snap)):
        report = compare.diff(a, b)
        diff_lines(report, style)
        json.dumps(report.to_data(), ensure_ascii=False)
        html_diff.diff_page(report, a, b)


@BOUNDED
@given(name=HOSTILE_TEXT, stops=STOPS, end=ENDS, sources=SOURCES,
       other_stops=STOPS, other_sources=SOURCES)
def test_hostile_records_show_in_every_view_or_are_refused(tmp_path_factory, name, stops, end,
                                                          sources, other_stops, other_sources):
    folder = tmp_path_factory.mktemp("h")
    try:
        snap = snapshot.read(write_snapshot(folder / "a.jsonl", name, stops, end, sources))
        other = snapshot.read(write_snapshot(folder / "b.jsonl", "n", other_stops, None,
                                             other_sources))
    except HarnessError:
        return
    show_everything(snap, other)


# -- scenario values --------------------------------------------------------------------------
HUGE = st.sampled_from([1, -1]).map(lambda sign: sign * 10 ** 5000)  # past str()'s 4300 digits
HOSTILE_SCALARS = (SCALARS | HUGE | st.just(2 ** 64)
                   | st.just(" and ".join(["x"] * 3000)) | st.just("+".join(["x"] * 3000))
                   | st.just("(" * 500 + ")" * 500) | st.just("x\x00"))
HOSTILE_DATA = st.recursive(HOSTILE_SCALARS, lambda inner: st.lists(inner, max_size=3)
                            | st.dictionaries(HOSTILE_TEXT, inner, max_size=3), max_leaves=8)


@BOUNDED
@given(seed=HOSTILE_DATA, args=HOSTILE_DATA, kwargs=HOSTILE_DATA, when=HOSTILE_DATA,
       capture=HOSTILE_DATA, key=HOSTILE_DATA, at=HOSTILE_DATA, name=HOSTILE_DATA)
def test_hostile_scenario_values_load_or_get_a_scenario_error(tmp_path_factory, seed, args,
                                                             kwargs, when, capture, key, at,
                                                             name):
    data = {"version": 1, "name": name,
            "model": {"factory": "m.py:M", "seed": seed, "args": args, "kwargs": kwargs},
            "breakpoints": [{"function": "torch.jit._recursive.infer_concrete_type_builder",
                             "when": when, "capture": capture, "key": key, "at": at}]}
    try:
        scenario = scenario_mod.from_data(data, base_dir=str(tmp_path_factory.getbasetemp()))
    except ScenarioError as exc:
        str(exc).encode("utf-8", "backslashreplace")
        return
    json.dumps(scenario.to_data())  # what travels to the recording process


@BOUNDED
@given(text=st.text(ANY_CHAR, max_size=60) | st.sampled_from([
    "[" + "1," * 10 + "]", "a: &a [1,2]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
    "[" + "9" * 5000 + "]", "[" * 5000, "!!python/object:os.system [ls]"]))
def test_args_text_parses_or_gets_a_scenario_error(text):
    try:
        scenario_mod.parse_yaml(text, "--args")
    except ScenarioError:
        pass
