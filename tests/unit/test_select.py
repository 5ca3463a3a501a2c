"""Finding a stop by where it is: the API's selection by module path (two modules of one class,
told apart), and replay's `ls` by module path and by text, on the committed seed recording."""
import io
import os

import pytest

import harness
from harness.show.render import Style
from harness.show.replay import ReplayShell
from helpers import ROOT

SEED = os.path.join(ROOT, "scenarios", "__snapshots__", "seed-walk", "torch-2.13.jsonl")


@pytest.fixture(scope="module")
def snap():
    return harness.load(SEED)


def test_two_modules_of_one_class_are_told_apart_by_path(snap):
    first = snap.stop("infer_concrete_type_builder", module="layer1.0")
    second = snap.stop("infer_concrete_type_builder", module="layer2.0")
    assert first.locals["nn_module"]["class"] == second.locals["nn_module"]["class"]
    assert (first.subject, second.subject) == ("layer1.0", "layer2.0")
    assert {s.subject for s in snap.stops_at("layer2.0")} == {"layer2.0"}
    assert snap.stops_at("layer2.0", "infer_type") == snap.select("infer_type", module="layer2.0")
    weight = snap.stop("infer_type", module="layer2.0", name="weight")
    assert snap.select(index=weight.index) == [weight]
    assert [s.subject for s in snap.select("infer_concrete_type_builder",
                                           module="layer2.*")] == [
        "layer2.0", "layer2.1", "layer2.2"]
    assert snap.stop("infer_concrete_type_builder", module="<root>").subject == ""
    assert snap.stop("infer_concrete_type_builder", module="") == \
        snap.stop("infer_concrete_type_builder", module="<root>")


def test_a_module_that_matches_nothing_names_the_modules_there_are(snap):
    with pytest.raises(LookupError) as caught:
        snap.stop("infer_concrete_type_builder", module="layer9")
    assert "0 stops match 'infer_concrete_type_builder', module='layer9'" in str(caught.value)
    assert "stops were made at <root>, condition_func1" in str(caught.value)
    assert snap.modules()[:3] == ["", "layer1", "layer1.0"]


def ls(snap, *commands):
    out = io.StringIO()
    shell = ReplayShell(snap, Style(False), stdout=out)
    results = []
    for command in commands:
        out.truncate(0)
        out.seek(0)
        shell.onecmd(command)
        results.append(out.getvalue().splitlines())
    return results


def test_replay_ls_by_module_path_by_text_and_saying_when_nothing_matches(snap):
    at_module, by_text, root, nothing, pattern = ls(
        snap, "ls @layer2.0", "ls CONV2D", "ls @", "ls leaf", "ls @layer9*")
    assert at_module and all(" layer2.0 " in line for line in at_module)
    assert len(at_module) == len(snap.stops_at("layer2.0"))
    assert by_text and all("conv2d" in line.lower() for line in by_text)
    assert root and all(" <root> " in line for line in root)
    assert nothing == ["no stop matches by function, module path or text: 'leaf'; the stops "
                       "were made at <root>, layer1, layer1.0, layer1.1, layer2, layer2.0, "
                       "layer2.1, layer2.2, custom_layer1, flatten, fc1, condition_func1, … 1 "
                       "more"]
    assert pattern[0].startswith("no stop matches at module 'layer9*'")
