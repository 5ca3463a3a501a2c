"""`harness matrix` for CI, the parts that need no install: the installer chosen and the command
lines it is handed (index options passed through as they are), the package index read for the
versions that exist, the row per environment with the model's outcome, and the exit gate."""
import json
import os
import subprocess
import sys

import pytest

from harness import envs, package_index, snapshot
from harness.compare import diff
from harness.matrix import FAIL_ON, gate, model_outcome, release_lines, release_rows, EnvRun, \
    EnvSpec

CPU = "https://download.pytorch.org/whl/cpu"
PYTHON = envs.Interpreter(sys.executable, tuple(sys.version_info[:3]))


# -- the installer ------------------------------------------------------------------------------
def test_uv_is_taken_from_the_harness_environment_first():
    beside = os.path.join(os.path.dirname(sys.executable), "uv")
    if not os.path.exists(beside):
        pytest.skip("this environment has no uv beside its interpreter")
    assert envs.find_uv() == beside


def test_uv_is_handed_the_index_options_after_pips_configuration(monkeypatch):
    monkeypatch.setattr(envs, "pip_configuration", lambda: {
        "index-url": "https://mirror/simple", "extra-index-url": "file:///a",
        "find-links": "/opt/wheels"})
    index = envs.IndexOptions(CPU, ("https://extra/simple",), ("/wheels",))
    steps = envs.install_steps("2.14.1", PYTHON, "/cache/e", index, uv="/venv/bin/uv")
    assert [s.installer for s in steps] == ["uv", "uv"]
    assert steps[0].command[:2] == ["/venv/bin/uv", "venv"]
    assert steps[1].command == [
        "/venv/bin/uv", "pip", "install", "--python", "/cache/e/bin/python",
        "--index-url", CPU, "--extra-index-url", "file:///a",
        "--extra-index-url", "https://extra/simple", "--find-links", "/opt/wheels",
        "--find-links", "/wheels", "--index-strategy", "unsafe-best-match", "torch==2.14.1"]


def test_pip_is_handed_the_index_options_as_they_are(monkeypatch):
    steps = envs.install_steps("1.13.1", PYTHON, "/cache/e", envs.IndexOptions(CPU), uv=None)
    assert [s.installer for s in steps] == ["pip", "pip"]
    assert steps[0].command == [sys.executable, "-I", "-m", "venv", "/cache/e"]
    assert steps[1].command[-4:] == ["--index-url", CPU, "torch==1.13.1", "numpy<2"]
    assert steps[1].command[:4] == ["/cache/e/bin/python", "-I", "-m", "pip"]


def test_uv_accepts_the_command_line_it_is_handed(tmp_path):
    """The real uv takes what the harness hands it (a dry run into this environment, offline:
    nothing is fetched)."""
    uv = envs.find_uv()
    if uv is None:
        pytest.skip("no uv here")
    index = envs.IndexOptions(CPU, ("https://extra.example/simple",), (str(tmp_path),))
    command = envs.install_steps("2.13.0", PYTHON, str(tmp_path / "e"), index, uv)[1].command
    command = command[:3] + ["--dry-run", "--offline", "--no-cache"] + command[3:]
    command[command.index("--python") + 1] = sys.executable
    out = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert "unexpected argument" not in out.stderr and "invalid value" not in out.stderr, \
        out.stderr
    # torch 2.13.0 is already here: uv resolved the requirement and found nothing to do
    assert out.returncode == 0 and "Would make no changes" in out.stderr, out.stderr


def test_an_environment_from_named_indexes_is_another_environment():
    assert envs.env_name("2.5.1", (3, 11, 7)) == "torch-2.5.1-py3.11"
    cpu = envs.env_name("2.5.1", (3, 11, 7), envs.IndexOptions(CPU))
    assert cpu.startswith("torch-2.5.1-py3.11-index-") and cpu != envs.env_name(
        "2.5.1", (3, 11, 7), envs.IndexOptions("https://other/simple"))


def test_the_installers_own_output_is_said_only_with_verbose_or_on_failure():
    said = []
    envs._run([sys.executable, "-c", "print('Collecting torch'); print('Installed 1 package')"],
              said.append, what="installing torch 9")
    assert said == []
    envs._run([sys.executable, "-c", "print('Collecting torch')"], said.append,
              what="installing torch 9", verbose=True)
    assert said == ["  Collecting torch"]
    said.clear()
    with pytest.raises(envs.EnvError, match="installing torch 9: the disk is full"):
        envs._run([sys.executable, "-c", "print('Collecting torch'); print('OSError: No space "
                                         "left on device'); raise SystemExit(1)"],
                  said.append, what="installing torch 9")
    assert said[0] == "  Collecting torch"


# -- what the index has -------------------------------------------------------------------------
WHEEL = "torch-{v}-cp311-cp311-manylinux_2_28_x86_64.whl"


def test_wheel_names_give_versions_and_pythons_for_this_machine():
    releases = package_index.Releases()
    for name in [WHEEL.format(v="2.14.1"), "torch-2.14.1-cp312-cp312-manylinux_2_28_x86_64.whl",
                 "torch-2.5.1%2Bcpu-cp310-cp310-linux_x86_64.whl",
                 "torch-2.9.0-cp311-cp311-win_amd64.whl",
                 "torch-2.10.0-cp311-none-macosx_11_0_arm64.whl",
                 "torchvision-0.20.0-cp311-cp311-manylinux_2_28_x86_64.whl", "torch-2.0.0.tar.gz"]:
        package_index.add_file(releases, name, "torch")
    if sys.platform.startswith("linux") and os.uname().machine == "x86_64":
        assert releases.versions() == ["2.14.1", "2.5.1+cpu"]
        assert releases.versions((3, 12)) == ["2.14.1"]
        assert releases.matching("2.5.1") == ["2.5.1+cpu"]
        assert releases.matching("2.5.1+cu121") == []
        assert releases.pythons("2.14.1", [(3, 10), (3, 11), (3, 12)]) == [(3, 12), (3, 11)]
    assert package_index.version_key("2.10.0") > package_index.version_key("2.9.1")
    assert package_index.version_key("2.0.0") > package_index.version_key("2.0.0rc1")


def test_an_index_folder_a_page_and_find_links_are_read(tmp_path):
    simple = tmp_path / "simple" / "torch"
    simple.mkdir(parents=True)
    (simple / "index.html").write_text(
        f'<a href="../../files/{WHEEL.format(v="2.14.1")}#sha256=00">x</a>'
        f'<a href="{WHEEL.format(v="2.3.0")}" data-yanked="">y</a>')
    links = tmp_path / "links"
    links.mkdir()
    (links / WHEEL.format(v="2.13.0+cpu")).write_text("")
    found = package_index.releases("torch", [(tmp_path / "simple").as_uri(),
                                             str(tmp_path / "nowhere")], [str(links)])
    if sys.platform.startswith("linux") and os.uname().machine == "x86_64":
        assert found.versions() == ["2.14.1", "2.13.0+cpu"]
    assert found.unreachable and "nowhere" in found.unreachable[0]
    with pytest.raises(package_index.IndexUnreachable, match="nowhere"):
        package_index.releases("torch", [str(tmp_path / "nowhere")], [])


def test_an_unknown_version_names_those_that_exist(tmp_path, monkeypatch):
    links = tmp_path / "links"
    links.mkdir()
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"  # wheels for the Python running this
    for v in ("2.13.0", "2.14.1"):
        (links / f"torch-{v}-{tag}-{tag}-manylinux_2_28_x86_64.whl").write_text("")
    monkeypatch.setattr(envs, "pip_configuration", lambda: {})
    index = envs.IndexOptions((tmp_path / "empty").as_uri(), find_links=(str(links),))
    if not (sys.platform.startswith("linux") and os.uname().machine == "x86_64"):
        pytest.skip("the wheels named are for Linux x86_64")
    with pytest.raises(envs.EnvError) as caught:
        envs.choose(envs.Request("9.9.9"), [PYTHON], index=index)
    assert str(caught.value).startswith("torch 9.9.9 does not exist on the package index (")
    assert "it has 2.14.1, 2.13.0" in str(caught.value)
    assert envs.choose(envs.Request("2.14.1"), [PYTHON], index=index) == PYTHON


# -- the overview's rows and the gate -----------------------------------------------------------
def snap(x, torch="2.13.0", outcome="ok", kind=None):
    header = {"kind": "header", "format": "harness-snapshot", "version": 1, "torch": torch,
              "python": "3.11.7", "scenario": {"name": "t", "hash": "0"},
              "breakpoints": [{"function": "m.f", "at": "return", "capture": ["x"]}]}
    source = {"kind": "source", "function": "m.f", "qualname": "f", "file": "m.py",
              "first_line": 1, "sha256": str(x.get("code", 0)),
              "text": f"def f():\n    return {x.get('code', 0)}\n"}
    stop = {"kind": "stop", "index": 0, "function": "m.f", "breakpoint": 0, "event": "return",
            "line": 1, "call": 0, "parent": None, "depth": 0, "subject": "",
            "locals": {"x": x.get("value", 1)}}
    end = {"kind": "end", "outcome": outcome, "stops": 1}
    if outcome == "error":
        end["error"] = {"type": "RuntimeError", "message": "boom", "phase": "script"}
        if kind:
            end["diagnosis"] = {"kind": kind, "phase": "compiling", "summary": "s", "stops": [],
                                "fix": "f"}
    return snapshot.parse([json.dumps(r) for r in (header, source, stop, end)])


def test_each_environment_has_a_row_with_the_models_outcome():
    base, failed = snap({}), snap({}, "2.14.1", "error", "attribute-type")
    runs = [EnvRun(EnvSpec(python="a"), "a"), EnvRun(EnvSpec(python="b"), "b"),
            EnvRun(EnvSpec(torch=envs.Request("9.9.9"), error="no such torch"), "c",
                   error="torch 9.9.9 does not exist")]
    rows = release_rows(runs, {0: base, 1: failed}, {1: diff(base, failed)})
    assert [(r.model, r.against) for r in rows] == [
        ("scripted", "base"), ("failed: attribute-type", "values changed"),
        ("not recorded: torch 9.9.9 does not exist", "-")]
    assert rows[1].label == "torch 2.14.1 (Python 3.11.7)"
    lines = release_lines(rows)
    assert lines[0].split() == ["environment", "against", "the", "base", "model"]
    assert len(lines) == 5 and lines[4].endswith("not recorded: torch 9.9.9 does not exist")
    assert model_outcome(snap({}, outcome="error")) == "failed: RuntimeError"


@pytest.mark.parametrize("others, expected", [
    # what the other environment recorded -> the exit gate per --fail-on outcome/values/code/never
    ([{}], [False, False, False, False]),
    ([{"code": 1}], [False, False, True, False]),
    ([{"value": 2}], [False, True, True, False]),
    ([{"outcome": "error"}], [True, True, True, False]),
])
def test_the_exit_status_follows_what_the_user_gates_on(others, expected):
    base = snap({})
    snaps = [base] + [snap(o, "2.14.1", o.get("outcome", "ok")) for o in others]
    reports = [diff(base, other) for other in snaps[1:]]
    assert [gate(level, snaps, reports) for level in FAIL_ON] == expected


def test_a_model_that_fails_everywhere_fails_the_outcome_gate_though_nothing_changed():
    snaps = [snap({}, outcome="error"), snap({}, "2.14.1", outcome="error")]
    report = diff(*snaps)
    assert report.equal or not report.functions["m.f"].changed
    assert gate("outcome", snaps, [report]) and not gate("never", snaps, [report])
