"""Stops where Python source becomes TorchScript: a free function and a class scripted, the
values at the frontend, stub and resolution functions, the user's code shown at each stop,
and the three walks across torch releases."""
import json
import os
import re
import sys

import pexpect

from harness import snapshot

from helpers import ROOT, read_jsonl, real_snapshot, run_harness

PROMPT = r"\(harness\+\+\) "
MODELS = os.path.join(ROOT, "scenarios", "models", "frontend_models.py")


def stops_of(records):
    return [r for r in records if r["kind"] == "stop"]


def by_function(records, name):
    return [s for s in stops_of(records) if s["function"].endswith(name)]


def test_a_free_function_and_the_helper_compiled_from_cpp(tmp_path):
    outs = []
    for run in ("a", "b"):
        out = tmp_path / f"{run}.jsonl"
        proc = run_harness("run", "scenarios/function_walk.yaml", "-o", str(out), "--stops",
                           "all", "--no-color")
        assert proc.returncode == 0, proc.stderr
        outs.append(read_jsonl(out))
    first, second = outs
    assert stops_of(first) == stops_of(second)  # deterministic, run after run
    assert "0x" not in json.dumps(stops_of(first))
    header, end = first[0], first[-1]
    assert header["subject"] == "function"
    assert end["outcome"] == "ok"
    assert end["scripted"] == {"qualified_name": "__torch__.frontend_models.scaled_total"}

    # the helper, compiled on demand: C++ called back into try_compile_fn with the call's range
    compiled = by_function(first, "try_compile_fn")
    assert [s["locals"] for s in compiled] == [{
        "fn": {"type": "function", "name": "frontend_models.clamp_sum"},
        "loc": {"type": "SourceRange", "where": "frontend_models.py:22", "code": "clamp_sum"},
        "return": {"type": "ScriptFunction",
                   "qualified_name": "__torch__.frontend_models.clamp_sum"}}]
    # a resolution callback (called from C++ too): the name and what it resolved to
    resolved = {s["locals"]["expr"]: s["locals"]["return"]
                for s in by_function(first, "parseExpr")}
    assert resolved["clamp_sum"] == {"type": "function", "name": "frontend_models.clamp_sum"}
    assert resolved["Optional[float]"] == {"type": "annotation", "text": "float | None"}
    # a method of a class, called through the Builder's __call__: the ast in, the tree out
    (loop,) = by_function(first, "StmtBuilder.build_For")
    assert loop["locals"]["stmt"] == {"type": "ast", "node": "For",
                                      "where": "frontend_models.py:14", "code": "for x in xs:"}
    assert loop["locals"]["return"]["kind"] == "For"
    assert loop["locals"]["return"]["sexpr"].startswith("(for (list (variable (ident x)))")
    # JIT types by their annotation
    types = {s["locals"]["return"]["name"] for s in by_function(first, "try_ann_to_type")
             if s["locals"]["return"]}
    assert {"List[Tensor]", "Optional[float]", "Tensor", "float"} <= types
    # the run report shows the user's code being compiled, not only torch's frame
    assert "« frontend_models.py:14: for x in xs: »" in proc.stdout


def test_a_class_and_the_class_it_uses(tmp_path):
    out = tmp_path / "class.jsonl"
    proc = run_harness("run", "scenarios/class_walk.yaml", "-o", str(out), "--no-color")
    assert proc.returncode == 0, proc.stderr
    records = read_jsonl(out)
    assert records[0]["subject"] == "class"
    assert records[-1]["scripted"] == {"qualified_name": "__torch__.frontend_models.Box"}
    compiled = [s["locals"]["qualified_name"]
                for s in by_function(records, "_compile_and_register_class")]
    assert compiled == ["__torch__.frontend_models.Box", "__torch__.frontend_models.Pair"]
    classes = [s["locals"]["return"] for s in by_function(records, "get_jit_class_def")]
    assert [(c["kind"], c["name"], c["where"]) for c in classes] == [
        ("ClassDef", "Box", "frontend_models.py:48"), ("ClassDef", "Pair", "frontend_models.py:39")]
    resolved = {s["locals"]["expr"]: s["locals"]["return"]
                for s in by_function(records, "parseExpr")}
    assert resolved["Pair"] == {"type": "class", "name": "frontend_models.Pair"}


def test_a_decorated_function_is_compiled_in_the_factory(tmp_path):
    scenario = tmp_path / "decorated.yaml"
    scenario.write_text(f"""version: 1
name: decorated
model:
  factory: {MODELS}:make_decorated_function
breakpoints:
  - function: torch.jit.frontend.get_jit_def
    at: return
    capture: [def_name]
""")
    out = tmp_path / "decorated.jsonl"
    proc = run_harness("run", str(scenario), "-o", str(out), "--no-color")
    assert proc.returncode == 0, proc.stderr
    records = read_jsonl(out)
    # torch compiled it inside the factory, so stops came before the subject was known: the
    # header went first without it, and the end record says it
    assert records[0]["kind"] == "header" and records[0]["subject"] is None
    assert records[-1]["kind"] == "end" and records[-1]["subject"] == "function"
    assert snapshot.read(str(out)).subject == "function"
    assert [s["locals"]["def_name"] for s in stops_of(records)] == ["doubled", "scaled_total",
                                                                   "clamp_sum"]
    assert records[-1]["scripted"]["qualified_name"].endswith("doubled")


def test_the_modules_methods_torch_chose_and_their_stubs():
    records = read_jsonl(os.path.join(ROOT, "scenarios", "__snapshots__", "frontend-walk",
                                      "torch-2.13.jsonl"))
    root = [s for s in by_function(records, "infer_methods_to_compile") if s["subject"] == ""]
    assert root[0]["locals"]["methods"] == {"type": "list", "items": ["forward"]}
    stubs = {s["locals"]["return"]["method"]: s["locals"]["return"]
             for s in by_function(records, "make_stub")}
    assert stubs["seed_model.CustomModel.forward"]["source"] == "seed_model.py:46"
    # compiled on demand, because a compiled method calls it
    on_demand = [s["locals"]["fn"]["name"] for s in by_function(records, "compile_unbound_method")]
    assert "torch.nn.modules.conv.Conv2d._conv_forward" in on_demand
    (branch,) = by_function(records, "build_If")
    assert (branch["locals"]["stmt"]["code"]
            == "if self.branch_testing == True: # noqa: E712 - as in the seed")


def test_replay_and_the_page_show_the_users_code(tmp_path):
    golden = os.path.join(ROOT, "scenarios", "__snapshots__", "function-walk", "torch-2.13.jsonl")
    proc = run_harness("replay", golden, "--print", "--no-color")
    assert proc.returncode == 0, proc.stderr
    assert "scenario function-walk (function)" in proc.stdout
    assert "compiling frontend_models.py:14: for x in xs:" in proc.stdout
    page = tmp_path / "walk.html"
    proc = run_harness("report", golden, "-o", str(page))
    assert proc.returncode == 0, proc.stderr
    assert '"code":"frontend_models.py:14: for x in xs:"' in page.read_text()


def test_interactive_shows_the_construct_being_compiled(tmp_path):
    out = tmp_path / "live.jsonl"
    child = pexpect.spawn(sys.executable, ["-m", "harness", "run", "scenarios/function_walk.yaml",
                                           "-i", "-o", str(out)],
                          cwd=ROOT, encoding="utf-8", timeout=90, dimensions=(50, 200),
                          env=dict(os.environ, NO_COLOR="1", TERM="xterm"))
    child.expect(r"harness stop #0: torch\.jit\._script\.script enter")
    child.expect(PROMPT)
    child.sendline("c")
    child.expect(r"harness stop #1: torch\.jit\.frontend\.StmtBuilder\.build_Return return")
    child.expect(re.escape("compiling frontend_models.py:22: return clamp_sum(xs, None) * scale"))
    child.expect(r"stmt = ast\.Return frontend_models\.py:22")
    child.expect(PROMPT)
    child.sendline("p stmt.lineno")  # the live ast node, in the parsed text's own numbering
    child.expect(r"\b2\b")
    child.expect(PROMPT)
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()


def test_function_walk_across_torch_releases_reads_as_code_changes_only():
    proc = run_harness("diff", real_snapshot("function_walk", "1.13.1"),
                       real_snapshot("function_walk", "2.14.1"), "--no-color")
    assert proc.returncode == 1
    assert "29 stops paired, 0 changed, 0 only in A, 0 only in B" in proc.stdout


def test_frontend_walk_across_torch_releases_shows_what_torch_changed():
    proc = run_harness("diff", real_snapshot("frontend_walk", "1.13.1"),
                       real_snapshot("frontend_walk", "2.14.1"), "--no-color")
    assert proc.returncode == 1
    # torch respelled an annotation in Conv2d._conv_forward; shown where it differs
    assert "'… Tensor, bias: Optional[Tensor]):'  →  '… Tensor, bias: Tensor | None):'" \
        in proc.stdout
    # F.pad is compiled in 2.14.1 and not in 1.13.1
    assert "def_name='pad'" in proc.stdout
    # torch's own lines moved in every file: not reported as changes
    assert ".where:" not in proc.stdout and ".source:" not in proc.stdout


BAD = '''import torch

def helper(x: torch.Tensor) -> torch.Tensor:
    try:
        return x + 1
    except Exception:
        return x

def top(x: torch.Tensor) -> torch.Tensor:
    return helper(x) * 2

def make():
    return top
'''


def test_a_failing_function_is_diagnosed_as_a_function(tmp_path):
    (tmp_path / "bad.py").write_text(BAD)
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("version: 1\nname: bad\nmodel:\n  factory: bad.py:make\nbreakpoints:\n"
                        "  - function: torch.jit._recursive.try_compile_fn\n"
                        "    capture: [fn, loc]\n")
    out = tmp_path / "bad.jsonl"
    proc = run_harness("run", str(scenario), "-o", str(out), "--no-color")
    assert proc.returncode == 1
    records = read_jsonl(out)
    assert records[0]["subject"] == "function"
    diagnosis = records[-1]["diagnosis"]
    assert diagnosis["kind"] == "unsupported-syntax" and diagnosis["function"] == "helper"
    assert "initialised" not in diagnosis["summary"]  # a function has no modules to walk
    (stop,) = stops_of(records)  # the stop shows the user's call that brought helper in
    assert stop["locals"]["loc"] == {"type": "SourceRange", "where": "bad.py:10",
                                     "code": "helper"}
    assert diagnosis["stops"] == [stop["index"]]
