"""Models whose values test what a snapshot can hold: strings no reader may split, a lone
surrogate, a module reachable only through another's __dict__ (no model path), a module used
twice, and a cycle of such modules (torch's own test_prepare_scriptable_cycle)."""
import torch


class Helper(torch.nn.Module):
    def forward(self, x):
        return x


class Odd(torch.nn.Module):
    # a class annotation keeps the odd strings out of TorchScript's way
    __jit_ignored_attributes__ = ["note", "lone", "helper"]

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)
        self.shared = self.fc  # the same module at two paths
        note = "line\u2028separator\u2029paragraph\x85next\x1b[31m"
        lone = "half a pair: \ud800"
        self.note, self.lone = note, lone
        object.__setattr__(self, "helper", Helper())  # in __dict__, not a submodule

    def forward(self, x):
        return self.fc(x)


class Cycle(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)
        t1, t2 = Helper(), Helper()
        t1.__dict__["t2"] = t2
        t2.__dict__["t1"] = t1
        self.__dict__["t1"] = t1

    def forward(self, x):
        return self.fc(x)
