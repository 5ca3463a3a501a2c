"""harness: a debugger step-through harness for PyTorch's TorchScript frontend.

A YAML scenario names torch's own functions as breakpoints and the locals to capture; the
harness scripts a model under a programmatic debugger that stops at each of them and writes
every stop into a snapshot file (JSON Lines) that can be replayed and diffed without torch.
"""
__version__ = "0.2.0"

__all__ = ["run", "run_keep_going", "load", "diff", "__version__"]


def __getattr__(name):
    # The API is imported when first used: importing the package (as the command line does
    # first thing) stays nearly free, and never imports torch (recording happens in a child).
    if name in ("run", "run_keep_going", "load", "diff"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
