"""One model for each fix the diagnosis can advise that the corpus of reported failures
(diagnosis_corpus.py) does not already prove, and its twin with that fix applied
(`...Fixed`). tests/integration/test_diagnosis_fixes.py scripts each twin (and calls it)."""
import functools
import random
from typing import List, Tuple

import torch
import torch.nn as nn


class Gain(nn.Module):  # missing-attribute: forward uses self.gain, never set
    def forward(self, x):
        return x * self.gain


class GainFixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.gain = 2.0

    def forward(self, x):
        return x * self.gain


class NoInit(nn.Module):  # uninitialized
    def __init__(self):
        self.k = 2

    def forward(self, x):
        return x


class NoInitFixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.k = 2

    def forward(self, x):
        return x


class Prepare(nn.Module):  # prepare-scriptable
    def __prepare_scriptable__(self):
        raise ValueError("calibrate first")

    def forward(self, x):
        return x


class PrepareFixed(nn.Module):
    def forward(self, x):
        return x


class IgnoredString(nn.Module):  # type-builder
    __jit_ignored_attributes__ = "log"

    def __init__(self):
        super().__init__()
        self.log = []

    def forward(self, x):
        return x


class IgnoredStringFixed(IgnoredString):
    __jit_ignored_attributes__ = ["log"]


def apply_config(x):
    return x.apply_config()  # no such Tensor method: cannot be compiled


@torch.jit.ignore
def apply_config_in_python(x: torch.Tensor) -> torch.Tensor:
    return x * 2


class StoredFunction(nn.Module):  # function-attribute (its function does not compile)
    def __init__(self):
        super().__init__()
        self.post = apply_config

    def forward(self, x):
        return self.post(x)


class StoredFunctionFixed(nn.Module):
    def forward(self, x):
        return apply_config_in_python(x)  # called directly, left to Python


def scale(x, k: float):
    return x * k


class StoredPartial(nn.Module):  # function-attribute (a functools.partial)
    def __init__(self):
        super().__init__()
        self.post = functools.partial(scale, k=2.0)

    def forward(self, x):
        return self.post(x)


class StoredPartialFixed(nn.Module):
    def forward(self, x):
        return scale(x, 2.0)


class MixedList(nn.Module):  # attribute-type: a list of mixed types
    def __init__(self):
        super().__init__()
        self.scales = [1, "x"]

    def forward(self, x):
        return x * self.scales[0]


class MixedListFixed(nn.Module):
    def __init__(self):
        super().__init__()
        scales = [1, "x"]
        self.scales_x: int = scales[0]

    def forward(self, x):
        return x * self.scales_x


class TypedList(nn.Module):  # attribute-type: an empty list, annotated as advised
    def __init__(self):
        super().__init__()
        self.history = []

    def forward(self, x):
        self.history.append(x)
        return x


class TypedListFixed(TypedList):
    history: List[torch.Tensor]


def check(module: nn.Module, inputs: Tuple[torch.Tensor]) -> None:
    pass


class PreHook(nn.Module):  # hook: a lambda pre-hook
    def __init__(self, hook=None):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.fc.register_forward_pre_hook(hook or (lambda m, i: None))

    def forward(self, x):
        return self.fc(x)


class PreHookFixed(PreHook):
    def __init__(self):
        super().__init__(hook=check)


class PreHookRemoved(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        handle = self.fc.register_forward_pre_hook(lambda m, i: None)
        handle.remove()

    def forward(self, x):
        return self.fc(x)


class Params(nn.Module):  # module-internals: self._parameters
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(4))

    def forward(self, x):
        for p in self._parameters.values():
            x = x * p
        return x


class ParamsFixed(Params):
    def forward(self, x):
        return x * self.weight


class Buffers(nn.Module):  # module-internals: self._buffers
    def __init__(self):
        super().__init__()
        self.register_buffer("running_mean", torch.zeros(4))

    def forward(self, x):
        for b in self._buffers.values():
            x = x - b
        return x


class BuffersFixed(Buffers):
    def forward(self, x):
        return x - self.running_mean


def add_one(t):
    return t + 1


class Lambda(nn.Module):  # unsupported-syntax: a lambda
    def forward(self, x):
        f = lambda t: t + 1  # noqa: E731
        return f(x)


class LambdaFixed(nn.Module):
    def forward(self, x):
        return add_one(x)


class SetComp(nn.Module):  # unsupported-syntax: a set comprehension
    def forward(self, x):
        sizes = {d for d in x.size()}
        return x * len(sizes)


class SetCompFixed(nn.Module):
    def forward(self, x):
        sizes: List[int] = []
        for d in x.size():
            if d not in sizes:
                sizes.append(d)
        return x * len(sizes)


class Iter(nn.Module):  # unsupported-syntax: iter()
    def forward(self, xs: List[torch.Tensor]):
        it = iter(xs)  # noqa: F841 - the call alone fails
        return xs[0]


class IterFixed(nn.Module):
    def forward(self, xs: List[torch.Tensor]):
        out = xs[0]
        for x in xs:
            out = x
            break
        return out


class Jitter(nn.Module):  # uncompilable-call: a Python function (random.random)
    def forward(self, x):
        return x * random.random()


class JitterFixed(nn.Module):
    def forward(self, x):
        return x * self.factor()

    @torch.jit.ignore
    def factor(self) -> float:
        return random.random()


class Recursive(nn.Module):  # unsupported-syntax: recursion, in a method other than forward
    def halve(self, x, n: int) -> torch.Tensor:
        if n == 0:
            return x
        return self.halve(x * 0.5, n - 1)

    def forward(self, x):
        return self.halve(x, 2)


class RecursiveLoop(nn.Module):
    def halve(self, x, n: int) -> torch.Tensor:
        for _ in range(n):
            x = x * 0.5
        return x

    def forward(self, x):
        return self.halve(x, 2)


class TryHelper(nn.Module):  # unsupported-syntax in a method other than forward
    def safe_log(self, x):
        try:
            return x.log()
        except RuntimeError:
            return x

    def forward(self, x):
        return self.safe_log(x)


class TryHelperIgnored(nn.Module):
    @torch.jit.ignore
    def safe_log(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return x.log()
        except RuntimeError:
            return x

    def forward(self, x):
        return self.safe_log(x)


class TryHelperUnused(nn.Module):
    @torch.jit.unused
    def safe_log(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return x.log()
        except RuntimeError:
            return x

    def forward(self, x):
        return self.safe_log(x)


class Annotated(nn.Module):  # type-mismatch: a variable annotated int, given a str
    def forward(self, x):
        shift: int = "1"
        return x + shift


class AnnotatedFixed(nn.Module):
    def forward(self, x):
        shift: int = 1
        return x + shift


class Settings:  # a plain Python object holding a class attribute
    scale = 2.0


class ClassAttribute(nn.Module):  # other: a message the harness does not explain
    def __init__(self):
        super().__init__()
        self.settings = Settings()

    def forward(self, x):
        return x * self.settings.scale
