"""Fixtures. The unit tests (tests/unit) run in this process; the integration tests
(tests/integration) drive the command line, the debugger and the plugin as a user does."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from helpers import read_jsonl, run_harness  # noqa: E402

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def torch():
    """torch, imported once for the in-process tests that need it; without torch they skip
    (the unit tests that need no torch still run)."""
    from harness.recording import import_torch

    try:
        return import_torch()
    except ImportError as exc:
        pytest.skip(f"torch cannot be imported: {exc}")


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory):
    """The seed scenario recorded once, through the command line, for the tests that read it."""
    out = tmp_path_factory.mktemp("seed") / "seed.jsonl"
    proc = run_harness("run", "scenarios/seed_walk.yaml", "-o", str(out))
    return proc, read_jsonl(out)


@pytest.fixture(scope="session")
def failing_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("failing") / "failing.jsonl"
    proc = run_harness("run", "scenarios/failing_attribute.yaml", "-o", str(out))
    return proc, read_jsonl(out)


def _hypothesis_profiles():
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:
        return
    quick = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                       HealthCheck.too_slow])
    settings.register_profile("ci", max_examples=200, **quick)
    settings.register_profile("thorough", max_examples=2000, **quick)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


_hypothesis_profiles()
