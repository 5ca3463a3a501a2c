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


def test_a_function_s_lines_before_3_11_are_tokenized_once_then_kept(tmp_path, monkeypatch):
    """Without end positions in code objects (before 3.11), a function's block is found by
    tokenizing, as inspect does; its length is kept on disk under the file's size and
    modification time, and found again by the next run."""
    import linecache
    import types

    from harness.recording import targets

    source = tmp_path / "mod.py"
    source.write_text("import os\n\n@staticmethod\ndef f(x):\n    y = x\n\n    return y\n"
                      "\nz = 1\n")
    namespace: dict = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    code = namespace["f"].__func__.__code__
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    lines = linecache.getlines(str(source))

    old = types.SimpleNamespace(co_filename=code.co_filename, co_name=code.co_name,
                                co_firstlineno=code.co_firstlineno)  # as 3.10's: no co_positions
    expected = ["@staticmethod\n", "def f(x):\n", "    y = x\n", "\n", "    return y\n"]
    assert targets.function_lines(code, lines) == expected  # from end positions (3.11+)
    assert targets.function_lines(old, lines) == expected  # tokenized, then kept
    assert len(list((tmp_path / "cache" / "blocks").iterdir())) == 1
    monkeypatch.setattr(targets.inspect, "getblock", lambda lines: 1 / 0)  # not tokenized again
    assert targets.function_lines(old, lines) == expected
    source.write_text(source.read_text() + "# grown\n")  # another size: tokenized anew
    with pytest.raises(ZeroDivisionError):
        targets.function_lines(old, lines)
