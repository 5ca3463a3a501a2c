"""The diagnosis of a failed run: where, what to edit, why (torch's reason), and a proven fix.

Which phase, which module, what to edit there (an attribute, method, property, free function,
hook or construct), which stops show it, and a fix that works, with what it costs.

It is worked out where the run happened, from torch's whole message, the user's source at the
place torch marks (read with `ast`), the trail the probes kept (the functions of the walk the
exception left, with their modules), the builders torch made and the calls it refused, and the
stops written (`StopNotes`). A message it cannot explain is filed as "other" with torch's
words: it never guesses. Torch's error and the outcome stay torch's: the diagnosis is added
beside them, never instead. docs/diagnosis.md describes each kind.

- `message`: torch's message (the places it marks, the sentence that says why)
- `source`: the user's code at a place (`ast`)
- `walk`: failures of the walk over modules (constructor, initialisation, type builder,
  `__prepare_scriptable__`, hooks)
- `attributes`: a module's attributes (types, lists of modules, functions, internals)
- `code`: the code torch compiles (syntax, calls, types, Optionals, annotations, properties)
- `fixes`: the advice, each with its cost, each proven by a test
- `notes`: the stops that show it
"""
from __future__ import annotations

import dataclasses
from typing import Any, List

from ...records import Diagnosis
from ...scenario import Scenario
from ...text import strip_addresses
from ..probes import Probes
from . import message as msg
from .attributes import annotated_module_list, attribute, failed_attribute
from .code import Place, code_error
from .facts import Facts
from .notes import StopNotes, advice
from .walk import hook, model_constructor, prepare_scriptable, type_builder, uninitialized

__all__ = ["diagnose", "StopNotes", "failed_attribute"]


def diagnose(error: BaseException, phase: str, probes: Probes, builders: List[List[Any]],
             encoder: Any, notes: StopNotes, scenario: Scenario, model: Any) -> Diagnosis:
    """`builders`: the calls made on each ConcreteModuleTypeBuilder of the run."""
    facts = Facts(error, phase, probes, builders, encoder, model)
    try:
        diagnosis = _classify(facts)
    except Exception as exc:  # a bug of the diagnosis must not hide torch's error
        diagnosis = Diagnosis(kind="other", phase=facts.phase_name(),
                              summary=f"torch raised {type(error).__name__}; the harness could "
                                      f"not diagnose it ({type(exc).__name__}: {exc})",
                              reason=msg.reason(facts.raw), fix="")
    if diagnosis.kind != "model-constructor":
        diagnosis.stops = notes.showing(diagnosis.module, diagnosis.attribute)
        if not diagnosis.stops:
            diagnosis.advice = advice(diagnosis.kind, scenario)
    return masked(diagnosis)


def masked(diagnosis: Diagnosis) -> Diagnosis:
    """No memory address in any field: they differ run after run."""
    for field in dataclasses.fields(diagnosis):
        value = getattr(diagnosis, field.name)
        if isinstance(value, str):
            setattr(diagnosis, field.name, strip_addresses(value))
    return diagnosis


def _classify(f: Facts) -> Diagnosis:
    if f.phase == "build":
        return model_constructor(f)
    for rule in (uninitialized, type_builder, prepare_scriptable, hook,
                 annotated_module_list, attribute, code_error):
        found = rule(f)
        if found is not None:
            return found
    return other(f)


def other(f: Facts) -> Diagnosis:
    """A message the rules do not explain: torch's words, and where, without a guess."""
    p = Place(f)
    return Diagnosis(
        kind="other", **p.fields(phase=p.phase() if p.method else f.phase_name()),
        summary=f"torch raised {type(f.error).__name__} while {f.phase_name()}"
                + (f" in {f.label(p.module)}" if p.module is not None else ""),
        reason=msg.reason(f.raw),
        fix="torch's reason above says what it needs; the stops marked ✗ show where it "
            "passed")
