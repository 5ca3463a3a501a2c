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


# The end-to-end groups that start dozens of recording processes each (a torch import apiece)
# run in the slow group, `pytest -m slow`, which `.ci/run` runs after the default suite: the
# default suite stays under 90 s on two cores, and every group still runs in CI. What each
# command does for a user is still checked in the default suite (test_run_cli, test_diff_cli,
# test_replay_cli, test_diagnosis*, the shipped scenarios against their goldens).
SLOW_FILES = {
    "test_endings.py", "test_pytest_plugin.py", "test_tooling_cli.py", "test_runs_cli.py",
    "test_matrix.py", "test_faults.py", "test_trust.py", "test_backends_agree.py",
    "test_scale.py", "test_ci_steps.py", "test_keep_going.py", "test_frontend.py",
    "test_debugger.py", "test_html_reports.py",
    # each test records a scenario two or three times over (plain, harness, each backend)
    "test_determinism.py", "test_fidelity.py",
}


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects by mark
def pytest_collection_modifyitems(config, items):
    for item in items:
        if os.path.basename(str(item.fspath)) in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
