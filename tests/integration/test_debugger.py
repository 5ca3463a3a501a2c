"""`harness run --interactive`: the scenario's stops live in pdb++, driven through a real
pseudo-terminal (pexpect), through a pipe, without pdb++, and on a model that fails."""
import os
import sys

import pexpect

from helpers import ROOT, read_jsonl, run_harness

PROMPT = r"\(harness\+\+\) "


def spawn(tmp_path, scenario, **env):
    out = tmp_path / "live.jsonl"
    child = pexpect.spawn(sys.executable, ["-m", "harness", "run", scenario, "-i", "-o", str(out)],
                          cwd=ROOT, encoding="utf-8", timeout=90, dimensions=(50, 200),
                          env=dict(os.environ, NO_COLOR="1", TERM="xterm", **env))
    return child, out


def test_pty_transcript_seed_scenario(tmp_path):
    child, out = spawn(tmp_path, "scenarios/seed_walk.yaml")
    # the first stop: its header, then pdb++'s prompt on the real frame
    child.expect(r"harness stop #0: torch\.jit\._script\.call_prepare_scriptable_func_impl "
                 r"enter, module <root>")
    child.expect(r"obj = <<root>: CustomModel>")
    child.expect(PROMPT)
    child.sendline("p memo")  # a captured local, live
    child.expect(r"\{\}")
    child.expect(PROMPT)
    # on to the infer_type stop for `weights`
    child.sendline('ns name == "weights"')
    child.expect(r"harness stop #66: torch\.jit\._recursive\.infer_concrete_type_builder"
                 r"\.<locals>\.infer_type return, module custom_layer1")
    child.expect(r"attr_type = ✓ Tensor")
    child.expect(PROMPT)
    child.sendline("p attr_type")  # torch's InferredType as data, not <... at 0x...>
    child.expect(r"✓ Tensor")
    child.expect(PROMPT)
    child.sendline("pp attr_type")
    child.expect(r'"success": true')
    child.expect(PROMPT)
    child.sendline("record")
    child.expect(r"recorded stop #66")
    child.expect(PROMPT)
    child.sendline("step")  # pdb's own stepping: out of infer_type, into its caller
    child.expect(r"infer_concrete_type_builder\(\)")
    child.expect(PROMPT)
    child.sendline("stops")
    child.expect(r"\[6\] torch\.jit\._recursive\.infer_concrete_type_builder\.<locals>\.infer_type"
                 r" at return")
    child.expect(r">\*#66 +✓ infer_type return custom_layer1")
    child.expect(PROMPT)
    child.sendline("q")
    child.expect(r"outcome: stopped after 67 stops: the user quit the debugger; 1 stop "
                 r"recorded")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    records = read_jsonl(out)
    stops = [r for r in records if r["kind"] == "stop"]
    assert [s["index"] for s in stops] == [66]
    assert stops[0]["locals"]["name"] == "weights"
    assert records[-1]["outcome"] == "stopped" and records[-1]["stops_seen"] == 67


def test_piped_input_record_all_and_run_to_the_end(tmp_path):
    """The README's example: once the piped commands run out, the run goes on to its end,
    recording as set (end of input is not a quit, unlike at a terminal)."""
    out = tmp_path / "piped.jsonl"
    proc = run_harness("run", "scenarios/containers.yaml", "-i", "-o", str(out),
                       input="record all\n")  # exactly the README's example
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    assert "harness stop #0" in proc.stdout
    assert "recorded stop #0, and every stop from here on" in proc.stdout
    assert "end of input: running on to the end" in proc.stdout
    assert "\x1b[" not in proc.stdout  # no colour through a pipe, pdb++'s included
    records = read_jsonl(out)
    assert len([r for r in records if r["kind"] == "stop"]) == 11
    assert records[-1]["outcome"] == "ok"


def test_quit_leaves_a_readable_snapshot_marked_stopped(tmp_path):
    out = tmp_path / "quit.jsonl"
    proc = run_harness("run", "scenarios/seed_walk.yaml", "-i", "-o", str(out),
                       input="record\nq\n")
    assert proc.returncode == 3
    proc = run_harness("replay", str(out), "--print")
    assert proc.returncode == 0 and "outcome: stopped" in proc.stdout


def test_without_pdbpp_it_falls_back_to_pdb_with_one_line(tmp_path):
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['pdbpp'] = None\n")
    proc = run_harness("run", "scenarios/containers.yaml", "-i", "-o", str(tmp_path / "s.jsonl"),
                       input="p name\nq\n",
                       env={"PYTHONPATH": str(blocker), "PDBPP_HIJACK_PDB": "0"})
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout.count("pdb++ is not installed: using the standard pdb") == 1
    assert "(harness) 'blocks'" in proc.stdout


def test_failing_model_stops_at_the_failure(tmp_path):
    out = tmp_path / "fail.jsonl"
    proc = run_harness("run", "scenarios/failing_attribute.yaml", "-i", "-o", str(out),
                       input="ns name == 'nothing'\np type(scales)\nq\n")
    assert proc.returncode == 1, proc.stderr
    assert "── scripting failed: RuntimeError: Module 'MixedScales' has no attribute 'scales'" \
        in proc.stdout
    assert "── diagnosis" in proc.stdout and "attribute: scales" in proc.stdout
    assert "create_methods_and_properties_from_stubs()" in proc.stdout
    assert records_outcome(out) == "error"


def test_failing_model_focuses_the_innermost_scenario_frame(tmp_path):
    """With a target on the failing stack, the post-mortem prompt starts there."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "version: 1\nname: f\nmodel:\n"
        f"  factory: {ROOT}/scenarios/models/failing_model.py:MixedScales\n"
        "breakpoints:\n"
        "  - function: torch.jit._recursive.create_script_module_impl\n"
        "    capture: [nn_module]\n")
    proc = run_harness("run", str(scenario), "-i", "-o", str(tmp_path / "o.jsonl"),
                       input="c\nc\np nn_module\nq\n")
    assert proc.returncode == 1, proc.stderr
    # the exception leaving the root's create_script_module_impl is a `return` stop too
    assert "raise = RuntimeError: Module 'MixedScales' has no attribute 'scales'" in proc.stdout
    assert "at the innermost scenario frame: create_script_module_impl" in proc.stdout
    assert "MixedScales(" in proc.stdout  # `p nn_module` in that frame


def records_outcome(path):
    return read_jsonl(path)[-1]["outcome"]


def test_quitting_in_process_puts_the_previous_trace_function_back(tmp_path):
    import io

    from harness import scenario
    from harness.recording.frontends import debugger
    from harness.recording.session import record

    def previous(frame, event, arg):
        return None

    out = io.StringIO()
    dbg = debugger.create(stdin=io.StringIO("record\nq\n"), stdout=out, color=False)
    outer = sys.gettrace()
    sys.settrace(previous)
    try:
        result = record(scenario.load(os.path.join(ROOT, "scenarios", "containers.yaml")),
                        output=str(tmp_path / "s.jsonl"), observer=dbg)
        assert sys.gettrace() is previous
    finally:
        sys.settrace(outer)
    assert result.outcome == "stopped" and result.exit_code == 3
    assert "recorded stop #0" in out.getvalue()


def test_continue_to_the_failure_and_disable_scenario_breakpoints(tmp_path):
    """In a real pty: `sdisable` silences scenario breakpoints (their stops are still made),
    `senable` brings one back, `failure` runs on to the post-mortem prompt."""
    child, out = spawn(tmp_path, "scenarios/failing_attribute.yaml")
    child.expect(r"harness stop #0: torch\.jit\._recursive\.infer_concrete_type_builder"
                 r"\.<locals>\.infer_type return")
    child.expect(PROMPT)
    child.sendline("sdisable 0")
    child.expect(r"disabled scenario breakpoint 0")
    child.expect(PROMPT)
    child.sendline("sdisable 7")
    child.expect(r"sdisable: no scenario breakpoint '7' \(they are 0, 1, 2; `stops` lists them\)")
    child.expect(PROMPT)
    child.sendline("stops")
    child.expect(r"\[0\] torch\.jit\._recursive\.infer_concrete_type_builder\.<locals>"
                 r"\.infer_type at return +\(1 stop so far\) +disabled")
    child.expect(PROMPT)
    child.sendline("ns")  # infer_type's next four stops no longer prompt; the builder's does
    child.expect(r"harness stop #5: torch\.jit\._recursive\.infer_concrete_type_builder "
                 r"return, module fc")
    child.expect(PROMPT)
    child.sendline("senable")
    child.expect(r"enabled scenario breakpoints 0, 1, 2")
    child.expect(PROMPT)
    child.sendline("failure")
    child.expect(r"running on to the failure")
    child.expect(r"── scripting failed: RuntimeError: Module 'MixedScales' has no attribute "
                 r"'scales'")
    child.expect(PROMPT)
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert records_outcome(out) == "error"
