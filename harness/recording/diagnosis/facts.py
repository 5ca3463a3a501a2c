"""What a diagnosis is worked out from, and helpers to name modules and find code.

torch's error and message, the probes' trail (the walk's functions the exception left,
innermost first, with their modules), the builders' calls, and the model."""
from __future__ import annotations

import inspect
import os
import sys
from typing import Any, Dict, List, Optional

from ...records import path_label
from ..paths import relative_paths_in
from ..probes import Probes
from . import message as msg
from . import source


class Facts:
    def __init__(self, error: BaseException, phase: str, probes: Probes,
                 builders: List[List[Any]], encoder: Any, model: Any):
        self.error, self.phase, self.encoder, self.model = error, phase, encoder, model
        self.builder_calls = builders
        self.raw = str(error)
        self.message = msg.clean(self.raw)
        self.trail = probes.trail.of(error)
        self.inner = self.trail[0] if self.trail else None
        self.places = msg.places(self.raw)

    # -- the module --------------------------------------------------------------------------
    def module(self) -> Any:
        return self.inner.module if self.inner else None

    def where_module(self, module: Any) -> Dict[str, Any]:
        if module is None:
            return {"module": None, "module_class": None}
        cls = type(module)
        return {"module": self.encoder.name_of(module),
                "module_class": f"{cls.__module__}.{cls.__qualname__}"}

    def label(self, module: Any) -> str:
        """`module blocks.1 (Smoother)`."""
        if module is None:
            return "the model"
        return f"module {path_label(self.encoder.name_of(module))} ({type(module).__qualname__})"

    def phase_name(self) -> str:
        return self.inner.phase if self.inner else "scripting"

    # -- places ------------------------------------------------------------------------------
    def user_places(self) -> List[msg.Place]:
        """The places torch marks in the user's code, innermost first: not torch's, not the
        standard library's, and among installed packages only those the model's own modules
        come from (a timm model's code is what to edit; numpy's is not)."""
        out = []
        for place in self.places:
            file = source.real_file(place.file)
            if file is None or not source.is_user_file(file):
                continue
            installed = source.installed_package(file)
            if installed is None or installed in self.model_packages():
                out.append(place)
        return out

    def model_packages(self) -> set:
        if not hasattr(self, "_packages"):
            from ..torch_values import walk_modules

            self._packages = {type(m).__module__.split(".")[0]
                              for _, m in walk_modules(self.model)} if self.model is not None \
                else set()
        return self._packages

    def where_in_message(self) -> Optional[str]:
        places = self.user_places() or self.places
        return at(places[0].file, places[0].line) if places else None

    def where_in_traceback(self) -> Optional[str]:
        """The innermost frame of the traceback outside torch and the harness."""
        found = None
        tb = self.error.__traceback__
        torch_dir = os.sep + "torch" + os.sep
        harness_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
            __file__))))
        while tb is not None:
            file = tb.tb_frame.f_code.co_filename
            if torch_dir not in file and not os.path.abspath(file).startswith(harness_dir):
                found = f"{relative_paths_in(file)}:{tb.tb_lineno} in " \
                        f"{tb.tb_frame.f_code.co_name}"
            tb = tb.tb_next
        return found

    def method_at(self, module: Any, places: List[msg.Place]) -> Optional[str]:
        """The method (or property) of the module's class holding the first of `places` that
        is in it."""
        if module is None:
            return None
        for place in places:
            found = member_at(type(module), place.file, place.line)
            if found:
                return found[0]
        return None

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


def at(file: str, line: int) -> str:
    return f"{relative_paths_in(file)}:{line}"


def member_at(cls: type, file: str, line: int):
    """(name, "method" | "property") of the member of `cls` (or a base) whose code holds the
    line, or None."""
    real = source.real_file(file) or file
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            what = "property" if isinstance(value, property) else "method"
            function = value.fget if isinstance(value, property) else value
            function = getattr(function, "__func__", function)
            try:
                function = inspect.unwrap(function) if callable(function) else None
            except ValueError:
                function = None
            code = getattr(function, "__code__", None)
            if code is None or not same_file(code.co_filename, real):
                continue
            lines = [n for _, _, n in code.co_lines() if n is not None]
            if lines and code.co_firstlineno <= line <= max(lines):
                return name, what
    return None


def same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def source_of(function: Any) -> Optional[str]:
    code = getattr(function, "__code__", None)
    return at(code.co_filename, code.co_firstlineno) if code else None


def module_globals(file: str) -> Dict[str, Any]:
    """The globals of the loaded module whose file this is (to resolve a name the code
    uses)."""
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and same_file(path, file):
            return vars(module)
    return {}


def resolve(dotted: str, namespace: Dict[str, Any]) -> Any:
    """The object a dotted name in the code stands for, or None."""
    if not dotted:
        return None
    parts = dotted.split(".")
    value = namespace.get(parts[0], getattr(__builtins__, parts[0], None)
                          if not isinstance(__builtins__, dict) else __builtins__.get(parts[0]))
    for part in parts[1:]:
        value = getattr(value, part, None)
    return value


def short_repr(value: Any) -> str:
    from ...text import strip_addresses

    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    text = strip_addresses(text)
    return text if len(text) <= 60 else text[:59] + "…"


def causes(error: Optional[BaseException]) -> List[BaseException]:
    out, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        out.append(error)
        error = error.__cause__ or error.__context__
    return out


def in_traceback(error: BaseException, function: str) -> bool:
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == function:
            return True
        tb = tb.tb_next
    return False
