"""Paths without the machine's prefix, so a snapshot is the same on every machine.

A source file is named relative to the `sys.path` entry that holds it
(`torch/jit/_recursive.py`), and the same prefixes are cut out of captured text."""
from __future__ import annotations

import os
import sys
from typing import List


def _roots() -> List[str]:
    roots = {os.path.abspath(e) for e in sys.path if e and os.path.isabs(e)}
    return sorted((r for r in roots if len(r) > 1), key=len, reverse=True)


def relative_paths_in(text: str) -> str:
    """Cut the machine's prefixes out of paths in a message, as `relative_file` does."""
    if os.sep not in text:
        return text
    for root in _roots():
        if root in text:
            text = text.replace(root + os.sep, "")
    return text


def relative_file(filename: str) -> str:
    """A source path without the machine's prefix: relative to the sys.path entry holding it."""
    absolute = os.path.abspath(filename)
    best = None
    for entry in sys.path:
        root = os.path.abspath(entry or os.curdir)
        if absolute.startswith(root + os.sep) and (best is None or len(root) > len(best)):
            best = root
    if best is None:
        return os.path.basename(absolute)
    return os.path.relpath(absolute, best).replace(os.sep, "/")
