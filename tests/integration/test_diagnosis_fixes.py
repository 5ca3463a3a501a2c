"""Every fix the diagnosis advises, applied: for a model failing each way, the diagnosis's kind
and the phrase of its fix, then the model with that fix applied scripts and runs. With the
corpus of reported failures (test_diagnosis_corpus.py), every kind of advice
harness/recording/diagnosis/fixes.py can print is proven here. The costs the advice states
are checked too: a method marked @torch.jit.ignore runs in Python and the module can no longer
be saved; one marked @torch.jit.unused keeps it saveable but raises when called."""
import io
import os
import sys

import pytest

from helpers import SAMPLES

FIXES = os.path.join(SAMPLES, "diagnosis_fixes.py")

# name: failing model, kind, a phrase of the fix, the fixed model (None: see its own test)
CASES = {
    "missing-attribute": ("Gain", "missing-attribute", "set self.gain in Gain.__init__",
                          "GainFixed"),
    "uninitialized": ("NoInit", "uninitialized", "call super().__init__() first thing",
                      "NoInitFixed"),
    "prepare-scriptable": ("Prepare", "prepare-scriptable", "or remove it", "PrepareFixed"),
    "type-builder": ("IgnoredString", "type-builder", "must be a list of attribute names",
                     "IgnoredStringFixed"),
    "function-attribute": ("StoredFunction", "function-attribute",
                           "call it directly as a module-level function", "StoredFunctionFixed"),
    "partial-attribute": ("StoredPartial", "function-attribute",
                          "call it directly as a module-level function", "StoredPartialFixed"),
    "mixed-list": ("MixedList", "attribute-type", "typed attributes", "MixedListFixed"),
    "empty-list": ("TypedList", "attribute-type", "history: List[<element type>]",
                   "TypedListFixed"),
    "lambda-pre-hook": ("PreHook", "hook", "a pre-hook: hook(module, input: Tuple[Tensor]) -> None",
                        "PreHookFixed"),
    "hook-removed": ("PreHook", "hook", "remove the hook (its handle's .remove())",
                     "PreHookRemoved"),
    "parameters": ("Params", "module-internals", "use the parameters by name", "ParamsFixed"),
    "buffers": ("Buffers", "module-internals", "use the buffers by name", "BuffersFixed"),
    "lambda": ("Lambda", "unsupported-syntax", "named function defined at module level",
               "LambdaFixed"),
    "set-comprehension": ("SetComp", "unsupported-syntax", "use a list", "SetCompFixed"),
    "iter": ("Iter", "unsupported-syntax", "iterate with a for loop", "IterFixed"),
    "python-call": ("Jitter", "uncompilable-call", "move that code into a helper method marked "
                                                   "@torch.jit.ignore", "JitterFixed"),
    "recursion": ("Recursive", "unsupported-syntax", "rewrite the recursion as a loop",
                  "RecursiveLoop"),
    "helper-ignored": ("TryHelper", "unsupported-syntax", "mark safe_log @torch.jit.ignore",
                       "TryHelperIgnored"),
    "variable-type": ("Annotated", "type-mismatch", "pass an int for shift", "AnnotatedFixed"),
}


@pytest.fixture(scope="module")
def models():
    sys.path.insert(0, SAMPLES)
    try:
        import diagnosis_fixes
        yield diagnosis_fixes
    finally:
        sys.path.remove(SAMPLES)


def inputs(torch, name):
    return ([torch.ones(2, 4)],) if name == "iter" else (torch.ones(2, 4),)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_fix_the_diagnosis_advises_works(name, tmp_path, models):
    import torch

    import harness

    failing, kind, phrase, fixed = CASES[name]
    snap = harness.run({"version": 1, "name": name, "model": {"factory": f"{FIXES}:{failing}"},
                        "breakpoints": [{"function": "torch.jit._recursive.create_script_module",
                                         "at": "enter", "capture": ["nn_module"]}]},
                       output=str(tmp_path / "s.jsonl"), in_process=True)
    diagnosis = snap.diagnosis
    assert (snap.outcome, diagnosis.kind) == ("error", kind), diagnosis.to_json()
    assert phrase in diagnosis.fix, diagnosis.fix
    assert "mark forward" not in diagnosis.fix  # ignoring forward: scripting passes, calls fail
    scripted = torch.jit.script(getattr(models, fixed)())
    scripted(*inputs(torch, name))


def test_what_ignore_and_unused_cost_is_what_the_advice_says(models):
    """@torch.jit.ignore: scripted code calls it (in Python), the module cannot be saved;
    @torch.jit.unused: the module saves, and calling it raises."""
    import torch

    from harness.recording.diagnosis import fixes

    assert "scripted code can call it" in fixes.IGNORE_COST
    ignored = torch.jit.script(models.TryHelperIgnored())
    assert torch.equal(ignored(torch.ones(2)), torch.zeros(2))  # log(1), run in Python
    with pytest.raises(RuntimeError):  # measured with torch 2.13
        torch.jit.save(ignored, io.BytesIO())
    unused = torch.jit.script(models.TryHelperUnused())
    torch.jit.save(unused, io.BytesIO())
    with pytest.raises(torch.jit.Error):  # what the unused method's body raises
        unused(torch.ones(2))


def test_a_message_no_rule_explains_is_other_with_torch_words_and_no_guess(tmp_path, models):
    import harness

    snap = harness.run({"version": 1, "name": "other",
                        "model": {"factory": f"{FIXES}:ClassAttribute"},
                        "breakpoints": [{"function": "torch.jit._recursive.create_script_module",
                                         "at": "enter", "capture": ["nn_module"]}]},
                       output=str(tmp_path / "s.jsonl"), in_process=True)
    d = snap.diagnosis
    assert (d.kind, d.module, d.method) == ("other", "", "forward")
    assert "'scale' is defined as a class attribute" in d.reason
    assert "0x…" in d.reason and d.where.startswith("diagnosis_fixes.py:")
    assert "@torch.jit" not in d.fix and "annotate" not in d.fix  # no advice of a change
