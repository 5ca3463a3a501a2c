"""Models that torch.jit.script rejects, one per way scripting fails on real models.

Each is small, but each fails the way a real model does (torchvision's detection models,
timm's feature hooks and HRNet, torch's own test_recursive_script.py); the shipped
`scenarios/failing_*.yaml` record them, and `harness run` diagnoses each.
"""
import functools
from typing import List

import torch
import torch.nn as nn


# -- a function attribute that fails to compile ------------------------------------------------
def scale_by_config(x):
    return x.apply_config()  # no such Tensor method: the function cannot be compiled


class FunctionAttribute(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.post = scale_by_config  # a function stored on the module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.post(self.fc(x))


# -- a submodule that was never initialised ----------------------------------------------------
class Head(nn.Module):
    def __init__(self, classes: int):
        self.classes = classes  # no super().__init__(): nn.Module's own state is missing

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, : self.classes]


class NotInitialised(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.head = Head(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


# -- a hook that cannot be scripted ------------------------------------------------------------
def keep_features(module, inputs, output, store: List[torch.Tensor]):
    store.append(output)


class PartialHook(nn.Module):
    """As timm's feature extraction does: a hook bound to its store with functools.partial."""

    def __init__(self):
        super().__init__()
        self.features: List[torch.Tensor] = []
        self.stem = nn.Linear(4, 4)
        self.stage = nn.Linear(4, 4)
        self.stage.register_forward_hook(functools.partial(keep_features, store=self.features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stage(self.stem(x))


# -- a method that does not compile, in a submodule --------------------------------------------
class Smoother(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        try:  # the frontend rejects try blocks
            return x.clamp(0, 1)
        except RuntimeError:
            return x


class SyntaxInSubmodule(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(nn.Linear(4, 4), Smoother())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


class Offset(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shift: int = "1"  # a str where an int is declared
        return x + shift


class TypesInSubmodule(nn.Module):
    def __init__(self):
        super().__init__()
        self.stages = nn.ModuleList([nn.Linear(4, 4), Offset()])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            x = stage(x)
        return x


# -- an error raised by __prepare_scriptable__ -------------------------------------------------
class Quantized(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def __prepare_scriptable__(self):
        raise ValueError("calibrate before scripting: the observers hold no statistics yet")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class PrepareRaises(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(4, 4)
        self.quant = Quantized()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.quant(self.backbone(x))


# -- a value torch's C++ type builder refuses -------------------------------------------------
class IgnoredAsString(nn.Module):
    __jit_ignored_attributes__ = "debug_log"  # a string, where torch takes a list of names

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.debug_log = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)
