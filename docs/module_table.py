"""The module table of docs/design.md, made from the modules' own docstrings.

    python docs/module_table.py           print it
    python docs/module_table.py --write   put it into docs/design.md

Each module's docstring says what it is for; its first paragraph is the table's entry, so the
two cannot drift apart (tests/unit/test_docs.py fails when they do).
"""
import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DESIGN = ROOT / "docs" / "design.md"
BEGIN, END = "<!-- module table: made by docs/module_table.py -->", "<!-- end of module table -->"
SKIP = {"__main__.py"}


def rows():
    for path in sorted((ROOT / "harness").rglob("*.py")):
        if path.name in SKIP:
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        first = " ".join(doc.split("\n\n")[0].split())
        name = path.relative_to(ROOT).as_posix()
        yield name, first.replace("|", "\\|")


def table() -> str:
    lines = ["| module | what it is for |", "| --- | --- |"]
    lines += [f"| `{name}` | {first} |" for name, first in rows()]
    return "\n".join(lines)


def in_design() -> str:
    text = DESIGN.read_text(encoding="utf-8")
    return text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip()


def write() -> None:
    text = DESIGN.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DESIGN.write_text(text[:start] + "\n" + table() + "\n" + text[end:], encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write()
    else:
        print(table())
