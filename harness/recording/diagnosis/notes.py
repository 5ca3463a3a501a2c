"""The stops that show a failure, and the breakpoint to add when none does."""
from __future__ import annotations

from typing import List, Optional, Tuple

from ... import snapshot
from ...errors import HarnessError
from ...records import Stop, Tag, tag_of
from ...scenario import Scenario
from ..probes import PREPARE

MAX_STOPS = 12  # stops named in a diagnosis

_COMPILE = ("torch.jit._recursive.create_script_module_impl", "capture: [nn_module]")
_TYPE = ("torch.jit._recursive.infer_concrete_type_builder",
         "capture: [nn_module, concrete_type_builder]")
# The breakpoint that would show each kind, for the advice given when no stop shows it.
SHOWN_BY = {
    "attribute-type": ("torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type",
                       "capture: [name, attr_type]"),
    "function-attribute": _TYPE, "missing-attribute": _TYPE, "type-builder": _TYPE,
    "module-list": ("torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type",
                    "capture: [name, attr_type]"),
    "uninitialized": ("torch.jit._recursive.create_script_module", "at: enter, capture: "
                      "[nn_module]"),
    "prepare-scriptable": (PREPARE, "at: enter, capture: [obj]"),
    "hook": _COMPILE,
}


class _Note:
    __slots__ = ("index", "subject", "name", "raised", "failed", "mentions")

    def __init__(self, index, subject, name, raised, failed, mentions):
        self.index, self.subject, self.name = index, subject, name
        self.raised, self.failed, self.mentions = raised, failed, mentions


class StopNotes:
    """What the diagnosis needs of each stop written, kept small: its index, its module, the
    `name` it captured, whether an exception left, the failed attributes of a builder it
    captured, and the modules its captured values are."""

    def __init__(self):
        self.notes: List[_Note] = []

    @classmethod
    def read(cls, path: str) -> "StopNotes":
        """The notes of the stops a run has written so far (read back only when it failed:
        nothing is spent on them while it runs)."""
        notes = cls()
        try:
            for stop in snapshot.read(path).stops:
                notes.add(stop)
        except (HarnessError, OSError):
            pass  # no stops to name: the diagnosis says so with its advice
        return notes

    def add(self, stop: Stop) -> None:
        failed: Tuple[str, ...] = ()
        mentions: Tuple[str, ...] = ()
        for value in stop.locals.values():
            tag = tag_of(value)
            if tag == Tag.BUILDER and isinstance(value.get("failed_attributes"), dict):
                failed += tuple(value["failed_attributes"])
            elif tag == Tag.NN_MODULE and isinstance(value.get("path"), str):
                mentions += (value["path"],)
        name = stop.locals.get("name")
        self.notes.append(_Note(stop.index, stop.subject, name if isinstance(name, str) else None,
                                "raise" in stop.locals, failed, mentions))

    def showing(self, module: Optional[str], attribute: Optional[str] = None) -> List[int]:
        """The stops that show a failure of `module` (about `attribute`, when given): those
        that worked on it or hold it, the ones an exception left first."""
        if attribute is not None:
            found = [n.index for n in self.notes if n.subject == module
                     and (n.name == attribute or attribute in n.failed)]
            if found:
                return found[:MAX_STOPS]
        about = [n for n in self.notes if n.subject == module or module in n.mentions]
        raised = [n.index for n in about if n.raised]
        return (raised or [n.index for n in about][-3:])[:MAX_STOPS]


def advice(kind: str, scenario: Scenario) -> Optional[str]:
    function, how = SHOWN_BY.get(kind, _COMPILE)
    if any(bp.function == function for bp in scenario.breakpoints):
        return None  # the scenario has it: its stops just did not catch this one
    return f"no stop of this scenario shows it; a breakpoint on {function} ({how}) would"
