"""The diagnosis of a failed run: which phase, which module, which attribute or method, why,
which stops show it, and what usually fixes that kind of failure.

It is worked out where the run happened, from torch's error, the trail the probes kept (the
functions of the walk the exception left, with their modules), the builders torch made and
the calls it refused, and the stops written (`StopNotes`). It works whatever breakpoints the
scenario lists; it never advises a breakpoint the scenario already has. Torch's error and the
outcome stay torch's: the diagnosis is added beside them, never instead.
"""
from __future__ import annotations

import inspect
import os
import re
from typing import Any, Dict, List, Optional, Tuple

from .. import snapshot
from ..errors import HarnessError
from ..records import Diagnosis, Stop, Tag, path_label, tag_of
from ..scenario import Scenario
from ..text import strip_addresses
from . import builder_log
from .paths import relative_paths_in
from .probes import PREPARE, Probes

MAX_STOPS = 12  # stops named in a diagnosis
_FILE_LINE = re.compile(r'File "([^"]+)", line (\d+)')
_NO_ATTRIBUTE = re.compile(r"has no attribute '(\w+)'")
_HOOKS = ("torch.jit._recursive.get_hook_stubs", "torch.jit._recursive.create_hooks_from_stubs")
_COMPILING = ("torch.jit._recursive.create_methods_and_properties_from_stubs",
              "torch.jit._recursive.infer_methods_to_compile",
              "torch.jit._recursive.create_script_module_impl")
_FRONTEND_ERRORS = ("NotSupportedError", "UnsupportedNodeError", "FrontendError")

# The breakpoint that would show each kind, for the advice given when no stop shows it.
_SHOWN_BY = {
    "attribute-type": ("torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type",
                       "capture: [name, attr_type]"),
    "function-attribute": ("torch.jit._recursive.infer_concrete_type_builder",
                           "capture: [nn_module, concrete_type_builder]"),
    "missing-attribute": ("torch.jit._recursive.infer_concrete_type_builder",
                          "capture: [nn_module, concrete_type_builder]"),
    "type-builder": ("torch.jit._recursive.infer_concrete_type_builder",
                     "capture: [nn_module, concrete_type_builder]"),
    "uninitialized": ("torch.jit._recursive.create_script_module", "at: enter, capture: "
                      "[nn_module]"),
    "prepare-scriptable": (PREPARE, "at: enter, capture: [obj]"),
    "hook": ("torch.jit._recursive.create_script_module_impl", "capture: [nn_module]"),
    "method-compile": ("torch.jit._recursive.create_script_module_impl",
                       "capture: [nn_module]"),
    "other": ("torch.jit._recursive.create_script_module_impl", "capture: [nn_module]"),
}


def failed_attribute(message: str) -> Optional[str]:
    """The attribute in torch's "Module 'X' has no attribute 'y'"."""
    match = _NO_ATTRIBUTE.search(message)
    return match.group(1) if match else None


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
            return found[:MAX_STOPS]
        about = [n for n in self.notes if n.subject == module or module in n.mentions]
        raised = [n.index for n in about if n.raised]
        return (raised or [n.index for n in about][-3:])[:MAX_STOPS]


def diagnose(error: BaseException, phase: str, probes: Probes, builders: List[List[Any]],
             encoder: Any, notes: StopNotes, scenario: Scenario, model: Any) -> Diagnosis:
    """`builders`: the calls made on each ConcreteModuleTypeBuilder of the run."""
    finder = _Finder(error, phase, probes, builders, encoder, model)
    diagnosis = finder.diagnosis()
    if diagnosis.kind != "model-constructor":
        diagnosis.stops = notes.showing(diagnosis.module, diagnosis.attribute)
        if not diagnosis.stops:
            diagnosis.advice = _advice(diagnosis.kind, scenario)
    return diagnosis


def _advice(kind: str, scenario: Scenario) -> Optional[str]:
    function, how = _SHOWN_BY.get(kind, _SHOWN_BY["other"])
    if any(bp.function == function for bp in scenario.breakpoints):
        return None  # the scenario has it: its stops just did not catch this one
    return f"no stop of this scenario shows it; a breakpoint on {function} ({how}) would"


class _Finder:
    def __init__(self, error: BaseException, phase: str, probes: Probes,
                 builders: List[List[Any]], encoder: Any, model: Any):
        self.error, self.phase, self.probes, self.encoder, self.model = \
            error, phase, probes, encoder, model
        self.builder_calls = builders
        self.message = str(error)
        self.trail = probes.trail.of(error)
        self.inner = self.trail[0] if self.trail else None

    # -- the facts --------------------------------------------------------------------------
    def module(self) -> Any:
        return self.inner.module if self.inner else None

    def where_module(self, module: Any) -> Dict[str, Optional[str]]:
        if module is None:
            return {"module": None, "module_class": None}
        path = self.encoder.name_of(module)
        cls = type(module)
        return {"module": path, "module_class": f"{cls.__module__}.{cls.__qualname__}"}

    def phase_name(self) -> str:
        return self.inner.phase if self.inner else "scripting"

    def first_source_line(self) -> Optional[Tuple[str, int]]:
        match = _FILE_LINE.search(self.message)
        return (match.group(1), int(match.group(2))) if match else None

    def where_in_traceback(self) -> Optional[str]:
        """The innermost frame of the traceback outside torch and the harness."""
        found = None
        tb = self.error.__traceback__
        torch_dir = os.sep + "torch" + os.sep
        harness_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        while tb is not None:
            file = tb.tb_frame.f_code.co_filename
            if torch_dir not in file and not os.path.abspath(file).startswith(harness_dir):
                found = f"{relative_paths_in(file)}:{tb.tb_lineno} in " \
                        f"{tb.tb_frame.f_code.co_name}"
            tb = tb.tb_next
        return found

    def where_in_message(self) -> Optional[str]:
        found = self.first_source_line()
        return f"{relative_paths_in(found[0])}:{found[1]}" if found else None

    # -- the kinds --------------------------------------------------------------------------
    def diagnosis(self) -> Diagnosis:
        if self.phase == "build":
            return self.model_constructor()
        for kind in (self.uninitialized, self.type_builder, self.prepare_scriptable,
                     self.hook, self.attribute, self.method_compile):
            found = kind()
            if found is not None:
                return found
        return self.other()

    def model_constructor(self) -> Diagnosis:
        return Diagnosis(
            kind="model-constructor", phase="building the model",
            summary=f"the model's factory raised {type(self.error).__name__} before scripting "
                    "began",
            reason=_first_line(self.message), where=self.where_in_traceback(),
            fix="fix the model's constructor (or the scenario's model args): torch never saw "
                "the model")

    def uninitialized(self) -> Optional[Diagnosis]:
        candidates = [u.module for u in self.trail if u.module is not None]
        if self.model is not None:
            from .torch_values import walk_modules

            candidates += [m for _, m in walk_modules(self.model)]
        for module in candidates:
            if "_parameters" not in getattr(module, "__dict__", {"_parameters": None}):
                where = self.where_module(module)
                cls = type(module).__qualname__
                return Diagnosis(
                    kind="uninitialized", phase=self.phase_name(),
                    summary=f"module {path_label(where['module'])} ({cls}) was never "
                            "initialised: its __init__ does not call super().__init__()",
                    reason=_first_line(self.message), **where,
                    where=_source_of(type(module).__init__),
                    fix=f"call super().__init__() first thing in {cls}.__init__, before it "
                        "sets any attribute")
        return None

    def type_builder(self) -> Optional[Diagnosis]:
        causes = _causes(self.error)
        refused = [r for r in builder_log.refusals() if any(r.error is c for c in causes)]
        if not refused:
            return None
        refusal = refused[-1]
        module = self.module()
        where = self.where_module(module)
        cls = type(module).__qualname__ if module is not None else "the module"
        args = ", ".join(_short_repr(a) for a in refusal.args)
        return Diagnosis(
            kind="type-builder", phase="inferring the module's type",
            summary=f"torch's ConcreteModuleTypeBuilder.{refusal.method}({args}) refused what "
                    f"module {path_label(where['module'])} ({cls}) gave it",
            reason=_first_line(str(refusal.error)), **where,
            fix=_BUILDER_FIXES.get(refusal.method, "the value comes from the module's class "
                                   f"({cls}): give it the shape torch expects there"))

    def prepare_scriptable(self) -> Optional[Diagnosis]:
        if not self.inner or self.inner.function != PREPARE:
            return None
        if not _in_traceback(self.error, "__prepare_scriptable__"):
            return None
        module = self.inner.module
        where = self.where_module(module)
        cls = type(module).__qualname__
        return Diagnosis(
            kind="prepare-scriptable", phase=self.inner.phase,
            summary=f"{cls}.__prepare_scriptable__ of module {path_label(where['module'])} "
                    f"raised {type(self.error).__name__}",
            reason=_first_line(self.message), where=self.where_in_traceback(), **where,
            fix=f"fix {cls}.__prepare_scriptable__ (torch calls it on every module before "
                "scripting, and scripts what it returns), or remove it")

    def hook(self) -> Optional[Diagnosis]:
        if not self.inner or self.inner.function not in _HOOKS:
            return None
        module = self.inner.module
        where = self.where_module(module)
        hooks = [h for h in list(getattr(module, "_forward_hooks", {}).values())
                 + list(getattr(module, "_forward_pre_hooks", {}).values())
                 if not inspect.isfunction(h)]
        what = _short_repr(hooks[0]) if hooks else "a hook"
        return Diagnosis(
            kind="hook", phase=self.inner.phase,
            summary=f"a forward hook of module {path_label(where['module'])} "
                    f"({type(module).__qualname__}) cannot be scripted: {what}",
            reason=_first_line(self.message), **where,
            fix="a hook must be a plain named function TorchScript can compile "
                "(functools.partial objects, lambdas and bound methods cannot be): register "
                "such a function instead, or remove the hook (its handle's .remove()) before "
                "scripting")

    def attribute(self) -> Optional[Diagnosis]:
        attribute = failed_attribute(self.message)
        if attribute is None:
            return None
        module = self.module()
        where = self.where_module(module)
        cls = type(module).__qualname__ if module is not None else "the module"
        hint = self.failed_hint(module, attribute)
        label = f"module {path_label(where['module'])} ({cls})"
        compiling = self.compiling_method(module)
        phase = f"compiling {compiling}" if compiling else self.phase_name()
        if hint is not None and "failed to compile it to a TorchScript function" in hint:
            function_error = hint.split("The error stack is reproduced here:", 1)[-1].strip()
            return Diagnosis(
                kind="function-attribute", phase=phase, attribute=attribute, **where,
                summary=f"the function in attribute {attribute} of {label} failed to "
                        f"compile; {compiling or 'a scripted method'} uses it",
                reason=_first_line(function_error.rstrip(")")),
                where=_first_file_line(function_error),
                fix=f"make the function scriptable (its own error is above), or decorate it "
                    f"with @torch.jit.ignore so it runs in Python, or call it as a module-level "
                    f"function instead of storing it on the module")
        if hint is not None:
            reason = _hint_reason(hint)
            return Diagnosis(
                kind="attribute-type", phase=phase, attribute=attribute, **where,
                summary=f"the type of attribute {attribute} of {label} could not be "
                        f"inferred; {compiling or 'a scripted method'} uses it",
                reason=reason, where=self.where_in_message(),
                fix=f"annotate it in the class body ({attribute}: <its type>, e.g. "
                    f"List[int]) or give it a value TorchScript can type; if no scripted "
                    f"method needs it, list it in __jit_ignored_attributes__")
        return Diagnosis(
            kind="missing-attribute", phase=phase, attribute=attribute, **where,
            summary=f"{compiling or 'a method'} uses self.{attribute}, which {label} does not "
                    "have for TorchScript (never set, set to None, or ignored)",
            reason=_first_line(self.message), where=self.where_in_message(),
            fix=f"set self.{attribute} in {cls}.__init__ (with a value TorchScript can type), "
                "or stop using it in the scripted method")

    def method_compile(self) -> Optional[Diagnosis]:
        if not self.inner or self.inner.function not in _COMPILING:
            return None
        module = self.inner.module
        where = self.where_module(module)
        cls = type(module).__qualname__ if module is not None else "?"
        method = self.method_at_error(module)
        syntax = type(self.error).__name__ in _FRONTEND_ERRORS
        name = f"{cls}.{method}" if method else f"a method of {cls}"
        return Diagnosis(
            kind="method-compile", phase=f"compiling {name}" if method else self.inner.phase,
            method=method, **where,
            summary=f"{name} of module {path_label(where['module'])} uses "
                    + ("syntax TorchScript does not support" if syntax
                       else "types TorchScript cannot reconcile"),
            reason=_first_line(self.message), where=self.where_in_message(),
            fix=(f"rewrite {name} with what TorchScript supports" if syntax else
                 f"fix the types in {name} (annotate its arguments and variables: TorchScript "
                 "takes an unannotated argument for a Tensor)")
            + ", or mark it @torch.jit.ignore (it then runs in Python and scripted code cannot "
              "call it) or @torch.jit.unused (kept, raising if scripted code calls it)")

    def other(self) -> Diagnosis:
        module = self.module()
        where = self.where_module(module)
        label = (f" in module {path_label(where['module'])} ({type(module).__qualname__})"
                 if module is not None else "")
        return Diagnosis(
            kind="other", phase=self.phase_name(),
            summary=f"torch raised {type(self.error).__name__} while "
                    f"{self.phase_name()}{label}",
            reason=_first_line(self.message), **where,
            where=self.where_in_message() or self.where_in_traceback(),
            fix="torch's error above says what it needs; the stops marked ✗ show where it "
                "passed")

    # -- helpers ----------------------------------------------------------------------------
    def failed_hint(self, module: Any, attribute: str) -> Optional[str]:
        """The hint torch kept for a failed attribute of the module's class."""
        if module is None:
            return None
        for calls in reversed(self.builder_calls):
            if calls[0][1][:1] != (type(module),):
                continue
            for name, args in calls:
                if name == "add_failed_attribute" and args and args[0] == attribute:
                    return str(args[1])
        return None

    def compiling_method(self, module: Any) -> Optional[str]:
        method = self.method_at_error(module, last=True)
        return f"{type(module).__qualname__}.{method}" if method else None

    def method_at_error(self, module: Any, last: bool = False) -> Optional[str]:
        """The method of the module's class that the error's source location is in (the
        innermost location torch printed; with `last`, the outermost)."""
        if module is None:
            return None
        found = _FILE_LINE.findall(self.message)
        for file, line in (reversed(found) if last else found):
            method = _method_at(type(module), file, int(line))
            if method:
                return method
        return None


_BUILDER_FIXES = {
    "add_ignored_attributes": "__jit_ignored_attributes__ must be a list of attribute names, "
                              "e.g. [\"debug_log\"], not a string",
    "add_overload": "__overloads__ maps a method name to a list of the names of its overloads",
    "add_constant": "each name in __constants__ (or annotated Final) must hold a constant "
                    "TorchScript can type",
}


def _method_at(cls: type, file: str, line: int) -> Optional[str]:
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            function = inspect.unwrap(value) if callable(value) else None
            code = getattr(function, "__code__", None)
            if code is None or not _same_file(code.co_filename, file):
                continue
            lines = [n for _, _, n in code.co_lines() if n is not None] \
                if hasattr(code, "co_lines") else [code.co_firstlineno]
            if lines and code.co_firstlineno <= line <= max(lines):
                return name
    return None


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _source_of(function: Any) -> Optional[str]:
    code = getattr(function, "__code__", None)
    return f"{relative_paths_in(code.co_filename)}:{code.co_firstlineno}" if code else None


def _causes(error: BaseException) -> List[BaseException]:
    out, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        out.append(error)
        error = error.__cause__ or error.__context__
    return out


def _in_traceback(error: BaseException, function: str) -> bool:
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == function:
            return True
        tb = tb.tb_next
    return False


def _first_line(text: str) -> str:
    lines = [line.strip() for line in relative_paths_in(text).splitlines() if line.strip()]
    return lines[0] if lines else ""


def _first_file_line(text: str) -> Optional[str]:
    match = _FILE_LINE.search(text)
    return f"{relative_paths_in(match.group(1))}:{match.group(2)}" if match else None


def _hint_reason(hint: str) -> str:
    """torch's hint for a failed attribute, without its framing: the reason itself."""
    text = hint.strip().strip("()")
    marker = "to a TorchScript type. "
    if marker in text:
        text = text.split(marker, 1)[1]
    return relative_paths_in(text.strip())


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    text = strip_addresses(text)
    return text if len(text) <= 60 else text[:59] + "…"
