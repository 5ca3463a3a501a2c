"""A model that exercises the other paths of infer_concrete_type_builder.

- `blocks` is an nn.ModuleList and `heads` an nn.ModuleDict: their builders are marked as
  module lists / dicts (`set_module_list`, `set_module_dict`);
- `scale` and `labels` have class annotations: infer_type takes the annotation (inferred is
  False), which is what lets the empty list `labels` be scripted at all;
- `debug_log` is listed in `__jit_ignored_attributes__`: it is never typed, though nothing in
  TorchScript could type a file handle.
"""
import io
from typing import List

import torch
import torch.nn as nn


class Containers(nn.Module):
    __jit_ignored_attributes__ = ["debug_log"]

    scale: float
    labels: List[str]

    def __init__(self, width: int = 8):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(width, width) for _ in range(2)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(width, 3), "reg": nn.Linear(width, 1)})
        self.scale = 2.0
        self.labels = []
        self.debug_log = io.StringIO()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = torch.relu(block(x))
        return self.heads["cls"](x) * self.scale
