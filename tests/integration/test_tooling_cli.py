"""The command line's small tools, as a user runs them: the version, shell completion, the
shipped scenarios by name, --model with keyword arguments, the model's own targets, and
`harness.run()` leaving nothing behind."""
import os
import subprocess
import sys
import textwrap

import pytest

from helpers import ROOT, run_harness


def test_version_short_flag():
    proc = run_harness("-V")
    assert proc.returncode == 0 and proc.stdout.startswith("harness ")


def test_shell_completion_is_made_from_the_parser(tmp_path):
    pytest.importorskip("shtab", reason="shtab (a dependency since 0.3) is not installed in "
                        "this environment: pip install -e . brings it")
    bash = run_harness("completion", "bash")
    assert bash.returncode == 0, bash.stderr
    for word in ("matrix", "scenarios", "--fail-on", "--index-url", "completion"):
        assert word in bash.stdout
    script = tmp_path / "harness.bash"
    script.write_text(bash.stdout)
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    zsh = run_harness("completion", "zsh")
    assert zsh.returncode == 0 and zsh.stdout.startswith("#compdef harness")
    assert run_harness("completion", "fish").returncode == 2


def test_shipped_scenarios_are_listed_and_run_by_name_from_any_folder(tmp_path):
    listing = run_harness("scenarios", cwd=str(tmp_path))
    assert listing.returncode == 0, listing.stderr
    stems = [line.split()[0] for line in listing.stdout.splitlines()]
    assert "seed_walk" in stems and "containers" in stems
    assert "scenarios shipped" in listing.stderr
    proc = run_harness("run", "containers", "-q", "-o", str(tmp_path / "c.jsonl"),
                       cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "c.jsonl").exists()
    wrong = run_harness("run", "seed_wlk", cwd=str(tmp_path))
    assert wrong.returncode == 2 and "did you mean seed_walk" in wrong.stderr
    assert "harness scenarios" in wrong.stderr and "Traceback" not in wrong.stderr


MODEL = textwrap.dedent("""\
    import torch


    def helper(x):
        return x + 1


    class Net(torch.nn.Module):
        def __init__(self, width, act="relu"):
            super().__init__()
            assert act == "tanh", act
            self.layers = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(width)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x
    """)


def test_model_takes_keyword_arguments_and_lists_its_own_targets(tmp_path):
    (tmp_path / "nets.py").write_text(MODEL)
    out = tmp_path / "n.jsonl"
    proc = run_harness("run", "--model", f"{tmp_path}/nets.py:Net", "--args", "[2]",
                       "--kwargs", "{act: tanh}", "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "layers.1" in out.read_text()
    bad = run_harness("run", "--model", f"{tmp_path}/nets.py:Net", "--kwargs", "[1]")
    assert bad.returncode == 2 and "--kwargs must be a YAML mapping" in bad.stderr
    targets = run_harness("targets", "--model", f"{tmp_path}/nets.py:Net", "nets.")
    assert targets.returncode == 0, targets.stderr
    names = [line.split()[0] for line in targets.stdout.splitlines() if line.startswith("  ")]
    assert names == ["nets.Net.__init__", "nets.Net.forward", "nets.helper"]
    assert targets.stdout.splitlines()[0].startswith("nets  (")  # the module's heading
    assert "0 functions in torch" in targets.stderr
    assert "3 functions in the model (nets) matching 'nets.'" in targets.stderr


def test_harness_run_leaves_no_temporary_folder(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    code = ("import harness; snap = harness.run('containers'); "
            "print(snap.outcome, len(snap.stops), snap.stop('infer_type', name='blocks').index)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, TMPDIR=str(temp)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "ok"
    assert os.listdir(temp) == []



def test_report_open_hands_the_failures_address_to_the_browser(tmp_path):
    """Without a browser: $BROWSER (which Python's webbrowser obeys) names a script that
    writes down what it was asked to open."""
    opened = tmp_path / "opened.txt"
    script = tmp_path / "browser.py"
    script.write_text("import sys\nopen(sys.argv[1], 'a').write(sys.argv[2] + '\\n')\n")
    golden = os.path.join(ROOT, "scenarios", "__snapshots__", "failing-attribute",
                          "torch-2.13.jsonl")
    page = tmp_path / "f.html"
    proc = run_harness("report", golden, "-o", str(page), "--open",
                       env={"BROWSER": f"{sys.executable} {script} {opened} %s"})
    assert proc.returncode == 0, proc.stderr
    assert opened.read_text().splitlines() == [page.as_uri() + "#stop-8"]
    assert f"the failure, at stop #8: {page.as_uri()}#stop-8" in proc.stdout
    assert "(11 stops)" in proc.stdout
