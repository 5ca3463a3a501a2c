"""The package's layout holds: the two processes apart, and printing only where it belongs.

Read from the source with `ast` (nothing is imported), so the rules hold for every module,
also those no test happens to import:
- the recording side (`harness/recording/`, what runs where torch is) imports only the
  standard library, torch and the harness: a matrix environment holds nothing else;
- inside it, only the front ends (`recording/frontends/`: the entry point and the debugger)
  talk to the terminal: the engine, backends, values, session and diagnosis import nothing
  from `harness/show/` or the command line, as bdb leaves printing to pdb;
- `harness/show/` reads records, never a run: it imports nothing from `recording/`;
- the parent side imports no torch at module level (replay, diff and reports run without it).
"""
import ast
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = os.path.join(ROOT, "harness")
# pdb++ is optional in the debugger (it falls back to pdb, saying so); the shipped scenarios'
# models are the user's code, not the harness's.
OPTIONAL_IN_RECORDING = {"pdbpp", "pdb", "fancycompleter", "pygments"}


def modules():
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != "__pycache__" and d != "scenarios"]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                yield dotted.removesuffix(".__init__"), path


def imports(dotted, path):
    """(imported module, line, at module level) for each import of the file, relative ones
    resolved against the module's package."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    is_package = path.endswith("__init__.py")
    package = dotted if is_package else dotted.rpartition(".")[0]
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names] if not node.module else [target]
            for name in names:
                yield name, node.lineno, id(node) in top_level


def under(name, prefix):
    return name == prefix or name.startswith(prefix + ".")


ALL = sorted(modules())
RECORDING = [(d, p) for d, p in ALL if under(d, "harness.recording")]
FRONT_ENDS = "harness.recording.frontends"


def test_the_layout_is_read():
    names = {d for d, _ in ALL}
    assert {"harness.cli", "harness.parent.launch", "harness.recording.frontends.child",
            "harness.recording.engine", "harness.show.run_report"} <= names


@pytest.mark.parametrize("dotted,path", RECORDING, ids=[d for d, _ in RECORDING])
def test_the_recording_side_imports_only_the_standard_library_torch_and_the_harness(dotted,
                                                                                     path):
    stdlib = sys.stdlib_module_names
    for name, line, _ in imports(dotted, path):
        top = name.split(".")[0]
        if top in ("harness", "torch") or top in stdlib or top in OPTIONAL_IN_RECORDING:
            continue
        pytest.fail(f"{path}:{line} imports {name}: the recording process may import only "
                    "the standard library and torch")


@pytest.mark.parametrize("dotted,path", RECORDING, ids=[d for d, _ in RECORDING])
def test_only_the_front_ends_of_the_recording_side_print(dotted, path):
    if under(dotted, FRONT_ENDS):
        return
    for name, line, _ in imports(dotted, path):
        assert not under(name, FRONT_ENDS), f"{path}:{line} imports a front end ({name})"
        for printing in ("harness.show", "harness.cli", "harness.command"):
            assert not under(name, printing), \
                f"{path}:{line} imports {name}: the recording side's engine prints nothing"


def test_show_never_imports_the_recording_side():
    for dotted, path in ALL:
        if under(dotted, "harness.show"):
            for name, line, _ in imports(dotted, path):
                assert not under(name, "harness.recording"), f"{path}:{line} imports {name}"


def test_the_parent_side_imports_torch_only_inside_a_run():
    for dotted, path in ALL:
        if under(dotted, "harness.recording"):
            continue
        for name, line, top_level in imports(dotted, path):
            assert not (top_level and under(name, "torch")), \
                f"{path}:{line} imports torch at module level"
