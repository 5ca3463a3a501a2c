"""`harness matrix --torch` and `harness envs` with real environments: torch 2.13.0 (a wheel
on this machine's disk) installed with pip and with uv in a temporary cache, reused, and
rebuilt when half-built; torch 2.14.1 beside it. Installing takes tens of seconds, so these
form the slow group (`pytest -m slow`, run by .ci/run)."""
import os
import sys

import pytest

from helpers import run_harness

BIN = os.path.dirname(sys.executable)
pytestmark = pytest.mark.slow


def matrix(tmp_path, out, *torches, installer="auto", cache=None, more=()):
    env = {"HARNESS_CACHE": str(cache or tmp_path / "cache")}
    args = ["matrix", "scenarios/containers.yaml", "--python", sys.executable, "-o",
            str(tmp_path / out), "--installer", installer, *more]
    for torch in torches:
        args += ["--torch", torch]
    return run_harness(*args, env=env, timeout=900)


def test_pip_provisions_then_reuses_then_rebuilds_a_half_built_environment(tmp_path):
    proc = matrix(tmp_path, "first", "2.13.0", installer="pip")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "torch 2.13.0: Python 3.11" in proc.stderr and "this Python" in proc.stderr
    assert "creating the environment with venv" in proc.stderr
    assert "installing torch 2.13.0 with pip" in proc.stderr
    env = tmp_path / "cache" / "envs" / "torch-2.13.0-py3.11"
    assert (env / "harness-env.json").exists()
    assert "infer_concrete_type_builder  base" in proc.stdout  # the overview
    # the second run installs nothing: it starts recording at once
    proc = matrix(tmp_path, "second", "2.13.0", installer="pip")
    assert proc.returncode == 0 and f"reusing {env}" in proc.stderr
    assert "installing" not in proc.stderr
    # a half-built environment (no marker: an interrupted install) is never reused
    (env / "harness-env.json").unlink()
    proc = matrix(tmp_path, "third", "2.13.0", installer="pip")
    assert proc.returncode == 0, proc.stderr
    assert f"removing the half-built {env}" in proc.stderr and "installing" in proc.stderr
    listing = run_harness("envs", env={"HARNESS_CACHE": str(tmp_path / "cache")})
    assert "torch 2.13.0       Python 3.11" in listing.stdout and "(pip)" in listing.stdout
    removed = run_harness("envs", "--remove", "2.13.0",
                          env={"HARNESS_CACHE": str(tmp_path / "cache")})
    assert removed.returncode == 0 and not env.exists()


def test_uv_provisions_torch_2_14_beside_2_13_and_the_diff_says_what_moved(tmp_path):
    if not os.path.exists(os.path.join(BIN, "uv")):
        pytest.skip("uv is not installed in the harness's environment: pip is tested above")
    proc = matrix(tmp_path, "m", "2.13.0", "2.14.1", more=["--fail-on", "code"])
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the deprecation warning moved
    assert f"installing torch 2.14.1 with uv ({BIN}/uv)" in proc.stderr
    assert "Resolved" not in proc.stderr  # uv's own output: only with -v, or when it fails
    assert "torch: 2.13.0+cpu → 2.14.1" in proc.stdout
    assert "FutureWarning: `torch.jit.script` is deprecated" in proc.stdout
    files = sorted(os.listdir(tmp_path / "m"))
    assert len(files) == 3 and any(f.startswith("torch-2.14.1") for f in files)
    lines = proc.stdout.split("── overview")[1].splitlines()
    assert [line.split()[-1] for line in lines[3:6]] == ["scripted"] * 3
    functions = lines[lines.index("") + 1]
    assert functions.split()[:4] == ["function", "torch", "2.13.0+cpu", "torch"]
