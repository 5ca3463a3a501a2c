"""Each change `run --keep-going` makes, proven on real torch: a model failing that way, the
change chosen from a diagnosis shaped as the harness writes it, applied to a freshly built
model, and the model scripted (and called, where the change is about calling).

In this process: every model class is made anew inside its test, so torch's type caches never
carry a class from one test to another."""
import logging
from typing import List, Tuple

import pytest

from harness.records import Diagnosis
from harness.recording import remedies


def script_error(torch, model):
    with pytest.raises(Exception) as info:
        torch.jit.script(model)
    return info.value


class fresh:
    """Calls build a model from classes made anew by `classes()` each time: torch refuses to
    script a class again in the process where it failed ("Can't redefine method"), which is
    why keep-going's rounds each run in a fresh process."""

    def __init__(self, classes):
        self.classes = classes

    def __call__(self):
        return self.classes()()


def chosen(diagnosis, model, error, applied=()):
    change, why_not = remedies.choose(diagnosis, model, error, list(applied))
    assert change is not None, why_not
    # it travels between processes as JSON, and reads the same there
    assert remedies.Change.from_json(change.to_json()) == change
    return change


def diagnosis(kind, module="", **fields):
    return Diagnosis(kind=kind, phase="scripting", summary="", module=module, **fields)


def test_a_failing_property_is_left_out_through_jit_unused_properties(torch):
    Net = fresh(lambda: property_model(torch))
    error = script_error(torch, Net())
    # as the diagnosis of 0.2 says it: torch's own `parameters` failed, in module `block`
    change = chosen(diagnosis("method-compile", "block", method="parameters"), Net(), error)
    assert change.kind == "unused-property" and change.name == "count"
    assert change.describe() == "count listed in Block.__jit_unused_properties__ (module block)"
    # as the new diagnosis names it: the property; or the construct and torch's line only
    assert chosen(diagnosis("property", "block", property="count"), Net(), error) == change
    code = torch.nn.Module.parameters.__code__
    yield_line = max(n for _, _, n in code.co_lines() if n is not None)
    where = f"torch/nn/modules/module.py:{yield_line}"
    assert chosen(diagnosis("unsupported-syntax", "block", where=where,
                            construct="a yield (a generator)"), Net(), error) == change
    model = Net()
    change.apply(model)
    scripted = torch.jit.script(model)
    x = torch.ones(1, 4)
    assert torch.equal(scripted(x), model(x))


def property_model(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        @property
        def count(self):
            return sum(p.numel() for p in self.parameters())

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.block(x)

    return Net


def test_a_python_list_of_modules_is_wrapped_in_a_module_list(torch):
    nn = torch.nn

    class Stage(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [nn.Linear(4, 4), nn.ReLU()]

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for block in self.blocks:
                x = block(x)
            return x

    error = script_error(torch, Stage())
    for kind in ("attribute-type", "module-list"):
        change = chosen(diagnosis(kind, attribute="blocks"), Stage(), error)
        assert change.kind == "module-list"
        assert change.describe() == "blocks wrapped in nn.ModuleList"
    model = Stage()
    change.apply(model)
    scripted = torch.jit.script(model)
    x = torch.ones(1, 4)
    assert torch.equal(scripted(x), model(x))
    assert [name for name, _ in scripted.named_parameters()] == [
        "blocks.0.weight", "blocks.0.bias"]  # the names a hand-written ModuleList gives


def test_a_lambda_hook_is_removed_and_a_plain_function_hook_kept(torch):
    nn = torch.nn
    seen = []

    def kept(module, inputs: Tuple[torch.Tensor], output: torch.Tensor) -> torch.Tensor:
        return output + 1

    def build():
        model = nn.Sequential(nn.Linear(4, 4))
        model[0].register_forward_hook(kept)
        model[0].register_forward_hook(lambda m, i, o: seen.append(o))
        return model

    error = script_error(torch, build())
    change = chosen(diagnosis("hook", "0"), build(), error)
    assert change.kind == "remove-hook" and (change.name, change.index) == ("forward", 1)
    assert "<lambda>" in change.describe() and "module 0 removed" in change.describe()
    model = build()
    change.apply(model)
    assert list(model[0]._forward_hooks.values()) == [kept]
    scripted = torch.jit.script(model)
    x = torch.ones(1, 4)
    assert torch.equal(scripted(x), model(x))  # the hook that stayed still runs, scripted


def test_a_method_in_a_submodule_is_marked_unused_and_raises_only_if_called(torch):
    Net = fresh(lambda: helper_model(torch))
    error = script_error(torch, Net())
    model = Net()
    describe = type(model.helper).describe.__code__
    where = f"{describe.co_filename}:{describe.co_firstlineno}"
    # 0.2's diagnosis blames the root and names no method; the line torch marks finds it
    change = chosen(diagnosis("method-compile", where=where), model, error)
    assert (change.kind, change.module, change.name) == ("unused-method", "helper", "describe")
    assert change.describe() == ("Helper.describe marked @torch.jit.unused (module helper; "
                                 "it raises if called)")
    # the new diagnosis names the method being compiled and the function that fails in it:
    # the function is what is changed (marking `summary` would hide what else fails there)
    assert chosen(diagnosis("unsupported-syntax", method="summary",
                            function="Helper.describe"), model, error) == change
    model = Net()
    change.apply(model)
    scripted = torch.jit.script(model)
    x = torch.ones(1, 4)
    assert torch.equal(scripted(x), model(x))
    with pytest.raises(torch.jit.Error):
        scripted.summary(x)  # the cost, as the change says


def helper_model(torch):
    nn = torch.nn

    class Helper(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def describe(self, *parts):
            return len(parts)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.helper = Helper()

        @torch.jit.export
        def summary(self, x: torch.Tensor) -> int:
            return self.helper.describe(x, x)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.helper(x)

    return Net


def test_an_attribute_type_is_annotated_from_its_value(torch):
    nn = torch.nn

    class Sizes(nn.Module):
        def __init__(self):
            super().__init__()
            self.sizes = [[], [1, 2]]

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * len(self.sizes[1])

    error = script_error(torch, Sizes())
    change = chosen(diagnosis("attribute-type", attribute="sizes"), Sizes(), error)
    assert (change.kind, change.type) == ("annotate-attribute", "List[List[int]]")
    model = Sizes()
    change.apply(model)
    assert Sizes.__annotations__ == {"sizes": List[List[int]]}
    scripted = torch.jit.script(model)
    assert scripted.sizes == [[], [1, 2]]
    assert torch.equal(scripted(torch.ones(2)), torch.full((2,), 2.0))


def test_an_attribute_torch_cannot_type_is_left_out_through_jit_ignored_attributes(torch):
    nn = torch.nn

    class Logged(nn.Module):
        log: logging.Logger  # torch tries to compile logging.Logger for this, and fails

        def __init__(self):
            super().__init__()
            self.log = logging.getLogger("logged")
            self.fc = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(x)

    error = script_error(torch, Logged())
    # 0.2 says "other", naming no attribute: torch's infer_type frame on the traceback does
    change = chosen(diagnosis("other"), Logged(), error)
    assert (change.kind, change.name) == ("ignore-attribute", "log")
    model = Logged()
    change.apply(model)
    scripted = torch.jit.script(model)
    x = torch.ones(1, 4)
    assert torch.equal(scripted(x), model(x))


@pytest.mark.parametrize("value, expected", [
    ([1, 2], "List[int]"), ({"a": None, "b": 1.0}, "Dict[str, Optional[float]]"),
    ((1, "a"), "Tuple[int, str]"), ({"a": [], "b": [True]}, "Dict[str, List[bool]]"),
    ([], ""), ({}, ""), ([1, 2.0], ""), (None, ""), (object(), "")])
def test_a_type_is_named_only_where_the_value_shows_it(torch, value, expected):
    named = remedies.name_type(value)
    assert named.text == expected
    assert bool(named.why_not) == (not expected)


def test_no_change_for_the_roots_forward_nor_for_what_only_source_can_mend(torch):
    nn = torch.nn

    class Root(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            try:
                return x + 1
            except RuntimeError:
                return x

    error = script_error(torch, Root())
    change, why_not = remedies.choose(diagnosis("method-compile", method="forward"), Root(),
                                      error, [])
    assert change is None and "calling the model would fail" in why_not
    change, why_not = remedies.choose(diagnosis("uninitialized", "head"), Root(), error, [])
    assert change is None and why_not
    # a change already made that did not help is not proposed again
    stage = nn.Module()
    stage.blocks = [nn.Linear(2, 2)]
    made = chosen(diagnosis("attribute-type", attribute="blocks"), stage, error)
    change, why_not = remedies.choose(diagnosis("attribute-type", attribute="blocks"), stage,
                                      error, [made.to_json()])
    assert change is None and "already made in an earlier round" in why_not
