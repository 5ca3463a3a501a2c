"""A model with several independent faults, for `harness run --keep-going` (docs/keep-going.md).

torch reports only the first; with --keep-going the harness lists all three, each checked:
a property that cannot be compiled (in `stem`), a Python list of modules (in `stage`), and a
lambda registered as a forward hook (on `head`). `WithHelper` has a method that is not
`forward` using syntax TorchScript refuses (variadic arguments).
"""

import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    @property
    def size(self):  # a generator expression: the property cannot be compiled
        return sum(p.numel() for p in self.parameters())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class Stage(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [Block(), Block()]  # a Python list of modules

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x


class Helper(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def describe(self, *parts):  # variadic arguments, in a method that is not forward
        return len(parts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class ThreeFaults(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = Block()
        self.stage = Stage()
        self.head = nn.Linear(4, 2)
        self.head.register_forward_hook(lambda module, inputs, output: None)  # a lambda hook

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stage(self.stem(x)))


class WithHelper(nn.Module):
    def __init__(self):
        super().__init__()
        self.helper = Helper()

    @torch.jit.export
    def summary(self, x: torch.Tensor) -> int:
        return self.helper.describe(x, x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.helper(x)


class RootForward(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        try:  # in the root's forward: no change at run time gets past it
            return x + 1
        except RuntimeError:
            return x


class Scripts(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)
