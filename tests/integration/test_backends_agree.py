"""The backends record the same run: a shipped scenario recorded with the instrument backend
and with settrace gives the same records, line for line, but the header's `backend`; and a
scenario the instrument backend cannot record (a line breakpoint) falls back to settrace.
The slow group checks every shipped scenario and failing models of the diagnosis corpus."""
import os
import sys

import pytest

from helpers import ROOT, SAMPLES, read_jsonl, run_harness

# closures, a method and functions left by exceptions (a run that ends in an error); the
# goldens of every shipped scenario are recorded with auto, the instrument backend, too
SCENARIOS = ["containers", "failing_uninitialized_module"]


def record(tmp_path, scenario, backend):
    out = tmp_path / f"{scenario}-{backend}.jsonl"
    proc = run_harness("run", f"scenarios/{scenario}.yaml", "--backend", backend, "-o", str(out),
                       "-q", env={"PYTHONHASHSEED": "0"})
    assert proc.returncode in (0, 1), proc.stderr
    return read_jsonl(out)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_instrument_and_settrace_write_the_same_records(tmp_path, scenario):
    settrace = record(tmp_path, scenario, "settrace")
    instrument = record(tmp_path, scenario, "instrument")
    assert settrace[0].pop("backend") == "settrace"
    assert instrument[0].pop("backend") == "instrument"
    assert len(instrument) == len(settrace)
    for a, b in zip(settrace, instrument):
        assert b == a


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="auto is sys.monitoring on 3.12+")
def test_auto_falls_back_to_settrace_for_a_line_breakpoint(tmp_path):
    records = record(tmp_path, "failing_attribute", "auto")
    assert records[0]["backend"] == "settrace"
    explicit = run_harness("run", "scenarios/failing_attribute.yaml", "--backend", "instrument",
                           "-o", str(tmp_path / "x.jsonl"), "-q")
    assert explicit.returncode == 2
    assert "line breakpoints" in explicit.stderr and "--backend settrace" in explicit.stderr
    assert "Traceback" not in explicit.stderr


def agree(auto, settrace):
    assert settrace[0].pop("backend") == "settrace"
    assert auto[0].pop("backend") in ("settrace", "instrument", "monitoring")
    assert len(auto) == len(settrace)
    for a, b in zip(settrace, auto):
        assert b == a


SHIPPED = sorted(name[:-len(".yaml")] for name in os.listdir(os.path.join(ROOT, "scenarios"))
                 if name.endswith(".yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("scenario", [s for s in SHIPPED if s not in SCENARIOS])
def test_every_shipped_scenario_records_the_same_with_auto_as_with_settrace(tmp_path, scenario):
    """auto is this Python's fast backend (or settrace where it falls back): the same records,
    line numbers included."""
    agree(record(tmp_path, scenario, "auto"), record(tmp_path, scenario, "settrace"))


@pytest.mark.slow
@pytest.mark.parametrize("model", ["AnnotatedStack", "LazyAct", "Head"])
def test_failing_corpus_models_record_the_same_with_auto_as_with_settrace(tmp_path, model):
    """Real failures: exceptions leave torch's functions through except clauses (the seed
    walk's infer_type), where the line a tracer reports is not where they were raised."""
    runs = {}
    for backend in ("auto", "settrace"):
        out = tmp_path / f"{backend}.jsonl"
        proc = run_harness("run", "--model", f"{SAMPLES}/diagnosis_corpus.py:{model}", "-q",
                           "--backend", backend, "-o", str(out), env={"PYTHONHASHSEED": "0"})
        assert proc.returncode in (0, 1), proc.stderr
        runs[backend] = read_jsonl(out)
    agree(runs["auto"], runs["settrace"])
