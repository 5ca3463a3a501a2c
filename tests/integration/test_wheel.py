"""The harness installed like a tool: the wheel built from this checkout, installed into a
fresh virtual environment outside it, runs a shipped scenario by name from an unrelated folder,
and its pytest plugin checks a project's own scenario.

torch is not installed again: the fresh environment sees this environment's packages through
a folder of links named in a `.pth` file (as --system-site-packages would show the system's),
with this checkout's own editable install left out, so seconds, not a torch download. Slow
group (it builds a wheel and records three runs): `pytest -m slow tests/integration/test_wheel.py`.
"""
import os
import subprocess
import sys
import sysconfig
import textwrap

import pytest

from helpers import ROOT

pytestmark = pytest.mark.slow
UV = os.path.join(os.path.dirname(sys.executable), "uv")


def run(command, cwd, timeout=600):
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if not os.path.exists(UV):
        pytest.skip("uv builds and installs the wheel here; this environment has none")
    root = tmp_path_factory.mktemp("tool")
    built = run([UV, "build", "--wheel", "-q", "-o", str(root / "dist"), ROOT], cwd=root)
    assert built.returncode == 0, built.stderr
    wheel = next((root / "dist").glob("torchscript_harness-*.whl"))
    venv = root / "venv"
    made = run([UV, "venv", "-q", "--python", sys._base_executable, str(venv)], cwd=root)
    assert made.returncode == 0, made.stderr
    # this environment's packages (torch, pytest, ...) but not this checkout's harness
    links = root / "links"
    links.mkdir()
    here = sysconfig.get_paths()["purelib"]
    for name in os.listdir(here):
        if name.startswith(("__editable__", "torchscript_harness", "_virtualenv")) \
                or name.endswith(".pth"):
            continue
        os.symlink(os.path.join(here, name), links / name)
    site = next(venv.glob("lib/python3*/site-packages"))
    (site / "borrowed.pth").write_text(str(links) + "\n")
    done = run([UV, "pip", "install", "-q", "--no-deps", "--python", str(venv / "bin" / "python"),
                str(wheel)], cwd=root)
    assert done.returncode == 0, done.stderr
    return venv


def test_a_shipped_scenario_runs_by_name_from_any_folder(installed, tmp_path):
    harness = str(installed / "bin" / "harness")
    where = run([str(installed / "bin" / "python"), "-c",
                 "import harness, torch; print(harness.__file__)"], cwd=tmp_path)
    assert where.stdout.startswith(str(installed)), where.stdout + where.stderr
    listing = run([harness, "scenarios"], cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "seed_walk" in listing.stdout and "scenarios shipped" in listing.stderr
    proc = run([harness, "run", "seed_walk", "-q"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = [os.path.join(d, f) for d, _, files in os.walk(tmp_path / "snapshots")
               for f in files if f.endswith(".jsonl")]
    assert written and "seed-walk" in written[0]
    failing = run([harness, "run", "failing-attribute", "-q"], cwd=tmp_path)
    assert failing.returncode == 1 and "attribute" in failing.stdout + failing.stderr


def test_the_pytest_plugin_checks_a_projects_scenario(installed, tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\nharness_scenarios = checks/*.yaml\n")
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "tiny_model.py").write_text(textwrap.dedent("""\
        import torch


        class Tiny(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.scale = 2

            def forward(self, x):
                return x * self.scale
        """))
    (tmp_path / "checks" / "tiny.yaml").write_text(textwrap.dedent("""\
        version: 1
        name: tiny
        model:
          factory: tiny_model.py:Tiny
        breakpoints:
          - function: torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type
            capture: [name, attr_type]
            key: [name]
        """))
    python = str(installed / "bin" / "python")
    first = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--harness-update"],
                cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert list((tmp_path / "checks" / "__snapshots__" / "tiny").glob("torch-*.jsonl"))
    again = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=tmp_path)
    assert again.returncode == 0 and "1 passed" in again.stdout, again.stdout + again.stderr
