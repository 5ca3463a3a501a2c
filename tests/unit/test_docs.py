"""The documents stay true to the code they describe."""
import os
import re
import runpy

from helpers import ROOT


def test_the_module_table_is_the_modules_own_docstrings():
    table = runpy.run_path(os.path.join(ROOT, "docs", "module_table.py"))
    assert table["in_design"]() == table["table"](), (
        "docs/design.md's module table differs from the docstrings; "
        "run `python docs/module_table.py --write`")


def test_the_format_versions_in_the_docs_are_the_code_constants():
    from harness import records, scenario

    formats = open(os.path.join(ROOT, "docs", "formats.md"), encoding="utf-8").read()
    rows = dict(re.findall(r"^\| ([^|]+?) \| (\d+) \|", formats, re.M))
    assert int(rows["scenario (YAML)"]) == scenario.FORMAT_VERSION
    assert int(rows["snapshot records (JSON Lines)"]) == records.FORMAT_VERSION
    assert int(rows["value encoding (the captured values inside stops)"]) == \
        records.ENCODING_VERSION
