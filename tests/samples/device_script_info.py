"""Script the seed model on a device, plain or recorded, and print what torch produced as JSON:
each submodule's type and code, the saved archive's digest, and the forward's result.

    python device_script_info.py plain|harness DEVICE
"""
import hashlib
import io
import json
import os
import random
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
warnings.simplefilter("ignore")

import torch  # noqa: E402

from harness import scenario as scenario_mod  # noqa: E402
from harness.recording import model_loader, seed_walk  # noqa: E402

mode, device = sys.argv[1], sys.argv[2]
scenario = scenario_mod.from_data(seed_walk.scenario_data(
    os.path.join(HERE, "on_device.py") + ":seed_on", [device], name="device"))
if mode == "harness":
    from harness.recording.session import record

    scripted = record(scenario, output=os.path.join(tempfile.mkdtemp(), "s.jsonl")).scripted
else:
    random.seed(0)
    torch.manual_seed(0)
    scripted = torch.jit.script(model_loader.load_factory(scenario.model)(device))
modules = {}
for name, m in scripted.named_modules():
    try:
        code = m.code
    except Exception as exc:  # a module without forward has no code
        code = f"<{type(exc).__name__}>"
    modules[name] = [m._c._type().qualified_name(), code]
buffer = io.BytesIO()
torch.jit.save(scripted, buffer)
torch.manual_seed(1)
x = torch.randn(2, 3, 256, 256, device=device)
print(json.dumps({"modules": modules, "archive": hashlib.sha256(buffer.getvalue()).hexdigest(),
                  "forward": scripted(x).float().sum().item()}))
