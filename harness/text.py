"""Small text helpers that both sides of the harness use: suggestions, addresses, escaping."""
from __future__ import annotations

import difflib
import re
from typing import Iterable

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")
# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides that can
# make text read differently from what it is.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def counted(n: int, noun: str) -> str:
    """`1 stop`, `2 stops`: counts read as English in every report."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def strip_addresses(text: str) -> str:
    """`<Foo object at 0x7f3a...>` -> `<Foo object at 0x…>`: addresses differ every run."""
    return _ADDRESS.sub("0x…", text)


def _escape_char(match: "re.Match[str]") -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str) -> str:
    """Text from a snapshot or a model, made safe for a terminal: control characters and
    escape sequences are shown escaped (`\\x1b`), never sent raw; tabs and newlines stay."""
    return _UNSAFE.sub(_escape_char, text)


def safe_line(text: str) -> str:
    """Like `safe`, for text that must stay on one line: newlines are escaped too."""
    return _UNSAFE_LINE.sub(_escape_char, text)
