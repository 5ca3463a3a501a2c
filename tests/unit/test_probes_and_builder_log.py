"""The harness's probes (names, the failure trail) and the builder log, in-process on real
torch: a tiny model scripted under the engine the way session.py does it. Each model class is
defined inside its test, so torch compiles each once."""
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from harness.recording import backends, builder_log, probes, torch_values  # noqa: E402
from harness.recording.engine import Engine  # noqa: E402
from harness.recording.observer import RunObserver  # noqa: E402
from harness.recording.values import default_encoder  # noqa: E402
from harness.records import Tag  # noqa: E402


def script_watched(model, extra=()):
    """Script `model` under the engine with the run's probes (and `extra` (function, probe)
    pairs); returns (encoder, probes, error or None, the builders' calls, the refusals)."""
    encoder = torch_values.install(default_encoder())
    run_probes = probes.install(encoder, torch)
    for function, probe in extra:
        run_probes.add(function, probe)
    engine = Engine([], encoder, lambda rec: None, RunObserver(),
                    is_subject=lambda v: isinstance(v, nn.Module), probes=run_probes.by_code)
    tracer = backends.create("auto", engine)
    error = None
    with builder_log.recording_builders():
        tracer.start()
        try:
            torch_values.name_model(encoder, model)
            torch.jit.script(model)
        except Exception as exc:  # torch's own error: what the test looks at
            error = exc
        finally:
            tracer.stop()
        calls, refused = builder_log.calls_made(), builder_log.refusals()
    return encoder, run_probes, error, calls, refused


# -- probes ------------------------------------------------------------------------------------

def test_every_phase_function_of_this_torch_is_watched():
    run_probes = probes.install(torch_values.install(default_encoder()), torch)
    watched = {code.co_name for code in run_probes.by_code}
    assert {name.rsplit(".", 1)[-1] for name in probes.PHASES} <= watched


def test_a_function_another_torch_lacks_is_skipped_not_fatal():
    run_probes = probes.install(torch_values.install(default_encoder()), torch)
    before = dict(run_probes.by_code)
    run_probes.add("torch.jit._recursive.no_such_function_in_any_release", object())
    assert run_probes.by_code == before


def test_a_module_reached_only_through_an_attribute_is_named_after_it():
    class Helper(nn.Module):
        def forward(self, x):
            return x + 1

    class Owner(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.__dict__["helper"] = Helper()  # not a submodule: no model path

        def forward(self, x):
            return self.fc(x)

    model = Owner()
    encoder, _, error, _, _ = script_watched(model)
    assert error is None
    assert encoder.name_of(model.fc) == "fc"
    assert encoder.name_of(model) == ""
    assert encoder.name_of(model.__dict__["helper"]) == "helper"


def test_a_module_swapped_in_by_prepare_scriptable_takes_the_name_it_replaces():
    class Swapped(nn.Module):
        def forward(self, x):
            return x

    class Preparing(nn.Module):
        def __prepare_scriptable__(self):
            return self.replacement

        def forward(self, x):
            return x * 2

    class Top(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Preparing()

        def forward(self, x):
            return self.block(x)

    model = Top()
    replacement = Swapped()
    model.block.__dict__["replacement"] = replacement
    encoder, _, error, _, _ = script_watched(model)
    assert error is None
    assert encoder.name_of(replacement) == "block"


def test_the_trail_holds_the_walks_functions_an_exception_left_innermost_first():
    class Inner(nn.Module):
        def forward(self, x):
            return x * self.missing

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def forward(self, x):
            return self.inner(x)

    model = Outer()
    _, run_probes, error, _, _ = script_watched(model)
    assert error is not None
    trail = run_probes.trail.of(error)
    assert trail, "the exception left the walk's functions"
    assert trail[0].module is model.inner  # the innermost names the failing module
    assert trail[-1].module is model
    assert {u.function for u in trail} <= set(probes.PHASES)
    assert trail[0].phase == probes.PHASES[trail[0].function][0]


def test_the_trail_follows_an_error_raised_from_another():
    trail = probes.FailureTrail(nn.Module)
    cause = ValueError("inner")
    trail.note(cause, probes.Unwound(probes.PREPARE, "preparing", None))
    try:
        raise RuntimeError("outer") from cause
    except RuntimeError as exc:
        assert [u.function for u in trail.of(exc)] == [probes.PREPARE]
    assert trail.of(KeyError("unrelated")) == []


def test_the_trail_forgets_the_oldest_beyond_its_bound():
    trail = probes.FailureTrail(nn.Module)
    kept = [ValueError(i) for i in range(probes.MAX_TRAILS + 1)]
    for exc in kept:
        trail.note(exc, probes.Unwound(probes.PREPARE, "preparing", None))
    assert len(trail.trails) == probes.MAX_TRAILS
    assert trail.of(kept[0]) == [] and trail.of(kept[-1])


def test_a_probe_that_cannot_read_its_frame_does_nothing():
    naming = probes.ModuleNaming(torch_values.install(default_encoder()), nn.Module)
    naming.enter(object())  # no f_locals: best effort, never a failed run
    naming.leave(object(), None, None)
    watch = probes.FailureTrail(nn.Module).watcher(probes.PREPARE)
    watch.enter(object())
    watch.leave(object(), None, ValueError("x"))  # module_at fails on it: swallowed


# -- builder log -------------------------------------------------------------------------------

def test_the_builders_calls_are_logged_and_torchs_builder_put_back():
    original = torch._C.ConcreteModuleTypeBuilder

    class Logged(nn.Module):
        __constants__ = ["k"]
        __jit_ignored_attributes__ = ["debug"]

        def __init__(self):
            super().__init__()
            self.k = 3
            self.debug = object()
            self.fc = nn.Linear(2, 2)
            self.register_buffer("running", torch.zeros(2))

        def forward(self, x):
            return self.fc(x) * self.k + self.running

    model = Logged()
    _, _, error, calls, refused = script_watched(model)
    assert error is None and refused == []
    assert torch._C.ConcreteModuleTypeBuilder is original
    top = next(c for c in calls if c[0][1][:1] == (Logged,))
    names = [name for name, _ in top]
    assert names[0] == "__init__"
    assert "add_constant" in names and "add_module" in names and "add_attribute" in names
    summary = builder_log.summarise(top, torch_values.install(default_encoder()), 0,
                                    lambda ct: "ref")
    assert summary["type"] == Tag.BUILDER
    assert summary["py_class"].endswith("Logged")
    assert summary["modules"] == {"fc": "ref"}
    assert summary["attributes"]["running"]["is_buffer"] is True
    assert "k" in summary["constants"]
    assert "debug" in summary["ignored_attributes"]
    assert "failed_attributes" not in summary  # what stayed empty is left out


def test_a_failed_attribute_is_logged_with_torchs_hint():
    class Failing(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = [1, "two"]

        def forward(self, x):
            return x * len(self.scales)

    _, _, error, calls, _ = script_watched(Failing())
    assert error is not None
    top = next(c for c in calls if c[0][1][:1] == (Failing,))
    summary = builder_log.summarise(top, torch_values.install(default_encoder()), 0,
                                    lambda ct: "ref")
    assert "scales" in summary["failed_attributes"]


def test_a_refused_call_is_kept_with_torchs_own_error():
    class Refused(nn.Module):
        __jit_ignored_attributes__ = "debug"

        def forward(self, x):
            return x

    _, _, error, _, refused = script_watched(Refused())
    assert error is not None
    assert [r.method for r in refused] == ["add_ignored_attributes"]
    assert refused[0].error is error or refused[0].error in (error.__cause__, error.__context__)
    assert refused[0].args == ("debug",)


def test_summarise_reads_every_kind_of_call():
    calls = [("__init__", (nn.ModuleList,)), ("set_module_list", ()), ("set_poisoned", ()),
             ("add_function_attribute", ("f", "fn", None)),
             ("add_builtin_function", ("g", "aten::g")),
             ("add_ignored_attribute", ("a",)), ("add_overload", ("m", ["m1", "m2"])),
             ("add_forward_hook", ("h",)), ("add_forward_pre_hook", ("p",)),
             ("add_forward_hook", ("h2",))]
    summary = builder_log.summarise(calls, torch_values.install(default_encoder()), 0,
                                    lambda ct: "ref")
    assert summary["kind"] == "module_list" and summary["poisoned"] is True
    assert summary["functions"] == {"f": "fn"}
    assert summary["builtin_functions"] == {"g": "aten::g"}
    assert summary["ignored_attributes"] == ["a"]
    assert summary["overloads"] == {"m": ["m1", "m2"]}
    assert summary["hooks"] == 2 and summary["pre_hooks"] == 1


def test_calls_of_a_builder_made_outside_a_run_is_none():
    assert builder_log.calls_of(object()) is None
