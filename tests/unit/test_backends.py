"""Both tracing backends on pure-Python samples: same stops, tracing state put back, a trace
function already in place chained rather than replaced."""
import json
import os
import subprocess
import sys

import pytest

from helpers import SAMPLES, other_pythons_below_312, python_312_plus

sys.path.insert(0, SAMPLES)
import drive_backend  # noqa: E402
from harness.recording import backends  # noqa: E402
import sample_targets  # noqa: E402

DRIVER = os.path.join(SAMPLES, "drive_backend.py")


@pytest.fixture(scope="module")
def settrace_run():
    return drive_backend.drive("settrace")


@pytest.fixture(scope="module")
def monitoring_run():
    python = python_312_plus()
    if python is None:
        pytest.skip("no Python 3.12+ found on this machine (looked for python3.12/3.13/3.14 "
                    "on PATH, /usr/bin and ~/.pyenv/versions): sys.monitoring needs one")
    proc = subprocess.run([python, DRIVER, "monitoring"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def by_function(run):
    out = {}
    for stop in run["stops"]:
        out.setdefault(stop["function"].rsplit(".", 1)[-1], []).append(stop)
    return out


def line_of(function, text):
    """The line of `function` in sample_targets.py that holds `text`."""
    import inspect

    lines, first = inspect.getsourcelines(getattr(sample_targets, function))
    return first + next(i for i, line in enumerate(lines) if text in line)


def check_sample_stops(run):
    assert run["result"] == [9, 3, "recovered"]  # tracing did not change what the code did
    stops = by_function(run)
    assert [s["locals"]["x"] for s in stops["outer"] if s["event"] == "enter"] == [3]
    inner = stops["inner"]
    assert [(s["locals"]["y"], s["locals"]["doubled"], s["locals"]["return"]) for s in inner] \
        == [(0, 0, 1), (1, 2, 3), (2, 4, 5)]
    # the closure's parent is the `outer` call it runs in
    outer_call = [s for s in stops["outer"] if s["event"] == "enter"][0]["call"]
    assert {s["parent"] for s in inner} == {outer_call}
    # a line breakpoint, with `when` i != 1: the line before each loop body, i = 0 and 2
    lines = [s for s in stops["outer"] if s["event"] == "line"]
    assert [s["locals"]["i"] for s in lines] == [0, 2]
    assert [s["locals"]["total"] for s in lines] == [0, 4]
    # a method; a local absent at the stop is recorded as absent, not a crash
    grow = stops["grow"][0]
    assert grow["locals"] == {"by": 2, "return": 3} and grow["absent"] == ["missing"]
    # a function left by an exception stops at `return` with what it raised
    fails = stops["fails"]
    assert len(fails) == 7
    assert fails[0]["locals"]["raise"] == {"type": "ValueError", "message": "bad n=1"}
    assert fails[1]["locals"]["marker"] == "about to fail"
    assert "return" not in fails[0]["locals"]
    # an exception caught inside a watched function is not its exit
    assert stops["catches"][0]["locals"] == {"return": "recovered"}
    # a return written over several lines stops on the line of its `return`
    spread = stops["spread"][0]
    assert spread["locals"] == {"n": 2, "return": 4}
    assert spread["line"] == sample_targets.spread.__code__.co_firstlineno + 2
    assert run["sources"] == sorted({s["function"] for s in run["stops"]})
    # an exception leaving through try statements: from the last clause it passed, or the
    # finally body's end; from a `raise err` of it, that line
    for name, leaves_from in [("passes_through", "except KeyError as err:"),
                              ("passes_two", "except TypeError:  # ..."),
                              ("cleans_up", "done = True"),
                              ("nested_tries", "except TypeError:  # the outer"),
                              ("raises_again", "raise err")]:
        (stop,) = stops[name]
        assert stop["locals"]["raise"]["type"] == "ValueError"
        assert stop["line"] == line_of(name, leaves_from), name


def test_settrace_backend_records_the_sample_stops(settrace_run):
    check_sample_stops(settrace_run)


def test_settrace_backend_restores_the_previous_trace_function(settrace_run):
    assert settrace_run["restored"] is True


def test_a_usual_run_s_plain_stops_are_the_records_to_json_key_for_key(settrace_run):
    """A usual run (no observer, no live printer) hands its stops on as plain dicts, not
    `Stop` records: they are what `Stop.to_json()` gives, keys in the same order."""
    plain = drive_backend.drive("settrace", plain_stops=True)
    assert [json.dumps(s) for s in plain["stops"]] == \
        [json.dumps(s) for s in settrace_run["stops"]]
    assert any("absent" in s for s in plain["stops"])  # the optional field, both ways


def test_a_local_absent_at_the_first_stops_and_present_later_is_not_never_present():
    from harness.recording.engine import Engine, WatchedBreakpoint
    from harness.recording.targets import resolve
    from harness.recording.values import default_encoder
    from harness.scenario import At, Breakpoint

    specs = [Breakpoint("sample_targets.sometimes", At("return"), ("late",)),
             Breakpoint("sample_targets.sometimes", At("return"), ("late", "never"))]
    engine = Engine([WatchedBreakpoint(i, spec, resolve(spec.function))
                     for i, spec in enumerate(specs)], default_encoder(),
                    lambda record: None, plain_stops=True)
    backend = backends.create("settrace", engine)
    backend.start()
    try:
        for flag in (False, True, True, False):
            sample_targets.sometimes(flag)
    finally:
        backend.stop()
    assert engine.summary()["never_present"] == {"sample_targets.sometimes": ["never"]}
    assert [hits for _, hits in engine.breakpoint_hits()] == [4, 4]


def test_what_was_raised_counts_as_present_though_a_stop_before_had_every_name():
    """A breakpoint whose stops all had every name still counts a stop whose extra differs
    (`raise` where the earlier had `return`): a scenario may capture `raise` by name."""
    from harness.recording.engine import Engine, WatchedBreakpoint
    from harness.recording.targets import resolve
    from harness.recording.values import default_encoder
    from harness.scenario import At, Breakpoint

    specs = [Breakpoint("sample_targets.checked", At("return"), ("n",)),
             Breakpoint("sample_targets.checked", At("return"), ("raise",), when="n > 100")]
    engine = Engine([WatchedBreakpoint(i, spec, resolve(spec.function), None,
                                       compile(spec.when, "<when>", "eval") if spec.when
                                       else None)
                     for i, spec in enumerate(specs)], default_encoder(), lambda record: None,
                    plain_stops=True)
    backend = backends.create("settrace", engine)
    backend.start()
    try:
        sample_targets.checked(1)
        with pytest.raises(ValueError):
            sample_targets.checked(-1)  # present here, for the first breakpoint's stop
        sample_targets.checked(200)  # absent here
    finally:
        backend.stop()
    assert engine.summary()["never_present"] == {}


def test_generators_stop_at_each_resumption_and_yield_alike_in_both_backends():
    """A generator's call ends at each yield (a return stop with the value yielded) and a new
    one starts at each resumption: settrace sees it so on every Python, sys.monitoring is
    made to (PY_RESUME, PY_YIELD, PY_THROW); an exception thrown in at a yield and leaving
    (`close()`) is a raise, a `yield` that follows one caught is a yield."""
    import drive_generators

    run = drive_generators.drive("settrace")
    assert run["result"] == [1, 2, 1, 2, 1]
    gen = [(s["event"], s["locals"]) for s in run["stops"] if s["function"].endswith(".gen")]
    assert gen[:6] == [("enter", {"n": 2}), ("return", {"n": 2, "i": 0, "return": 1}),
                       ("enter", {"n": 2}), ("return", {"n": 2, "i": 1, "return": 2}),
                       ("enter", {"n": 2}), ("return", {"n": 2, "i": 1, "return": "done"})]
    calls = [s["call"] for s in run["stops"] if s["function"].endswith(".gen")][:6]
    assert calls[0] == calls[1] != calls[2] == calls[3]  # a new call at each resumption
    closed = [s["locals"] for s in run["stops"] if s["function"].endswith(".closed")]
    # (3.13 closes a generator suspended outside any try without running its frame again)
    assert closed[0] == {"return": 1} and closed[1:] in (
        [], [{"raise": {"type": "GeneratorExit", "message": ""}}])
    python = python_312_plus()
    if python is None:
        pytest.skip("no Python 3.12+ here for sys.monitoring")
    runs = {}
    for backend in ("settrace", "monitoring"):
        proc = subprocess.run([python, os.path.join(SAMPLES, "drive_generators.py"), backend],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        runs[backend] = json.loads(proc.stdout)
    assert runs["monitoring"]["backend"] == "monitoring"
    assert runs["monitoring"]["result"] == run["result"]
    assert runs["monitoring"]["stops"] == runs["settrace"]["stops"]


def test_settrace_chains_to_a_trace_function_already_set():
    """Like coverage or an IDE debugger: it keeps seeing every call and line while the harness
    records, including inside the watched functions, and is put back afterwards."""
    seen = []

    def coverage_like(frame, event, arg):
        if frame.f_code.co_filename == sample_targets.__file__:
            seen.append((frame.f_code.co_name, event, frame.f_lineno))
            return coverage_like
        return None

    run = drive_backend.drive("settrace", previous_tracer=coverage_like)
    check_sample_stops(run)
    assert run["restored"] is True
    names = {name for name, _, _ in seen}
    assert {"driver", "outer", "inner", "grow", "fails", "catches"} <= names
    # the watched `outer` kept its line events for the other tracer too
    outer_lines = {line for name, event, line in seen if name == "outer" and event == "line"}
    assert len(outer_lines) >= 4


def test_monitoring_backend_records_the_sample_stops(monitoring_run):
    assert monitoring_run["backend"] == "monitoring"
    check_sample_stops(monitoring_run)


def test_monitoring_backend_gives_its_tool_id_back_and_leaves_settrace_alone(monitoring_run):
    assert monitoring_run["tools_free"] is True
    assert monitoring_run["restored"] is True


def test_both_backends_give_identical_stop_records(settrace_run, monitoring_run):
    assert monitoring_run["stops"] == settrace_run["stops"]


def test_settrace_backend_restores_the_trace_function_when_the_run_fails():
    from harness.recording import backends
    from harness.recording.engine import Engine

    def previous(frame, event, arg):
        return None

    outer = sys.gettrace()
    sys.settrace(previous)
    try:
        backend = backends.create("settrace", Engine([], None, lambda r: None))
        backend.start()
        try:
            raise RuntimeError("the scripted code failed")
        except RuntimeError:
            pass
        finally:
            backend.stop()
        assert sys.gettrace() is previous
    finally:
        sys.settrace(outer)


def test_choosing_monitoring_below_312_is_a_clear_error():
    from harness.recording import backends

    if sys.version_info >= (3, 12):
        assert backends.choose("monitoring") == "monitoring"
    else:
        with pytest.raises(ValueError, match="needs Python 3.12"):
            backends.choose("monitoring")
    assert backends.choose("auto") == ("monitoring" if sys.version_info >= (3, 12)
                                       else "instrument")
    with pytest.raises(ValueError, match="choose one of auto, monitoring, instrument, settrace"):
        backends.choose("dtrace")


# -- the instrument backend ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def instrument_run():
    return drive_backend.drive("instrument", specs=drive_backend.NO_LINES)


def test_instrument_backend_records_what_settrace_records(instrument_run):
    settrace = drive_backend.drive("settrace", specs=drive_backend.NO_LINES)
    assert instrument_run["backend"] == "instrument"
    assert instrument_run["result"] == [9, 3, "recovered"]
    assert instrument_run["stops"] == settrace["stops"]
    assert instrument_run["sources"] == settrace["sources"]


def test_instrument_backend_puts_every_function_back_and_leaves_tracing_alone(instrument_run):
    assert instrument_run["codes_restored"] is True
    assert instrument_run["restored"] is True  # the trace function set before: still there


@pytest.mark.parametrize("python", other_pythons_below_312())
def test_instrument_backend_agrees_with_settrace_on_other_pythons(python):
    """Line numbers at a return come from each Python's compiler: checked on every Python
    below 3.12 this machine has (the test's own is checked above)."""
    runs = {}
    for backend in ("settrace", "instrument"):
        proc = subprocess.run([python, DRIVER, backend, "no-lines"], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        runs[backend] = json.loads(proc.stdout)
    assert runs["instrument"]["backend"] == "instrument"
    assert runs["instrument"]["stops"] == runs["settrace"]["stops"]
    assert runs["instrument"]["codes_restored"] is True


def test_instrumented_code_keeps_source_lines_and_tracebacks():
    """What torch and a user read from a function: its source (from the file, by its first
    line), its signature, and the lines and columns of a traceback through it."""
    import inspect
    import traceback

    from harness.recording import backends
    from harness.recording.engine import Engine, WatchedBreakpoint
    from harness.recording.targets import resolve
    from harness.recording.values import default_encoder
    from harness.scenario import At, Breakpoint

    def failure_frames():
        try:
            sample_targets.fails(3)
        except ValueError as exc:
            return [(f.name, f.lineno, f.line, getattr(f, "colno", None))
                    for f in traceback.extract_tb(exc.__traceback__)]

    before = (inspect.getsource(sample_targets.fails), inspect.signature(sample_targets.fails),
              failure_frames(), sample_targets.fails.__code__.co_varnames)
    spec = Breakpoint("sample_targets.fails", At("return"), ("n",))
    original = sample_targets.fails.__code__
    records = []
    engine = Engine([WatchedBreakpoint(0, spec, resolve(spec.function))], default_encoder(),
                    records.append)
    backend = backends.create("instrument", engine)
    backend.start()
    try:
        assert sample_targets.fails.__code__ is not original  # instrumented
        during = (inspect.getsource(sample_targets.fails),
                  inspect.signature(sample_targets.fails), failure_frames(),
                  sample_targets.fails.__code__.co_varnames)
    finally:
        backend.stop()
    assert sample_targets.fails.__code__ is original
    assert during == before
    assert [r.locals for r in records if r.kind == "stop"][0]["n"] == 3


def test_auto_leaves_line_breakpoints_to_settrace_and_instrument_says_why():
    from harness.recording import backends
    from harness.recording.engine import Engine, WatchedBreakpoint
    from harness.recording.targets import match_line, resolve
    from harness.scenario import At, Breakpoint

    spec = Breakpoint("sample_targets.outer", At("line", "total += inner(i)"), ("i",))
    target = resolve(spec.function)
    engine = Engine([WatchedBreakpoint(0, spec, target, match_line(target, spec.at.fragment,
                                                                   None))], None,
                    lambda r: None)
    if sys.version_info < (3, 12):
        assert backends.create("auto", engine).name == "settrace"
    with pytest.raises(ValueError, match="line breakpoints"):
        backends.create("instrument", engine)


def test_instrument_leaves_a_return_inside_with_to_settrace():
    """settrace reports such a return after the `with` exit ran, on the `with` line; the hook
    would report it before, on the return's: auto records it with settrace."""
    from harness.recording import backends
    from harness.recording.engine import Engine, WatchedBreakpoint
    from harness.recording.targets import resolve
    from harness.scenario import At, Breakpoint

    spec = Breakpoint("sample_targets.opened", At("return"), ())
    engine = Engine([WatchedBreakpoint(0, spec, resolve(spec.function))], None, lambda r: None)
    with pytest.raises(ValueError, match="a return inside"):
        backends.create("instrument", engine)
    assert backends.create("auto", engine).name in ("settrace", "monitoring")


@pytest.mark.parametrize("function", ["reraises", "reraises_for_caller"])
def test_instrument_leaves_a_bare_reraise_to_settrace_when_its_line_matters(function):
    """After `except ValueError: raise`, settrace sees the exception leave from the `raise`
    line, and nothing in the traceback says a clause took it: auto records it with settrace.
    Only a stop at the return needs that line: an enter breakpoint is instrumented."""
    from harness.recording.engine import Engine, WatchedBreakpoint
    from harness.recording.targets import resolve
    from harness.scenario import At, Breakpoint

    def engine_for(at):
        spec = Breakpoint(f"sample_targets.{function}", At(at), ())
        return Engine([WatchedBreakpoint(0, spec, resolve(spec.function))], None,
                      lambda r: None)

    with pytest.raises(ValueError, match="a bare `raise`"):
        backends.create("instrument", engine_for("return"))
    assert backends.create("auto", engine_for("return")).name in ("settrace", "monitoring")
    assert backends.create("instrument", engine_for("enter")).name == "instrument"


def test_instrumented_code_is_kept_between_runs_and_gives_the_same_stops(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path))
    first = drive_backend.drive("instrument", specs=drive_backend.NO_LINES)
    kept = sorted(os.listdir(tmp_path / "instrument"))
    assert kept  # one file per rewritten function
    again = drive_backend.drive("instrument", specs=drive_backend.NO_LINES)  # from the cache
    assert sorted(os.listdir(tmp_path / "instrument")) == kept
    assert again["stops"] == first["stops"] and again["codes_restored"] is True


def test_a_file_imported_under_two_names_is_instrumented_in_the_copy_that_is_watched(
        tmp_path, monkeypatch):
    """`mod` and `pkg.mod` from one file are two modules with two functions: the watched one
    gets the new code, whichever name comes first."""
    import importlib

    from harness.recording.engine import Engine, WatchedBreakpoint
    from harness.recording.targets import resolve
    from harness.recording.values import default_encoder
    from harness.scenario import At, Breakpoint

    (tmp_path / "twice_pkg").mkdir()
    (tmp_path / "twice_pkg" / "__init__.py").write_text("")
    (tmp_path / "twice_pkg" / "twice_mod.py").write_text("def f(n):\n    return n + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(tmp_path / "twice_pkg"))
    short = importlib.import_module("twice_mod")
    long = importlib.import_module("twice_pkg.twice_mod")
    try:
        assert short.f is not long.f and short.__file__ == long.__file__
        spec = Breakpoint("twice_pkg.twice_mod.f", At("return"), ("n",))
        stops = []
        engine = Engine([WatchedBreakpoint(0, spec, resolve(spec.function))],
                        default_encoder(), stops.append, plain_stops=True)
        tracer = backends.create("instrument", engine)
        tracer.start()
        try:
            assert long.f(1) == 2 and short.f(5) == 6
        finally:
            tracer.stop()
        assert [s["locals"] for s in stops if isinstance(s, dict)] == [{"n": 1, "return": 2}]
    finally:
        for name in ("twice_mod", "twice_pkg.twice_mod", "twice_pkg"):
            sys.modules.pop(name, None)


EDITED = """
import linecache, os, sys, time
sys.path[:0] = [{root!r}, {here!r}]
from harness.recording import backends
from harness.recording.engine import Engine, WatchedBreakpoint
from harness.recording.targets import resolve
from harness.recording.values import default_encoder
from harness.scenario import At, Breakpoint
path = os.path.join({here!r}, "edited.py")
if sys.argv[1:] == ["edit"]:
    import edited
    linecache.getlines(path)  # read while the old text was there (a traceback, getsource...)
    time.sleep(0.05)
    with open(path, "w") as f:
        f.write("def f(n):\\n    return n + 2\\n")  # the same size, a new text
spec = Breakpoint("edited.f", At("return"), ("n",))
stops = []
engine = Engine([WatchedBreakpoint(0, spec, resolve(spec.function))], default_encoder(),
                stops.append, plain_stops=True)
tracer = backends.create("instrument", engine)
tracer.start()
try:
    result = sys.modules["edited"].f(1) if "edited" in sys.modules else __import__("edited").f(1)
finally:
    tracer.stop()
print(result, [s["locals"]["return"] for s in stops if isinstance(s, dict)])
"""


def test_kept_code_is_never_made_from_another_text_than_the_code_that_runs(tmp_path):
    """A process that read a file's source, then saw the file edited, runs the old code: its
    instrumented code is made from the old text, and must never be kept for the new file,
    whose next process runs the new code."""
    from helpers import ROOT

    (tmp_path / "edited.py").write_text("def f(n):\n    return n + 1\n")
    script = EDITED.format(root=ROOT, here=str(tmp_path))
    env = dict(os.environ, HARNESS_CACHE=str(tmp_path / "cache"))

    def run(*args):
        proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                              text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()

    assert run("edit") == ["2", "[2]"]  # the old code, recorded as it ran
    assert run() == ["3", "[3]"]  # a fresh process: the new code, and so its records
    assert run() == ["3", "[3]"]  # again, from what was kept


# -- the shapes of torch's frontend: staticmethods called through __call__, callbacks from C --
CALLBACKS = os.path.join(SAMPLES, "drive_callbacks.py")


def check_callback_stops(run):
    assert run["result"] == [[6, "FOR", 8], ["typing.List", None]]
    stops = [(s["function"].rsplit(".", 1)[-1], s["event"], s["locals"]) for s in run["stops"]]
    assert stops == [
        ("build_int", "return", {"node": 3, "doubled": 6, "return": 6}),
        ("build_str", "enter", {"node": "for"}),
        ("build_int", "return", {"node": 4, "doubled": 8, "return": 8}),
        ("resolve", "return", {"name": "List", "return": "typing.List"}),  # called from map()
        ("resolve", "return", {"name": "y", "return": None}),
    ]


@pytest.mark.parametrize("backend", ["settrace", "instrument"])
def test_stops_in_staticmethods_and_in_callbacks_from_c(backend):
    import drive_callbacks

    run = drive_callbacks.drive(backend)
    assert run["backend"] == backend
    check_callback_stops(run)


def test_monitoring_stops_in_staticmethods_and_in_callbacks_from_c():
    python = python_312_plus()
    if python is None:
        pytest.skip("no Python 3.12+ found on this machine: sys.monitoring needs one")
    proc = subprocess.run([python, CALLBACKS, "monitoring"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    run = json.loads(proc.stdout)
    assert run["backend"] == "monitoring"
    check_callback_stops(run)
