"""A model whose parameters live on a GPU: the snapshot says where each tensor is and
fingerprints the same contents alike wherever they are, and the scripted module is the same
with and without the harness. Skipped where torch sees no CUDA device (CI); run on a machine
with one."""
import json
import os
import subprocess
import sys

import pytest

import harness
from harness import shipped
from helpers import SAMPLES

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="no CUDA device here: these check the harness on a GPU")
FACTORY = os.path.join(SAMPLES, "on_device.py") + ":seed_on"


def test_tensors_on_the_gpu_keep_their_device_and_their_fingerprint(tmp_path):
    snaps = {device: harness.run(shipped.seed_walk_data(FACTORY, [device], name="seed-on"),
                                 output=str(tmp_path / f"{device}.jsonl"))
             for device in ("cpu", "cuda")}
    for snap in snaps.values():
        assert snap.outcome == "ok" and len(snap.stops) == 151
    on_cpu = snaps["cpu"].stop("infer_type", name="weights").locals["item"]
    on_gpu = snaps["cuda"].stop("infer_type", name="weights").locals["item"]
    assert (on_cpu["device"], on_gpu["device"]) == ("cpu", "cuda:0")
    assert on_cpu["digest"] == on_gpu["digest"]  # same numbers, read through a copy
    report = harness.diff(snaps["cpu"], snaps["cuda"])
    changes = report.to_data()["functions"]
    fields = {c["path"] for f in changes.values() for s in f["changed"] for c in s["changes"]}
    assert fields == {"item.device"}, fields  # the device is all that differs


def test_a_model_on_the_gpu_scripts_the_same_under_the_harness():
    script = os.path.join(SAMPLES, "device_script_info.py")
    env = dict(os.environ, PYTHONHASHSEED="0")
    got = {mode: json.loads(subprocess.run([sys.executable, script, mode, "cuda"], env=env,
                                           capture_output=True, text=True, check=True,
                                           timeout=300).stdout.splitlines()[-1])
           for mode in ("plain", "harness")}
    assert got["harness"] == got["plain"]
