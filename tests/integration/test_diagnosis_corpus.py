"""The diagnosis on scripting failures rebuilt from public reports (tests/samples/
diagnosis_corpus.py): for each, the kind, the module path, the thing to edit, that the advice
says the change the fixed twin makes, and that the fixed twin scripts and runs.

    .venv/bin/python -m pytest -n 0 -q tests/integration/test_diagnosis_corpus.py

counts how many the diagnosis gets right (one test each). The models record in this process
(one torch import for all); each class is scripted once, so torch's caches do not mix them.
"""
import os
import sys

import pytest

from helpers import SAMPLES

CORPUS = os.path.join(SAMPLES, "diagnosis_corpus.py")
X = ("x",)  # a (2, 4) tensor
IMAGE = ("image",)  # a (1, 1, 4, 4) tensor

# name: failing model, kind, module path, (field, value) to edit, a phrase of the fix, the
# fixed model, its inputs
CASES = {
    "modules-values": ("DenseNet", "module-internals", "features.0", ("attribute", "_modules"),
                       "self.children()", "DenseNetFixed", X),
    "property-next": ("Parseq", "property", "decoder", ("property", "_device"),
                      '__jit_unused_properties__ = ["_device"]', "ParseqFixed", X),
    "gem-defaults": ("GeoLocalizationNetGeM", "unannotated-argument", "aggregation.1",
                     ("function", "gem"), "p: int = 3", "GeoLocalizationNetGeMFixed", IMAGE),
    "normalize-int": ("GeoLocalizationNetNorm", "type-mismatch", "aggregation.4",
                      ("method", "forward"), "pass a float for p", "GeoLocalizationNetGeMFixed",
                      IMAGE),
    "super-forward": ("Encoder", "unsupported-syntax", "proj", ("construct", "super()"),
                      "F.linear(x, self.weight, self.bias)", "EncoderFixed", X),
    "next-parameters": ("Wrapper", "unsupported-syntax", "encoder.1",
                        ("construct", "the iterator protocol (next())"),
                        "self.fc.weight.device", "WrapperFixed", X),
    "moduledict-key": ("WideDeep", "unsupported-syntax", "tower", ("attribute", "heads"),
                       "self.heads.items()", "WideDeepFixed", X),
    "modulelist-index": ("Refiner", "unsupported-syntax", "refine", ("attribute", "stages"),
                         "enumerate", "RefinerFixed", X),
    "getattr-built-name": ("Detector", "unsupported-syntax", "body",
                           ("construct", "getattr with a name built at run time"),
                           "nn.ModuleList", "DetectorFixed", X),
    "list-of-modules": ("RNNStack", "module-list", "rnn", ("attribute", "cells"),
                        "self.cells = nn.ModuleList", "RNNStackFixed", X),
    "list-annotation": ("AnnotatedStack", "module-list", "rnn", ("attribute", "cells"),
                        "self.cells = nn.ModuleList", "RNNStackFixed", X),
    "optional-attribute": ("Head", "optional-not-refined", "norm", ("attribute", "bias"),
                           "bias = self.bias", "HeadFixed", X),
    "optional-argument": ("AttentionLayer", "optional-not-refined", "scores",
                          ("construct", "mask may be None"), "if mask is not None",
                          "AttentionLayerFixed", X),
    "free-none-default": ("Transformer", "unannotated-argument", "blocks.0.attn",
                          ("function", "attend"), "mask: Optional[", "TransformerFixed", X),
    "lambda-hook": ("ResNetish", "hook", "layer4", ("hook", "a lambda"),
                    "input: Tuple[Tensor], output: Tensor", "ResNetishFixed", X),
    "optional-callable": ("Stage", "function-attribute", "conv", ("attribute", "act"),
                          "nn.Identity()", "StageFixed", X),
    "config-dict": ("Classifier", "attribute-type", "pooler", ("attribute", "config"),
                    "typed attributes", "ClassifierFixed", X),
    "empty-cache-dict": ("Decoder", "attribute-type", "step", ("attribute", "cache"),
                         "cache: Dict[str, <value type>]", "DecoderFixed", X),
    "generator-sum": ("MultiScale", "unsupported-syntax", "reduce",
                      ("construct", "a generator expression"), "for loop", "MultiScaleFixed", X),
    "dataclass-output": ("Model", "unsupported-syntax", "head", ("construct", "a dataclass"),
                         "NamedTuple", "ModelFixed", X),
    "module-in-forward": ("Mlp", "uncompilable-call", "act",
                          ("construct", "a module class instantiated in forward"),
                          "once in __init__", "MlpFixed", X),
    "variadic-forward": ("Fusion", "unsupported-syntax", "merge",
                         ("construct", "variadic arguments"), "fixed list of typed arguments",
                         "FusionFixed", X),
    "recursion": ("TreeNet", "unsupported-syntax", "tree", ("method", "reduce"), "loop",
                  "TreeNetFixed", X),
    "with-block": ("Pipeline", "unsupported-syntax", "post", ("construct", "a with statement"),
                   "remove the with block", "PipelineFixed", X),
    "print-to-stderr": ("Traced", "uncompilable-call", "debug",
                        ("construct", "a Python value (sys.stderr)"), "@torch.jit.ignore",
                        "TracedFixed", X),
    "try-block": ("Normalizer", "unsupported-syntax", "norms.1", ("construct", "a try block"),
                  "remove the try block", "NormalizerFixed", X),
}


def _inputs(torch, kind):
    return ((torch.randn(2, 4),) if kind == X else (torch.randn(1, 1, 4, 4),))


@pytest.fixture(scope="module")
def corpus():
    sys.path.insert(0, SAMPLES)
    try:
        import diagnosis_corpus
        yield diagnosis_corpus
    finally:
        sys.path.remove(SAMPLES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_diagnosis_of_a_reported_failure_is_right_and_its_fix_works(name, tmp_path, corpus):
    import torch

    import harness

    failing, kind, module, (field, value), phrase, fixed, inputs = CASES[name]
    snap = harness.run({"version": 1, "name": name,
                        "model": {"factory": f"{CORPUS}:{failing}"},
                        "breakpoints": [{"function": "torch.jit._recursive.create_script_module",
                                         "at": "enter", "capture": ["nn_module"]}]},
                       output=str(tmp_path / "s.jsonl"), in_process=True)
    assert snap.outcome == "error"
    d = snap.diagnosis
    got = (d.kind, d.module, getattr(d, field))
    assert got == (kind, module, value), d.to_json()
    assert phrase in d.fix, d.fix
    assert d.where is None or d.where.startswith("diagnosis_corpus.py:"), d.where
    assert d.reason and not d.reason.endswith(":")
    if "ignore" not in d.fix or "forward" not in (d.method or ""):
        assert "mark forward @torch.jit" not in d.fix  # never advise ignoring forward
    scripted = torch.jit.script(getattr(corpus, fixed)())
    scripted(*_inputs(torch, inputs))  # the fixed model scripts, and runs
