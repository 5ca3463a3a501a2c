"""Subjects for the frontend walks: a free function calling a helper, and a class using another.

`scaled_total` calls `clamp_sum`: scripting `scaled_total` compiles `clamp_sum` on demand, when
the compiler meets the call (torch's C++ calls back into `torch.jit._recursive.try_compile_fn`).
`Box` builds a `Pair`: scripting `Box` compiles `Pair` when the compiler meets it.
"""
from typing import List, Optional

import torch


def clamp_sum(xs: List[torch.Tensor], limit: Optional[float]) -> torch.Tensor:
    total = torch.zeros(1)
    for x in xs:
        total = total + x
    if limit is not None:
        total = total.clamp(max=limit)
    return total


def scaled_total(xs: List[torch.Tensor], scale: float = 2.0) -> torch.Tensor:
    return clamp_sum(xs, None) * scale


def make_function():
    """The function_walk's subject: a free function (torch.jit.script(scaled_total))."""
    return scaled_total


def make_decorated_function():
    """The same, decorated: torch compiles it when the decorator runs, here in the factory."""
    @torch.jit.script
    def doubled(x: torch.Tensor) -> torch.Tensor:
        return scaled_total([x, x], 1.0)

    return doubled


class Pair:
    def __init__(self, a: torch.Tensor, b: torch.Tensor):
        self.a = a
        self.b = b

    def total(self) -> torch.Tensor:
        return self.a + self.b


class Box:
    def __init__(self, x: torch.Tensor):
        self.pair = Pair(x, x * 2)

    def area(self) -> torch.Tensor:
        return self.pair.total().sum()


def make_class():
    """The class_walk's subject: a class whose method uses another class."""
    return Box
