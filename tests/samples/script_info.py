"""Script a scenario's model one way and print what torch produced, as JSON.

    python script_info.py plain SCENARIO      torch.jit.script alone
    python script_info.py harness SCENARIO    under `harness` recording (in this process)
    python script_info.py harness/B SCENARIO  the same with backend B (instrument, settrace...)
    python script_info.py build SCENARIO      under a naive observer that calls builder.build()

Each mode runs in a fresh process (torch's type store is process-wide) with the same
PYTHONHASHSEED. The output: every submodule's qualified type name and TorchScript code, and a
digest of the archive torch.jit.save writes.
"""
import hashlib
import io
import json
import os
import random
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
warnings.simplefilter("ignore")

import torch  # noqa: E402

from harness import scenario as scenario_mod  # noqa: E402
from harness.recording import model_loader  # noqa: E402


def build(spec):
    factory = model_loader.load_factory(spec)
    random.seed(spec.seed)
    torch.manual_seed(spec.seed)
    return factory(*spec.args, **spec.kwargs)


def naive_build_observer():
    """What the design brief warns against: looking inside a builder by building it."""
    from torch.jit import _recursive

    watched = _recursive.infer_concrete_type_builder.__code__

    def local(frame, event, arg):
        if event == "return" and arg is not None:
            arg.build()
        return local

    def trace(frame, event, arg):
        return local if frame.f_code is watched else None

    sys.settrace(trace)


def main(mode, path):
    scenario = scenario_mod.load(path)
    if mode.split("/")[0] == "harness":  # harness, or harness/BACKEND
        from harness.recording.session import record

        out = os.path.join(tempfile.mkdtemp(), "s.jsonl")
        backend = mode.split("/", 1)[1] if "/" in mode else "auto"
        scripted = record(scenario, output=out, backend=backend).scripted
    else:
        from harness.recording import subjects

        model = build(scenario.model)
        if mode == "build":
            naive_build_observer()
        scripted = subjects.script(torch, model)  # a plain torch.jit.script, as a user calls it
        sys.settrace(None)
    print(json.dumps(describe(scripted)))


def describe(scripted) -> dict:
    """What torch produced: every submodule's type and code, and the saved archive's digest;
    for a function its code, graph and archive; for a class each method's code and graph."""
    if isinstance(scripted, torch.jit.ScriptFunction):
        buffer = io.BytesIO()
        torch.jit.save(scripted, buffer)
        return {"function": scripted.qualified_name, "code": scripted.code,
                "graph": str(scripted.graph),
                "archive_sha256": hashlib.sha256(buffer.getvalue()).hexdigest()}
    if isinstance(scripted, type):
        name = torch._jit_internal._qualified_name(scripted)
        unit = torch.jit._state._python_cu
        methods = {}
        for method in unit.get_class(name).method_names():
            fn = unit.find_function(f"{name}.{method}")
            methods[method] = {"code": fn.code, "graph": str(fn.graph)}
        return {"class": name, "methods": methods}
    modules = {}
    for name, m in scripted.named_modules():
        try:
            code = m.code
        except Exception as exc:  # a module without forward has no code
            code = f"<{type(exc).__name__}>"
        modules[name] = {"type": m._c._type().qualified_name(), "code": code}
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    return {"modules": modules, "archive_sha256": hashlib.sha256(buffer.getvalue()).hexdigest()}


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
