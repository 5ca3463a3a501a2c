"""The HTML pages' assets: files in harness/show/pages/, read with importlib.resources, in the
wheel, and put together into the same self-contained pages the Python strings made before."""
import configparser
import glob
import hashlib
import os
from importlib.resources import files

import pytest

from helpers import ROOT

from harness import snapshot
from harness.compare import diff
from harness.show import html_diff, html_report, page_assets

CLASS_WALK = os.path.join(ROOT, "tests", "data", "class_walk")
OLD = os.path.join(CLASS_WALK, "torch-1.13.1+cu117-py3.11.7.jsonl")
NEW = os.path.join(CLASS_WALK, "torch-2.14.1+cu130-py3.11.7.jsonl")

# sha256 of each page of the class walk with its data taken out (the walk page's JSON, the diff
# page's body), as the code made them when the assets were Python strings (commit f0529a0):
# moving them into files changed no byte. A deliberate change to an asset changes these: the
# walk's has changed once since, for openAddress reading the stops' Map (`has`, not `[index]`).
WALK_SHELL = "c3bee4193b11d174e1dde81c8093dec40f177744175c980745d5dbdf0983a61b"
DIFF_SHELL = "990f0b5f05d5c76e1d6dade1dd1d15fc7cc28277ba9abd20d7563eb3380604fc"


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("name", page_assets.ASSETS)
def test_every_asset_loads_through_importlib_resources(name):
    text = files("harness.show").joinpath("pages").joinpath(name).read_text(encoding="utf-8")
    assert text.strip() and page_assets.asset(name) == text


def test_every_file_in_pages_is_an_asset_and_package_data():
    found = {os.path.basename(f) for f in glob.glob(os.path.join(ROOT, "harness", "show",
                                                                 "pages", "*"))}
    assert found == set(page_assets.ASSETS)
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"))
    patterns = [p.strip() for p in config["options.package_data"]["harness.show"].split(",")]
    shipped = {os.path.basename(f) for pattern in patterns
               for f in glob.glob(os.path.join(ROOT, "harness", "show", pattern))}
    assert shipped == found


def test_fill_puts_values_in_once_and_wants_every_place():
    # a value that looks like a place stays as it is: a snapshot's text is never filled
    assert page_assets.fill("<p>{a}|{b}</p>", a="{b}", b="x") == "<p>{b}|x</p>"
    with pytest.raises(KeyError):
        page_assets.fill("<p>{a}{b}</p>", a="x")
    with pytest.raises(ValueError):
        page_assets.asset("../html_report.py")


def test_the_walk_page_is_the_one_made_before_the_assets_were_files():
    page = html_report.walk_page(snapshot.read(NEW))
    data = html_report.embed(html_report.walk_data(snapshot.read(NEW)))
    assert page.count(data) == 1
    assert sha256(page.replace(data, "")) == WALK_SHELL
    # self-contained: the style and the script inline, the policy that loads nothing
    assert f"<style>\n{page_assets.asset('style.css')}</style>" in page
    assert f"<script>\n{page_assets.asset('report.js')}</script>" in page
    assert f'content="{page_assets.CSP}"' in page and "default-src 'none'" in page_assets.CSP
    assert f'<script type="application/json" id="data">{data}</script>' in page


def test_the_diff_page_is_the_one_made_before_and_shares_the_style():
    a, b = snapshot.read(OLD), snapshot.read(NEW)
    page = html_diff.diff_page(diff(a, b), a, b)
    head, rest = page.split("<body>\n", 1)
    body, tail = rest.rsplit("\n</body>", 1)
    assert "harness diff" in body
    assert sha256(head + "<body>\n\n</body>" + tail) == DIFF_SHELL
    style = page_assets.asset("style.css") + "\n" + page_assets.asset("diff.css")
    assert f"<style>\n{style}</style>" in head and "<script" not in page
    assert f'content="{page_assets.CSP}"' in head
