"""Script the seed model on a device, plain or recorded, and print what torch produced as JSON
(`script_info.describe`), with the forward's result.

    python device_script_info.py plain|harness DEVICE
"""
import json
import os
import random
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from script_info import describe  # noqa: E402  (puts the repository on the path too)

import torch  # noqa: E402

from harness import scenario as scenario_mod  # noqa: E402
from harness import shipped  # noqa: E402
from harness.recording import model_loader  # noqa: E402

mode, device = sys.argv[1], sys.argv[2]
scenario = scenario_mod.from_data(shipped.seed_walk_data(
    os.path.join(HERE, "on_device.py") + ":seed_on", [device], name="device"))
if mode == "harness":
    from harness.recording.session import record

    scripted = record(scenario, output=os.path.join(tempfile.mkdtemp(), "s.jsonl")).scripted
else:
    random.seed(0)
    torch.manual_seed(0)
    scripted = torch.jit.script(model_loader.load_factory(scenario.model)(device))
torch.manual_seed(1)
x = torch.randn(2, 3, 256, 256, device=device)
print(json.dumps(dict(describe(scripted), forward=scripted(x).float().sum().item())))
