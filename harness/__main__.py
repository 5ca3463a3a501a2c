"""`python -m harness`: the same as the `harness` command.

Python puts the current folder first on the module path for `-m`, so a `json.py` or
`typing.py` lying there would be imported in place of the standard library's. It is taken off
before anything else is imported. (A folder named `harness` there is found by Python itself,
before this runs: `python -P -m harness`, Python 3.11+, or the `harness` command avoid that.)
"""
import os
import sys


def _drop_current_folder() -> None:
    if getattr(sys.flags, "safe_path", False) or not sys.path:
        return
    try:
        here = os.getcwd()
    except OSError:  # the current folder was deleted: nothing of it can be imported anyway
        here = None
    if sys.path[0] in ("", ".", here):
        del sys.path[0]


_drop_current_folder()

from harness.command import main  # noqa: E402 - after the module path is made safe

sys.exit(main())
