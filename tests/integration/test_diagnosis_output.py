"""What a person sees of a failed run: the diagnosis within the first screen, torch's long
message folded (the snapshot keeps it whole), also with -q."""
from helpers import read_jsonl, run_harness

OVERLOADS = '''\
from typing import Optional

import torch


class Block(torch.nn.Module):
    bias: Optional[torch.Tensor]

    def __init__(self):
        super().__init__()
        self.bias = None

    def forward(self, x):
        return torch.add(x, self.bias)  # torch lists every overload of add: ~40 lines


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()

    def forward(self, x):
        return self.block(x)
'''


def test_the_diagnosis_comes_first_and_torch_long_message_is_folded(tmp_path):
    (tmp_path / "overloads.py").write_text(OVERLOADS)
    out = tmp_path / "o.jsonl"
    for flags in (["-q"], []):
        proc = run_harness("run", "--model", f"{tmp_path}/overloads.py:Net", "-o", str(out),
                           *flags)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        lines = proc.stdout.splitlines()
        heading = next(i for i, line in enumerate(lines) if "── diagnosis" in line)
        fix = next(i for i, line in enumerate(lines) if line.strip().startswith("fix:"))
        assert fix < 25, "\n".join(lines[:30])
        assert any("more lines, the whole text is in the snapshot" in line
                   for line in lines[:heading])
    end = read_jsonl(out)[-1]
    assert len(end["error"]["message"].splitlines()) > 30  # the snapshot keeps it whole
    diagnosis = end["diagnosis"]
    assert diagnosis["kind"] == "optional-not-refined"
    assert (diagnosis["module"], diagnosis["attribute"]) == ("block", "bias")
    assert "found type 'Optional[Tensor]'" in diagnosis["reason"]
    assert not diagnosis["reason"].endswith(":")
