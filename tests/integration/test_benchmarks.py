"""The benchmarks still run: they patch the engine's internals by name, so a change to a
signature breaks them silently (parts.py did once). One round on the seed, no timing read."""
import os
import subprocess
import sys

import pytest

from helpers import ROOT

pytestmark = pytest.mark.slow

BENCHMARKS = os.path.join(ROOT, "benchmarks")


def run(script, *args):
    proc = subprocess.run([sys.executable, os.path.join(BENCHMARKS, script), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_parts_measures_every_part():
    out = run("parts.py", "--runs", "1", "--models", "seed")
    assert "the whole recording" in out


def test_overhead_runs_the_floor_rows_and_the_harness():
    backend = "monitoring" if sys.version_info >= (3, 12) else "instrument"
    out = run("overhead.py", "--runs", "1", "--models", "seed", "--clock", "cpu",
              "--modes", f"plain,frozen,floor/{backend},minimal/{backend},harness/{backend}")
    for mode in ("plain", "frozen", f"floor/{backend}", f"minimal/{backend}",
                 f"harness/{backend}"):
        assert mode in out
    assert "/frozen" in out  # each mode's ratio to plain scripting with the run's freeze
