"""A model that torch.jit.script rejects: an attribute whose type cannot be inferred.

`scales` mixes ints and a string, so `torch._C._jit_try_infer_type` fails; the builder records
it as a failed attribute and compiling `forward` then fails with "Module 'MixedScales' has no
attribute 'scales'", the confusing error the harness exists to explain.
"""
import torch
import torch.nn as nn


class MixedScales(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.scales = [1, "two", 3]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x) * self.scales[0]
