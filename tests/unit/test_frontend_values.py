"""The frontend's values: encoded from real torch objects, their short forms, the user's code a
stop shows, and how diff compares where they point."""
import ast
from typing import List

import pytest

from harness.compare import value_changes, comparable
from harness.records import Header, Stop, Tag
from harness.show.short import construct, short

torch = pytest.importorskip("torch")

from harness.recording import frontend_values, torch_values  # noqa: E402
from harness.recording.values import default_encoder  # noqa: E402


def helper(xs: List[int], limit: int) -> int:
    total = 0
    for x in xs:
        total = total + x
    return total


@pytest.fixture
def encoder():
    enc = torch_values.install(default_encoder())
    probes = []
    index = frontend_values.install(enc, torch, lambda fn, probe: probes.append((fn, probe)))
    enc.index = index
    return enc


def parsed(enc):
    """helper parsed as torch parses it, and noted by the harness's probe on parse_def."""
    from torch._sources import parse_def

    pd = parse_def(helper)
    frontend_values.ParsedDefProbe(enc.index).leave(None, pd, None)
    return pd


def test_an_ast_node_names_the_users_file_line_and_code(encoder):
    pd = parsed(encoder)
    loop = pd.ast.body[0].body[1]
    first = helper.__code__.co_firstlineno
    assert encoder.encode(loop) == {"type": "ast", "node": "For",
                                    "where": f"test_frontend_values.py:{first + 2}",
                                    "code": "for x in xs:"}
    # a node torch never parsed from a file: its code, without a place
    assert encoder.encode(ast.parse("y = 1").body[0]) == {"type": "ast", "node": "Assign",
                                                           "code": "y = 1"}


def test_a_tree_view_and_a_source_range(encoder):
    from torch.jit.frontend import get_jit_def

    tree = get_jit_def(helper, "helper")
    first = helper.__code__.co_firstlineno
    value = encoder.encode(tree)
    assert value["type"] == Tag.TREE_VIEW and value["kind"] == "Def" and value["name"] == "helper"
    assert value["where"] == f"test_frontend_values.py:{first}"
    assert value["code"].startswith("def helper(xs: List[int], limit: int) -> int:")
    assert value["sexpr"].startswith("(def (ident helper) (decl")
    assert "0x" not in str(value) and "/" not in value["where"]
    assert encoder.encode(tree.range())["where"] == value["where"]


def test_stubs_callbacks_and_compiled_functions(encoder):
    from torch.jit import _recursive

    class Model(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + 1

    stub = _recursive.make_stub(Model.forward, "forward")
    value = encoder.encode(stub)
    assert value["type"] == Tag.METHOD_STUB and value["def"] == "forward"
    assert value["method"].endswith("Model.forward")
    assert value["source"] == f"test_frontend_values.py:{Model.forward.__code__.co_firstlineno}"
    assert encoder.encode(stub.resolution_callback) == {"type": "ResolutionCallback",
                                                        "scope": "FromClosure"}
    assert encoder.encode(helper)["type"] == "function"  # other functions as before
    scripted = torch.jit.script(helper)
    assert encoder.encode(scripted) == {"type": "ScriptFunction",
                                        "qualified_name": scripted.qualified_name}
    list_type = torch._C.ListType(torch._C.TensorType.get())
    assert short(encoder.encode(list_type)) == "List[Tensor]"
    assert short(encoder.encode(torch._C.OptionalType(torch._C.IntType.get()))) == "Optional[int]"


def test_short_forms():
    assert short({"type": "ast", "node": "For", "where": "m.py:3", "code": "for x in xs:"}) \
        == "ast.For m.py:3"
    assert short({"type": "ast", "node": "Assign", "code": "y = 1"}) == "ast.Assign 'y = 1'"
    assert short({"type": "TreeView", "kind": "Def", "name": "f", "where": "m.py:1",
                  "sexpr": "(def (ident f))"}) == "Def f (def (ident f))"
    assert short({"type": "SourceRange", "where": "m.py:2", "code": "clamp_sum"}) \
        == "range m.py:2 'clamp_sum'"
    assert short({"type": "ScriptMethodStub", "method": "m.M.forward", "def": "forward",
                  "source": "m.py:9"}) == "stub m.M.forward @ m.py:9"
    assert short({"type": "ResolutionCallback", "scope": "FromClosure"}) \
        == "resolution callback (FromClosure)"
    assert short({"type": "ScriptFunction", "qualified_name": "__torch__.m.f"}) \
        == "<script function __torch__.m.f>"


def stop(**values):
    return Stop(kind="stop", index=0, function="f", breakpoint=0, event="return", line=1,
                call=0, parent=None, depth=0, subject=None, locals=values)


def test_a_stop_shows_the_construct_it_compiles_the_input_first():
    at = stop(ctx={"type": "SourceContext", "file": "m.py", "function": "f"},
              ret={"type": "TreeView", "kind": "For", "where": "m.py:3", "code": "for x",
                   "sexpr": "(for)"},
              stmt={"type": "ast", "node": "For", "where": "m.py:3", "code": "for x in xs:"})
    assert construct(at) == "m.py:3: for x in xs:"
    assert construct(stop(name="weights")) == ""


def test_diff_compares_torchs_own_lines_by_file_but_the_users_by_line():
    def stub(source):
        return {"type": "ScriptMethodStub", "method": "m.f", "def": "f", "source": source}

    assert value_changes(comparable(stub("torch/nn/modules/conv.py:454")),
                         comparable(stub("torch/nn/modules/conv.py:546"))) == []
    assert value_changes(comparable(stub("seed_model.py:23")), comparable(stub("seed_model.py:24")))


def test_a_header_without_a_subject_is_a_module_walk():
    data = {"kind": "header", "format": "harness-snapshot", "version": 1,
            "scenario": {"name": "s", "hash": "h"}}
    assert Header.from_json(data).subject == "module"
    assert Header.from_json({**data, "subject": "class"}).subject == "class"
