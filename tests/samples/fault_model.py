"""A model that misbehaves on request, for the fault tests.

`Faulty(action, marker)` builds two `Piece`s (each a stop for a scenario that stops in
`fault_model.Piece.__init__`), writes its process id to `marker`, then does `action`:
"ok" (nothing), "sleep" (a minute, to be interrupted), "exit" (sys.exit(5)), "os_exit"
(os._exit(7)), "raise" (a ValueError).
"""
import os
import sys
import time

import torch


class Piece(torch.nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = torch.nn.Linear(width, width)

    def forward(self, x):
        return self.fc(x)


class Faulty(torch.nn.Module):
    def __init__(self, action="ok", marker=None):
        super().__init__()
        self.a = Piece(2)
        self.b = Piece(3)
        if marker:
            with open(marker, "w") as f:
                f.write(str(os.getpid()))
        if action == "sleep":
            time.sleep(60)
        elif action == "exit":
            sys.exit(5)
        elif action == "os_exit":
            os._exit(7)
        elif action == "raise":
            raise ValueError("bad config")

    def forward(self, x):
        return self.b(self.a(x)[:, :2].repeat(1, 2)[:, :3])
