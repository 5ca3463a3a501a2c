"""Find a scenario's model factory: `path/to/file.py:Name` or `package.module:Name`.

A model file is imported under its file name (`seed_model.py` -> module `seed_model`), with its
folder put first on sys.path so that it can import its neighbours; that module name is what
torch puts in the qualified names it makes (`__torch__.seed_model.CustomModel`) and what a
scenario uses to stop in the model's own code (`seed_model.CustomLayer.__init__`).
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any, Callable

from ..scenario import ModelSpec
from ..text import did_you_mean


class ModelLoadError(Exception):
    pass


def import_model_module(spec: ModelSpec) -> Any:
    if spec.module:
        try:
            return importlib.import_module(spec.module)
        except ImportError as exc:
            raise ModelLoadError(f"cannot import {spec.module!r}: {exc}") from None
        except Exception as exc:
            raise ModelLoadError(f"importing {spec.module} failed: {type(exc).__name__}: "
                                 f"{exc}") from None
        except SystemExit as exc:
            raise ModelLoadError(f"importing {spec.module} called sys.exit({exc.code!r})") \
                from None
    if spec.file is None:  # the scenario's reader gives every factory a module or a file
        raise ModelLoadError(f"{spec.factory} names neither a module nor a file")
    return _import_file(spec.file)


def _import_file(file: str) -> Any:
    """The model file imported under its file name, its folder first on sys.path."""
    folder = os.path.dirname(file)
    name = os.path.splitext(os.path.basename(file))[0]
    loaded = sys.modules.get(name)
    if loaded is not None and os.path.abspath(getattr(loaded, "__file__", "") or "") == file:
        return loaded
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module_spec = importlib.util.spec_from_file_location(name, file)
    if module_spec is None or module_spec.loader is None:
        raise ModelLoadError(f"cannot import {file}: Python finds no way to load it")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # torch finds class sources through sys.modules
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ModelLoadError(f"importing {file} failed: {type(exc).__name__}: {exc}") from None
    except SystemExit as exc:
        del sys.modules[name]
        raise ModelLoadError(f"importing {file} called sys.exit({exc.code!r})") from None
    return module


def load_factory(spec: ModelSpec) -> Callable[..., Any]:
    module = import_model_module(spec)
    factory = getattr(module, spec.attr, None)
    if factory is None:
        names = [n for n in vars(module) if not n.startswith("_")]
        raise ModelLoadError(f"{spec.factory}: {module.__name__} has no {spec.attr!r}"
                             + did_you_mean(spec.attr, names))
    if not callable(factory):
        raise ModelLoadError(f"{spec.factory}: {spec.attr!r} is not callable")
    return factory
