"""Models that end a run in the ways a careless or hostile model does, for the endings tests.

`Ending(action, marker, seconds)` builds one `Part` (a stop for a scenario stopping in
`ending_model.Part.__init__`), writes its process id to `marker` when given, then does `action`:
"ok", "wait" (sleeps `seconds`, then ends normally), "untrace" (sys.settrace(None)),
"untrace_then_own" (installs its own trace function), "unmonitor" (frees the harness's
sys.monitoring tool id, Python 3.12+), "exit130" / "exit0" (os._exit with that code).
`five()` is a factory that returns 5.
"""
import os
import sys
import time

import torch


class Part(torch.nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = torch.nn.Linear(width, width)

    def forward(self, x):
        return self.fc(x)


def _own_trace(frame, event, arg):
    return None


class Ending(torch.nn.Module):
    def __init__(self, action="ok", marker=None, seconds=0):
        super().__init__()
        self.a = Part(2)
        if marker:
            with open(marker, "w") as f:
                f.write(str(os.getpid()))
        if action == "wait":
            time.sleep(seconds)
        elif action == "untrace":
            sys.settrace(None)
        elif action == "untrace_then_own":
            sys.settrace(_own_trace)
        elif action == "unmonitor":
            for tool in range(6):
                if sys.monitoring.get_tool(tool) == "harness":
                    sys.monitoring.free_tool_id(tool)
        elif action == "exit130":
            os._exit(130)
        elif action == "exit0":
            os._exit(0)
        self.b = Part(2)  # built after the action: a stop the harness may not see

    def forward(self, x):
        return self.b(self.a(x))


def five():
    return 5
