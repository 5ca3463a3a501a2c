"""The recording side: all that runs where the model is scripted, and all that imports torch.

torch is imported only inside a run, so that `replay`, `diff` and the reports work on a
machine without torch.

The data flows one way through it:

    launch (parent process) -> child (a fresh interpreter) -> session (one run)
      -> targets (names -> code objects) -> backends (settrace / sys.monitoring)
      -> engine (stops, `at`, `when`, the call stack) -> values / torch_values (plain data)
      -> records -> snapshot.SnapshotWriter

An observer (`observer.RunObserver`; the interactive debugger is one) can watch a run: it is
told of each stop with its live frame and decides which stops are written.
"""
from __future__ import annotations

import warnings

# torch warns, at import or (1.13) while scripting, when numpy is missing: a fact about the
# environment, not about torch's walk, so it is kept out of the terminal and the snapshot.
NUMPY_MISSING = ".*Failed to initialize NumPy.*"


def import_torch():
    """torch, imported without its numpy warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NUMPY_MISSING)
        import torch
    # The harness's encoders of torch's values come with torch, not with the first run: their
    # import (about 6 ms) is a cost of the process, not of each recording.
    from . import frontend_values, torch_values  # noqa: F401
    return torch
