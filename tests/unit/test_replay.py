"""The replay shell and --print, in this process, on a committed torch 1.13.1 recording:
each command's own output is checked, not what an earlier one printed."""
import io

import pytest

from harness import snapshot
from harness.show.render import Style
from harness.show.replay import PathError, ReplayShell, lookup, print_snapshot
from helpers import real_snapshot

SEED_113 = real_snapshot("seed_walk", "1.13.1")


@pytest.fixture(scope="module")
def snap():
    return snapshot.read(SEED_113)


def run_commands(snap, *commands):
    """Each command's output, in order (the greeting first)."""
    out = io.StringIO()
    shell = ReplayShell(snap, Style(False), stdin=io.StringIO(""), stdout=out)
    shell.preloop()
    outputs = [out.getvalue()]
    for command in commands:
        out.seek(0)
        out.truncate()
        stop = shell.onecmd(command)
        shell.postcmd(stop, command)
        outputs.append(out.getvalue())
    return shell, outputs


def test_step_print_list_where(snap):
    shell, out = run_commands(snap, "n", "f infer_type", "p item", "g 66", "p attr_type",
                              "p attr_type.jit_type", "l 2", "w", "b", "pp name",
                              "ls create_script", "p nosuch")
    greeting, n, f, p_item, g, p_attr, p_jit, l2, w, b, pp_name, ls, p_nosuch = out
    assert "torch 1.13.1+cu117" in greeting and "#0    · call_prepare" in greeting
    assert n.startswith("#1    · call_prepare_scriptable_func_impl enter layer1")
    assert f.startswith("#15   ↳ infer_type return <root>")
    assert p_item.startswith("item = <layer1: Sequential>")
    assert g.startswith("#66   ✓ infer_type return custom_layer1  name='weights'")
    assert p_attr.startswith("attr_type = ✓ Tensor") and "success: True" in p_attr
    assert p_jit.strip() == "attr_type.jit_type = 'Tensor'"
    assert "->" in l2 and "return attr_type, inferred" in l2  # source from the snapshot
    assert "infer_concrete_type_builder custom_layer1" in w  # the parent call
    assert w.splitlines()[-1].startswith("> #66")
    assert b.startswith("#65 ")
    assert pp_name.strip() == '"custom_layer1"'  # stop #65's own name, in full
    assert ls.count("create_script_module") == 14 and "infer_type" not in ls
    assert p_nosuch.startswith("no captured local 'nosuch' at this stop")
    assert shell.prompt == "(replay #65) "


def test_moving_past_either_end_says_so(snap):
    _, out = run_commands(snap, "b", "g 999", "g 150", "n", "f no_such_function")
    assert out[1].strip() == "already at the first stop"
    assert out[2].strip() == "no stop #999 (stops #0 to #150)"
    assert out[4].strip() == "already at the last stop"
    assert out[5].strip() == "no stop of a function matching 'no_such_function'"


def test_lookup_goes_into_dicts_lists_and_fields(snap):
    stop = snap.stops[5]
    whole = lambda name: snap.value(stop, name)  # noqa: E731 (memo, put back together)
    assert lookup(stop.locals, "memo[id(layer1)]", whole)["path"] == "layer1"
    assert lookup(snap.stops[66].locals, "attr_type.success") is True
    with pytest.raises(PathError, match="no key 'nothing'"):
        lookup(stop.locals, "memo[nothing]", whole)
    with pytest.raises(PathError, match="use .field or \\[key\\]"):
        lookup(stop.locals, "memo!")


def test_print_shows_a_grown_memo_whole(snap):
    _, out = run_commands(snap, "g 12", "p memo")
    assert out[2].startswith("memo = {id(<root>): <<root>: CustomModel>, id(layer1)")
    assert len(out[2].splitlines()) == 13  # the line, then its 12 entries


def test_print_one_stop_or_one_function(snap):
    out = io.StringIO()
    assert print_snapshot(snap, Style(False), out, stop_index=66) == 0
    assert "name='weights'" in out.getvalue() and '"jit_type": "Tensor"' in out.getvalue()
    out = io.StringIO()
    print_snapshot(snap, Style(False), out, function="create_script_module_impl")
    assert out.getvalue().count("create_script_module_impl return") == 13
