"""harness: a debugger step-through harness for PyTorch's TorchScript frontend.

A YAML scenario names torch's own functions as breakpoints and the locals to capture; the
harness scripts a model under a programmatic debugger that stops at each of them and writes
every stop into a snapshot file (JSON Lines) that can be replayed and diffed without torch.
"""
__version__ = "0.1.0"

from .api import diff, load, run  # noqa: E402  (torch-free: recording happens in a child)

__all__ = ["run", "load", "diff", "__version__"]
