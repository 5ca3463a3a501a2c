"""Dotted names -> code objects, on pure-Python samples and on torch."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "samples"))

from harness.recording.targets import code_lines, match_line, resolve  # noqa: E402


def test_functions_methods_and_closures_resolve():
    import sample_targets

    assert resolve("sample_targets.outer").code is sample_targets.outer.__code__
    assert resolve("sample_targets.Box.grow").code is sample_targets.Box.grow.__code__
    inner = resolve("sample_targets.outer.<locals>.inner")
    assert inner.code.co_name == "inner" and inner.qualname.endswith("outer.<locals>.inner")


def test_unknown_names_suggest_close_ones():
    with pytest.raises(LookupError, match="did you mean outer"):
        resolve("sample_targets.outr")
    with pytest.raises(LookupError, match="no module named 'no_such_pkg'"):
        resolve("no_such_pkg.f")
    with pytest.raises(LookupError, match="did you mean inner"):
        resolve("sample_targets.outer.<locals>.innr")


def test_line_fragments_match_one_line_of_the_function_itself():
    target = resolve("sample_targets.outer")
    line = match_line(target, "total += inner(i)", None)
    source, first = target.source()
    assert "total += inner(i)" in source[line - first]
    # `return doubled + 1` belongs to the closure, not to outer
    with pytest.raises(LookupError, match="no line of"):
        match_line(target, "doubled + 1", None)
    assert target.code.co_firstlineno not in code_lines(target.code)


def test_torch_seed_targets_resolve():
    pytest.importorskip("torch")
    from torch.jit import _recursive

    closure = resolve("torch.jit._recursive.infer_concrete_type_builder.<locals>.infer_type")
    assert closure.code in _recursive.infer_concrete_type_builder.__code__.co_consts
    method = resolve("torch.jit._recursive.ConcreteTypeStore.get_or_create_concrete_type")
    assert method.code.co_name == "get_or_create_concrete_type"


def test_a_module_that_fails_on_import_is_a_lookup_error_saying_so(tmp_path, monkeypatch):
    """Whatever the module a breakpoint names does at import (raise, sys.exit) is bad input
    reported by name, never the model's failure and never a traceback."""
    for name, body, fragment in [
            ("raises_on_import", "raise ValueError('no config')",
             "importing raises_on_import failed: ValueError: no config"),
            ("exits_on_import", "import sys\nsys.exit(3)",
             "importing exits_on_import called sys.exit(3)"),
            ("imports_missing", "import no_such_dependency_here",
             "ModuleNotFoundError: No module named 'no_such_dependency_here'")]:
        (tmp_path / f"{name}.py").write_text(body + "\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        with pytest.raises(LookupError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
            resolve(f"{name}.f")
