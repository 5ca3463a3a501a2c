"""Small files the recording side keeps between runs, as Python keeps .pyc files: each under a
key made of everything it was made from, in a folder of `$HARNESS_CACHE` (else
`$XDG_CACHE_HOME/harness`, else `~/.cache/harness`). Best effort both ways: a file that cannot
be read is made again, and one that cannot be written only costs the next run the making.

(The parent side's torch environments use platformdirs for the same folder; the recording
side imports only the standard library.)"""
from __future__ import annotations

import hashlib
import os
from typing import Optional


def folder(name: str) -> str:
    base = os.environ.get("HARNESS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "harness")
    return os.path.join(base, name)


def key_of(made_from: tuple) -> str:
    """A file name for what a kept file was made from (its repr, hashed)."""
    return hashlib.sha256(repr(made_from).encode("utf-8", "surrogatepass")).hexdigest()


def read(name: str, key: str) -> Optional[bytes]:
    try:
        with open(os.path.join(folder(name), key), "rb") as f:
            return f.read()
    except OSError:
        return None


def write(name: str, key: str, data: bytes) -> None:
    """Written to a temporary file, then renamed: a reader never sees half a file."""
    place = folder(name)
    try:
        os.makedirs(place, exist_ok=True)
        temporary = os.path.join(place, f".{key}.{os.getpid()}")
        with open(temporary, "wb") as f:
            f.write(data)
        os.replace(temporary, os.path.join(place, key))
    except (OSError, ValueError):
        pass
