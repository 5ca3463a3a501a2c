"""Provisioning torch environments, the parts that need no install: requests, the installer's
failures in one line, pip's configuration handed to uv, and the matrix's overview."""
import json

import pytest

from harness import envs, snapshot
from harness.compare import diff
from harness.matrix import Overview, overview, overview_lines


def test_requests_name_a_version_and_maybe_an_interpreter():
    assert envs.Request.parse("2.14.1") == envs.Request("2.14.1")
    assert envs.Request.parse("1.13.1@python3.10") == envs.Request("1.13.1", "python3.10")
    assert envs.Request.parse("2.13.0+cpu@/usr/bin/python3") == \
        envs.Request("2.13.0+cpu", "/usr/bin/python3")
    with pytest.raises(envs.EnvError, match="'latest' is not a torch version"):
        envs.Request.parse("latest")


@pytest.mark.parametrize("output, message", [
    (["ERROR: Could not find a version that satisfies the requirement torch==9.9 (from "
      "versions: 2.13.0, 2.14.1)", "ERROR: No matching distribution found for torch==9.9"],
     "installing torch 9.9: the registry has no such version; it has 2.13.0, 2.14.1"),
    (["Collecting torch", "ERROR: Could not install packages due to an OSError: [Errno 28] "
      "No space left on device"], "installing torch 9.9: the disk is full"),
    (["Error: Command '['/x/bin/python', '-m', 'ensurepip']' returned non-zero exit status 1.",
      "The virtual environment was not created successfully because ensurepip is not "
      "available."], "installing torch 9.9: ensurepip is not available."),
    (["WARNING: Retrying ...", "ERROR: Could not fetch URL https://pypi.example/simple/torch/: "
      "connection error"], "installing torch 9.9: Could not fetch URL https://pypi.example/"),
    (["ERROR: Cannot install torch==9.9 because these package versions have conflicting "
      "dependencies.", "The conflict is caused by:",
      "    The user requested (constraint) torch<=2.14.1"],
     "(The user requested (constraint) torch<=2.14.1)"),
    (["Building...", "something odd happened"], "installing torch 9.9: something odd happened"),
])
def test_an_installer_failure_is_one_line(output, message):
    line = envs.failure_message("installing torch 9.9", output)
    assert message in line and "\n" not in line


def test_pips_configuration_is_handed_to_uv(monkeypatch):
    for name in ("SSL_CERT_FILE", "HTTPS_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    config = {"index-url": "https://mirror/simple", "extra-index-url": "file:///a file:///b",
              "find-links": "/opt/wheels", "constraint": "/etc/caps.txt",
              "proxy": "http://proxy:3128", "cert": "/etc/ca.pem"}
    assert envs.uv_options(config) == [
        "--index-url", "https://mirror/simple", "--extra-index-url", "file:///a",
        "--extra-index-url", "file:///b", "--find-links", "/opt/wheels",
        "--constraint", "/etc/caps.txt", "--index-strategy", "unsafe-best-match"]
    env = envs.uv_environment(config)
    assert env["SSL_CERT_FILE"] == "/etc/ca.pem"
    assert env["HTTPS_PROXY"] == env["HTTP_PROXY"] == "http://proxy:3128"


def test_a_half_built_environment_is_not_listed_and_is_pruned(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path))
    root = tmp_path / "envs"
    (root / ".building-torch-2.13.0-py3.11-x").mkdir(parents=True)
    (root / "torch-2.14.1-py3.11" / "bin").mkdir(parents=True)  # no marker: half-built
    assert envs.list_envs() == []
    assert sorted(p.rsplit("/", 1)[-1] for p in envs.half_built()) == [
        ".building-torch-2.13.0-py3.11-x", "torch-2.14.1-py3.11"]
    assert len(envs.prune()) == 2
    assert sorted(p.name for p in root.iterdir()) == []


def snap(stops, torch="2.13.0", function="m.f"):
    header = {"kind": "header", "format": "harness-snapshot", "version": 1, "torch": torch,
              "scenario": {"name": "t", "hash": "0"},
              "breakpoints": [{"function": function, "at": "return", "capture": ["x"]},
                              {"function": "m.g", "at": "return", "capture": []}]}
    lines = [json.dumps(header)] + [json.dumps(
        {"kind": "stop", "index": i, "function": function, "breakpoint": 0, "event": "return",
         "line": 1, "call": i, "parent": None, "depth": 0, "subject": "", "locals": {"x": x}})
        for i, x in enumerate(stops)]
    return snapshot.parse(lines + [json.dumps({"kind": "end", "outcome": "ok", "stops": 0})])


def test_the_overview_says_per_function_and_version_what_changed():
    base = snap([1, 2])
    same, changed, fewer = snap([1, 2], "2.14.1"), snap([1, 3], "2.15.0"), snap([], "2.16.0")
    others = [same, changed, fewer]
    table = overview(base, others, [diff(base, other) for other in others])
    assert table.columns == ["torch 2.13.0", "torch 2.14.1", "torch 2.15.0", "torch 2.16.0"]
    assert table.rows == {"m.f": ["base", "same", "values changed", "missing"],
                          "m.g": ["missing", "missing", "missing", "missing"]}
    lines = overview_lines(table)
    assert lines[0].split() == ["function", "torch", "2.13.0", "torch", "2.14.1", "torch",
                                "2.15.0", "torch", "2.16.0"]
    assert lines[2].split() == ["f", "base", "same", "values", "changed", "missing"]
    assert isinstance(Overview(["a"]).to_data(), dict)


def test_pip_is_never_taken_from_the_current_directory(tmp_path, monkeypatch):
    """A `pip` package in the folder the user runs from is not what answers: pip runs
    isolated (`python -I -m pip`)."""
    fake = tmp_path / "pip"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text("print('index-url=http://evil.example/')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PIP_INDEX_URL", "https://registry.example/simple")
    assert envs.pip_configuration().get("index-url") == "https://registry.example/simple"
