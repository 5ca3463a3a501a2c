"""What torch made of a model, as JSON, for comparing keep-going's last round with a model
fixed by hand.

    python keep_going_info.py load FILE.pt              a module saved by `--save-scripted`
    python keep_going_info.py script FILE.py:FACTORY     the factory's model, scripted

Each in a fresh process (torch's type store is process-wide). `script` seeds as the harness
does before building, so both have the same weights. The output: every submodule's qualified
type name and code, the parameters, and the output on a fixed input.
"""
import json
import os
import random
import sys
import warnings

warnings.simplefilter("ignore")

import torch  # noqa: E402


def code(module):
    try:
        return module.code
    except AttributeError:  # a container (ModuleList) has no forward, so no code
        return None


def describe(module):
    return {
        "modules": {path: {"type": m._c._type().qualified_name(), "code": code(m)}
                    for path, m in module.named_modules()},
        "parameters": {name: p.tolist() for name, p in module.named_parameters()},
        "output": module(torch.ones(1, 4)).tolist(),
    }


def main(mode, target):
    if mode == "load":
        return describe(torch.jit.load(target))
    file, factory = target.rsplit(":", 1)
    sys.path.insert(0, os.path.dirname(file))
    module = __import__(os.path.splitext(os.path.basename(file))[0])
    random.seed(0)
    torch.manual_seed(0)
    return describe(torch.jit.script(getattr(module, factory)()))


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
