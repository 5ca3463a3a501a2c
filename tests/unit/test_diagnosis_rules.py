"""Each rule of the diagnosis (harness/recording/diagnosis/), in-process, fed the real error of
a tiny model scripted under the harness's engine and probes the way session.py does it.

Every model class is defined inside its test: torch caches what it compiled by class, so a
class seen twice in this process would not fail the same way twice."""
import dataclasses
import functools
from typing import List, Optional

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from harness.recording import backends, builder_log, probes, torch_values  # noqa: E402
from harness.recording.diagnosis import StopNotes, diagnose  # noqa: E402
from harness.recording.diagnosis.notes import advice  # noqa: E402
from harness.records import Stop, Tag  # noqa: E402
from harness.recording.engine import Engine  # noqa: E402
from harness.recording.observer import RunObserver  # noqa: E402
from harness.recording.values import default_encoder  # noqa: E402
from harness.scenario import from_data  # noqa: E402

SCENARIO = from_data({
    "version": 1, "name": "unit", "model": {"factory": "harness.text:counted"},
    "breakpoints": [{"function": "torch.jit._recursive.infer_methods_to_compile"}]})


# Module-level on purpose: the rules find these through the methods' globals.
def _shifted(x, shift=None):
    return x if shift is None else x + shift


@dataclasses.dataclass
class _Pair:
    a: object
    b: object


class Run:
    """One in-process scripting under the harness's engine: the error torch raised, and
    what the probes and the builder log kept of it."""

    def __init__(self, model, phase="script"):
        self.model = model
        encoder = torch_values.install(default_encoder())
        self.probes = probes.install(encoder, torch)
        engine = Engine([], encoder, lambda rec: None, RunObserver(),
                        is_subject=lambda v: isinstance(v, nn.Module),
                        probes=self.probes.by_code)
        tracer = backends.create("auto", engine)
        self.error = None
        with builder_log.recording_builders():
            tracer.start()
            try:
                torch_values.name_model(encoder, model)
                torch.jit.script(model)
            except Exception as exc:  # torch's error: what the diagnosis reads
                self.error = exc
            finally:
                tracer.stop()
            self.builders = builder_log.calls_made()
            self.refusals = builder_log.refusals()
        assert self.error is not None, "the model scripted: nothing to diagnose"
        self.diagnosis = diagnose(self.error, phase, self.probes, self.builders, encoder,
                                  StopNotes(), SCENARIO, model)


def diagnosed(model):
    return Run(model).diagnosis


# -- the walk over the modules -----------------------------------------------------------------

def test_a_module_never_initialised_is_named_with_its_init():
    class NoSuper(nn.Module):
        def __init__(self):  # noqa: B026 - the bug under test
            self.k = 2

        def forward(self, x):
            return x

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(2, 2)

        def forward(self, x):
            return self.inner(x)

    model = Holder()
    model.__dict__["_modules"]["inner"] = NoSuper()
    d = diagnosed(model)
    assert d.kind == "uninitialized"
    assert d.method == "__init__" and d.module == "inner"
    assert "super().__init__()" in d.fix and "NoSuper" in d.fix
    assert d.where and "test_diagnosis_rules.py" in d.where


def test_a_value_the_type_builder_refuses_names_the_builder_call():
    class BadIgnored(nn.Module):
        __jit_ignored_attributes__ = "debug_log"

        def forward(self, x):
            return x

    d = diagnosed(BadIgnored())
    assert d.kind == "type-builder"
    assert "add_ignored_attributes" in d.summary
    assert "not a string" in d.fix


def test_a_prepare_scriptable_that_raises_is_named():
    class Preparing(nn.Module):
        def __prepare_scriptable__(self):
            raise ValueError("not ready")

        def forward(self, x):
            return x

    d = diagnosed(Preparing())
    assert d.kind == "prepare-scriptable"
    assert d.method == "__prepare_scriptable__"
    assert "Preparing.__prepare_scriptable__" in d.summary and "ValueError" in d.summary
    assert "test_diagnosis_rules.py" in (d.where or "")


def test_a_lambda_hook_is_named():
    class Hooked(nn.Module):
        def forward(self, x):
            return x

    model = Hooked()
    model.register_forward_hook(lambda m, i, o: None)
    d = diagnosed(model)
    assert d.kind == "hook"
    assert d.hook == "a lambda"
    assert "plain module-level function" in d.fix


def test_the_models_constructor_is_its_own_kind(tmp_path):
    try:
        {}["missing"]
    except KeyError as exc:
        error = exc
    encoder = torch_values.install(default_encoder())
    d = diagnose(error, "build", probes.install(encoder, torch), [], encoder, StopNotes(),
                 SCENARIO, None)
    assert d.kind == "model-constructor" and d.phase == "building the model"
    assert "KeyError" in d.summary and "test_diagnosis_rules.py" in d.where


# -- a module's attributes ---------------------------------------------------------------------

def test_an_attribute_never_set_is_missing():
    class UsesMissing(nn.Module):
        def forward(self, x):
            return x * self.scale

    d = diagnosed(UsesMissing())
    assert d.kind == "missing-attribute"
    assert d.attribute == "scale" and d.method == "forward"
    assert d.phase.startswith("compiling ") and d.phase.endswith("UsesMissing.forward")
    assert "set self.scale in" in d.fix


def test_a_python_list_of_modules_is_a_module_list():
    class PlainList(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2), nn.Linear(2, 2)]

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    d = diagnosed(PlainList())
    assert d.kind == "module-list" and d.attribute == "layers"
    assert "nn.ModuleList" in d.fix


def test_a_list_of_modules_annotated_is_a_module_list():
    class Annotated(nn.Module):
        layers: List[nn.Module]

        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]

        def forward(self, x):
            return x

    d = diagnosed(Annotated())
    assert d.kind == "module-list" and d.attribute == "layers"
    assert "List[nn.Module]" in d.summary or "List[Module]" in d.summary


def test_an_attribute_of_mixed_types_gets_its_type_advice():
    class Mixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = [1, "two", 3]

        def forward(self, x):
            return x * len(self.scales)

    d = diagnosed(Mixed())
    assert d.kind == "attribute-type" and d.attribute == "scales"
    assert "must share one type" in d.fix


def test_an_attribute_of_one_type_gets_its_annotation():
    class Table(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = {}

        def forward(self, x):
            return x * len(self.table)

    d = diagnosed(Table())
    assert d.kind == "attribute-type"
    assert "Dict[str, <value type>]" in d.fix


def test_nn_modules_internals_are_named():
    class Internals(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            for m in self._modules.values():
                x = m(x)
            return x

    d = diagnosed(Internals())
    assert d.kind == "module-internals" and d.attribute == "_modules"
    assert "self.children()" in d.fix


def test_a_partial_stored_on_the_module_is_a_function_attribute():
    def scale(x, by):
        return x * by

    class Partial(nn.Module):
        def __init__(self):
            super().__init__()
            self.fn = functools.partial(scale, by=2)

        def forward(self, x):
            return self.fn(x)

    d = diagnosed(Partial())
    assert d.kind == "function-attribute" and d.attribute == "fn"
    assert "functools.partial" in d.summary


def test_a_stored_function_that_fails_to_compile_keeps_its_own_error():
    def bad(x):
        return [y for y in {1, 2}]  # a set: TorchScript has none

    class Stored(nn.Module):
        def __init__(self):
            super().__init__()
            self.fn = bad

        def forward(self, x):
            return self.fn(x)

    d = diagnosed(Stored())
    assert d.kind == "function-attribute" and d.attribute == "fn"
    assert d.function.endswith("<locals>.bad")
    assert "test_diagnosis_rules.py" in d.where  # bad's own line, not forward's


# -- the code torch compiles -------------------------------------------------------------------

def test_a_try_block_is_unsupported_syntax():
    class Trying(nn.Module):
        def forward(self, x):
            try:
                x = x + 1
            except RuntimeError:
                pass
            return x

    d = diagnosed(Trying())
    assert d.kind == "unsupported-syntax" and d.construct == "a try block"
    assert d.method == "forward"
    assert "@torch.jit.ignore" in d.fix and "mark forward" not in d.fix


def test_a_lambda_in_a_helper_method_may_be_left_out_of_torchscript():
    class Lambda(nn.Module):
        def forward(self, x):
            return self.helper(x)

        def helper(self, x):
            f = lambda y: y + 1  # noqa: E731 - the construct under test
            return f(x)

    d = diagnosed(Lambda())
    assert d.kind == "unsupported-syntax" and d.construct == "a lambda"
    assert d.method == "helper" and "mark helper @torch.jit.ignore" in d.fix


def test_recursion_is_named():
    class Recursive(nn.Module):
        def forward(self, x):
            return self.down(x, 2)

        def down(self, x, n: int):
            if n == 0:
                return x
            return self.down(x, n - 1)

    d = diagnosed(Recursive())
    assert d.kind == "unsupported-syntax" and d.construct == "recursion"
    assert "loop" in d.fix


def test_next_and_iter_are_the_iterator_protocol():
    class Device(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return x.to(next(self.parameters()).device)

    d = diagnosed(Device())
    assert d.kind == "unsupported-syntax"
    assert d.construct == "the iterator protocol (next())" and d.method == "forward"
    assert "self.fc.weight.device" in d.fix


def test_a_python_builtin_call_is_uncompilable():
    class Builtin(nn.Module):
        def forward(self, x):
            open("weights.txt")
            return x

    d = diagnosed(Builtin())
    assert d.kind == "uncompilable-call"
    assert d.construct == "a call to open"
    assert "torch's own operation" in d.fix


def test_a_modulelist_indexed_by_a_variable_is_named():
    class Indexed(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

        def forward(self, x, i: int):
            return self.layers[i](x)

    d = diagnosed(Indexed())
    assert d.kind == "unsupported-syntax"
    assert d.construct == "a ModuleList indexed by a variable" and d.attribute == "layers"


def test_a_module_created_in_forward_is_named():
    class Creates(nn.Module):
        def forward(self, x):
            return nn.ReLU()(x)

    d = diagnosed(Creates())
    assert d.kind == "uncompilable-call"
    assert d.construct == "a module class instantiated in forward"
    assert "create the nn.ReLU once in __init__" in d.fix


def test_a_module_created_in_forward_is_named_when_its_class_is_a_submodule_too():
    # once torch compiled a ReLU submodule, its words for `nn.ReLU()` in forward change
    class CreatesAgain(nn.Module):
        def __init__(self):
            super().__init__()
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(nn.ReLU()(x))

    d = diagnosed(CreatesAgain())
    assert d.kind == "uncompilable-call"
    assert d.construct == "a module class instantiated in forward"
    assert "create the nn.ReLU once in __init__" in d.fix


def test_a_default_without_annotation_names_the_argument_and_its_type():
    class Default(nn.Module):
        def forward(self, x):
            return self.gem(x)

        def gem(self, x, p=3):
            return x * p

    d = diagnosed(Default())
    assert d.kind == "unannotated-argument" and d.construct == "argument p"
    assert "(p: int = 3)" in d.fix


def test_an_argument_taken_for_a_tensor_is_a_type_mismatch_naming_it():
    class Inferred(nn.Module):
        def forward(self, x):
            return self.repeat(x, 2)

        def repeat(self, x, times):
            return x.repeat(times)

    d = diagnosed(Inferred())
    assert d.kind == "type-mismatch" and d.construct == "argument times"
    assert "declare times with the type it receives" in d.fix


def test_a_type_mismatch_names_the_argument_expected_and_found():
    def scaled(x: torch.Tensor, s: float) -> torch.Tensor:
        return x * s

    class Mismatch(nn.Module):
        def forward(self, x):
            return scaled(x, "two")

    d = diagnosed(Mismatch())
    assert d.kind == "type-mismatch" and d.construct == "argument s"
    assert "pass a float for s at this call" in d.fix


def test_an_optional_attribute_used_unrefined_is_named():
    class OptionalBias(nn.Module):
        bias: Optional[torch.Tensor]

        def __init__(self):
            super().__init__()
            self.bias = None

        def forward(self, x):
            if self.bias is not None:
                return x + self.bias
            return x

    d = diagnosed(OptionalBias())
    assert d.kind == "optional-not-refined"
    assert d.attribute == "bias" and d.construct == "self.bias may be None"
    assert "copy the attribute to a local" in d.fix


def test_an_optional_argument_used_unrefined_is_named():
    class OptionalArg(nn.Module):
        def forward(self, x, mask: Optional[torch.Tensor] = None):
            return x + mask

    d = diagnosed(OptionalArg())
    assert d.kind == "optional-not-refined" and d.attribute is None
    assert d.construct == "mask may be None" and "if mask is not None:" in d.fix


def test_super_is_named():
    class Parent(nn.Module):
        def forward(self, x):
            return x + 1

    class Child(Parent):
        def forward(self, x):
            return super().forward(x)

    d = diagnosed(Child())
    assert d.kind == "unsupported-syntax" and d.construct == "super()"


def test_a_python_value_is_named():
    import sys

    class Prints(nn.Module):
        def forward(self, x):
            print(x, file=sys.stderr)
            return x

    d = diagnosed(Prints())
    assert d.kind == "uncompilable-call"
    assert d.construct == "a Python value (sys.stderr)" and d.method == "forward"


def test_an_optional_function_attribute_is_named():
    class OptionalAct(nn.Module):
        def __init__(self, act=None):
            super().__init__()
            self.act = act

        def forward(self, x):
            if self.act is not None:
                x = self.act(x)
            return x

    d = diagnosed(OptionalAct(torch.relu))
    assert d.kind == "function-attribute" and d.attribute == "act"
    assert "nn.Identity()" in d.fix


def test_a_failing_property_nothing_reads_is_listed_as_unused():
    class Prop(nn.Module):
        @property
        def size(self):
            return [i for i in {1, 2}]

        def forward(self, x):
            return x

    d = diagnosed(Prop())
    assert d.kind == "property", d
    assert d.property == "size" and "__jit_unused_properties__" in d.fix


def test_a_message_no_rule_explains_is_other_with_torchs_words():
    class Weird(nn.Module):
        def forward(self, x):
            return x.no_such_method_anywhere()

    d = diagnosed(Weird())
    assert d.kind == "other"
    assert d.reason and "torch raised" in d.summary
    # no stop shows it: the advice names the breakpoint that would
    assert "torch.jit._recursive.create_script_module_impl" in d.advice


def test_variadic_arguments_are_named():
    class Variadic(nn.Module):
        def forward(self, x):
            return self.total(x, x)

        def total(self, *xs):
            return xs[0]

    d = diagnosed(Variadic())
    assert d.kind == "unsupported-syntax" and d.construct == "variadic arguments"
    assert "fixed list of typed arguments" in d.fix


def test_a_free_function_defaulting_to_none_without_annotation_is_named():
    class CallsShifted(nn.Module):
        def forward(self, x):
            return _shifted(x)

    d = diagnosed(CallsShifted())
    assert d.kind == "unannotated-argument", d
    assert d.construct == "argument shift" and d.function == "_shifted"
    assert d.method == "forward" and "Optional[<its type>] = None" in d.fix


def test_a_dataclass_is_named_with_its_definition():
    class ReturnsPair(nn.Module):
        def forward(self, x):
            return _Pair(x, x)

    d = diagnosed(ReturnsPair())
    assert d.kind == "unsupported-syntax", d
    assert d.construct == "a dataclass" and "NamedTuple" in d.fix


# -- the stops that show it --------------------------------------------------------------------

def _stop(index, subject, locals_):
    return Stop(kind="stop", index=index, function="f", breakpoint=0, event="return", line=1,
                call=index, parent=None, depth=0, subject=subject, locals=locals_)


def test_the_stops_about_the_attribute_are_named_first():
    notes = StopNotes()
    notes.add(_stop(0, "blocks.0", {"name": "scales"}))
    notes.add(_stop(1, "blocks.0", {"name": "other"}))
    notes.add(_stop(2, "blocks.0", {"builder": {"type": Tag.BUILDER,
                                                "failed_attributes": {"scales": "hint"}}}))
    notes.add(_stop(3, "", {"m": {"type": Tag.NN_MODULE, "path": "blocks.0"}, "raise": {}}))
    assert notes.showing("blocks.0", "scales") == [0, 2]
    assert notes.showing("blocks.0", "nothing") == [3]  # those an exception left, first
    assert notes.showing("head") == []


def test_without_a_stop_raised_the_last_three_about_it_are_named():
    notes = StopNotes()
    for i in range(5):
        notes.add(_stop(i, "m", {}))
    assert notes.showing("m") == [2, 3, 4]


def test_notes_of_a_snapshot_that_cannot_be_read_are_empty(tmp_path):
    assert StopNotes.read(str(tmp_path / "absent.jsonl")).notes == []


def test_the_advice_is_left_out_when_the_scenario_has_the_breakpoint():
    assert advice("other", SCENARIO) is not None
    assert advice("hook", SCENARIO) is not None
    assert advice("other", from_data({
        "version": 1, "name": "unit", "model": {"factory": "harness.text:counted"},
        "breakpoints": [{"function": "torch.jit._recursive.create_script_module_impl"}]})) \
        is None
