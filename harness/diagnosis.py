"""What went wrong in a failed run, read from torch's error and the run's records (no torch)."""
from __future__ import annotations

import re
from typing import Iterable, List, Optional

from .records import Stop

_NO_ATTRIBUTE = re.compile(r"has no attribute '(\w+)'")


def failed_attribute(message: str) -> Optional[str]:
    """The attribute in torch's "Module 'X' has no attribute 'y'", the error this tool is for."""
    match = _NO_ATTRIBUTE.search(message)
    return match.group(1) if match else None


def typed_stops(stops: Iterable[Stop], attribute: Optional[str]) -> List[Stop]:
    """The stops that captured `name` == the failing attribute: where it was typed."""
    return [s for s in stops if attribute and s.locals.get("name") == attribute]
