"""The pages' HTML, CSS and JavaScript, kept as files in `pages/` beside this module (package
data, in the wheel) and read with `importlib.resources`, so they are edited as what they are.

`asset(name)` reads one file once; `fill(template, **values)` puts values in a template's
`{name}` places in one pass, so a value (a snapshot's text) is never read as a place to fill.
Both pages inline what they use, so each written page stays one self-contained file.
"""
from __future__ import annotations

import functools
import re
from importlib.resources import files

# Nothing loaded, nothing sent: the inline style and script only (the walk's page has a script,
# the diff's none), pictures only as data: addresses.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data:; base-uri 'none'; form-action 'none'")

ASSETS = ("report.html", "report.js", "style.css", "diff.html", "diff.css")

_PLACE = re.compile(r"\{([a-z_]+)\}")


@functools.cache
def asset(name: str) -> str:
    """The text of one file in pages/ (a name from ASSETS), read once."""
    if name not in ASSETS:
        raise ValueError(f"no page asset {name!r}: the assets are {', '.join(ASSETS)}")
    return files(__package__).joinpath("pages").joinpath(name).read_text(encoding="utf-8")


def fill(template: str, **values: str) -> str:
    """The template with each `{name}` replaced by its value; every place needs a value."""
    missing = sorted(set(_PLACE.findall(template)) - set(values))
    if missing:
        raise KeyError(f"no value for the template's {', '.join(missing)}")
    return _PLACE.sub(lambda match: values[match.group(1)], template)
