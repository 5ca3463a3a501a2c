"""Both tracing backends on pure-Python samples: same stops, tracing state put back."""
import json
import os
import subprocess
import sys

import pytest

from conftest import python_312_plus

DRIVER = os.path.join(os.path.dirname(__file__), "samples", "drive_backend.py")


def drive(python, backend):
    proc = subprocess.run([python, DRIVER, backend], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def settrace_run():
    return drive(sys.executable, "settrace")


@pytest.fixture(scope="module")
def monitoring_run():
    python = python_312_plus()
    if python is None:
        pytest.skip("no Python 3.12+ found on this machine (looked for python3.12/3.13/3.14 "
                    "on PATH, /usr/bin and ~/.pyenv/versions): sys.monitoring needs one")
    return drive(python, "monitoring")


def by_function(run):
    out = {}
    for stop in run["stops"]:
        out.setdefault(stop["function"].rsplit(".", 1)[-1], []).append(stop)
    return out


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
    assert len(fails) == 2
    assert fails[0]["locals"]["raise"] == {"type": "ValueError", "message": "bad n=1"}
    assert fails[1]["locals"]["marker"] == "about to fail"
    assert "return" not in fails[0]["locals"]
    # an exception caught inside a watched function is not its exit
    assert stops["catches"][0]["locals"] == {"return": "recovered"}
    assert run["sources"] == sorted({s["function"] for s in run["stops"]})


def test_settrace_backend_records_the_sample_stops(settrace_run):
    check_sample_stops(settrace_run)


def test_settrace_backend_restores_the_previous_trace_function(settrace_run):
    assert settrace_run["restored"] is True


def test_monitoring_backend_records_the_sample_stops(monitoring_run):
    assert monitoring_run["backend"] == "monitoring"
    check_sample_stops(monitoring_run)


def test_monitoring_backend_gives_its_tool_id_back_and_leaves_settrace_alone(monitoring_run):
    assert monitoring_run["tools_free"] is True
    assert monitoring_run["restored"] is True


def test_both_backends_give_identical_stop_records(settrace_run, monitoring_run):
    assert monitoring_run["stops"] == settrace_run["stops"]


def test_settrace_backend_restores_the_trace_function_when_the_run_fails():
    from harness import backends
    from harness.recorder import Engine

    def previous(frame, event, arg):
        return None

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
        sys.settrace(None)


def test_choosing_monitoring_below_312_is_a_clear_error():
    from harness import backends

    if sys.version_info >= (3, 12):
        assert backends.choose("monitoring") == "monitoring"
    else:
        with pytest.raises(ValueError, match="needs Python 3.12"):
            backends.choose("monitoring")
    assert backends.choose("auto") in ("monitoring", "settrace")
