"""The seed's walk through torch.jit.script, as scenario data.

`scenarios/seed_walk.yaml` is the same walk as a file (a test keeps the two equal);
`harness run --model FILE:NAME` runs it on any model without writing YAML.
"""
from __future__ import annotations

BREAKPOINTS = [
    {"function": "torch.jit._script.call_prepare_scriptable_func_impl", "at": "enter",
     "capture": ["obj", "memo"]},
    {"function": "torch.jit._recursive.create_script_module", "at": "enter",
     "capture": ["nn_module", "share_types", "is_tracing"]},
    {"function": "torch.jit._recursive.check_module_initialized", "at": "enter",
     "capture": ["mod"]},
    {"function": "torch.jit._recursive.get_module_concrete_type", "at": "return",
     "capture": ["nn_module", "share_types", "concrete_type"]},
    {"function": "torch.jit._recursive.ConcreteTypeStore.get_or_create_concrete_type",
     "at": "return", "capture": ["nn_module", "nn_module_type", "known_types"]},
    {"function": "torch.jit._recursive.infer_concrete_type_builder", "at": "return",
     "capture": ["nn_module", "concrete_type_builder", "added_names", "class_annotations",
                 "user_annotated_ignored_attributes"]},
    {"function": "torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type",
     "at": "return", "capture": ["name", "item", "attr_type", "inferred"], "key": ["name"]},
    {"function": "torch.jit._recursive.create_script_module_impl", "at": "return",
     "capture": ["nn_module", "concrete_type"]},
]


def scenario_data(factory: str, args=(), name: str = "seed-walk", kwargs=None) -> dict:
    return {
        "version": 1,
        "name": name,
        "description": "The seed's walk through torch.jit.script, on " + factory,
        "model": {"factory": factory, "args": list(args), "kwargs": dict(kwargs or {})},
        "breakpoints": [dict(bp) for bp in BREAKPOINTS],
    }
