"""The HTML reports in a real browser (headless Chromium, driven by Playwright): the walk of
the seed, a failed run's diagnosis, a diff across torch releases, and a stranger's snapshot
that must not run script in the page. Skipped, saying why, where no browser is installed.

HARNESS_SCREENSHOTS=DIR also saves the README's screenshots there."""
import json
import os
import shutil

import pytest

from helpers import ROOT, real_snapshot, run_without_torch

SEED_113 = real_snapshot("seed_walk", "1.13.1")
SEED_214 = real_snapshot("seed_walk", "2.14.1")
FAILING = os.path.join(ROOT, "scenarios", "__snapshots__", "failing-attribute",
                       "torch-2.13.jsonl")


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not "
                                     "installed (pip install playwright)")
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium here (Debian: apt-get install chromium); the HTML reports "
                    "are checked in a real browser only")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: page.errors.append(f"dialog: {d.message}") or d.dismiss())
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    yield page
    context.close()


def report(tmp_path, snapshot, name="walk.html"):
    out = tmp_path / name
    proc = run_without_torch("report", snapshot, "-o", str(out))  # no torch needed
    assert proc.returncode == 0, proc.stderr
    return out


def screenshot(page, name, tmp_path):
    target = tmp_path / name
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000
    folder = os.environ.get("HARNESS_SCREENSHOTS")
    if folder:
        shutil.copy(target, os.path.join(folder, name))


def open_page(page, path):
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready='1']")


def test_the_seed_walk_shows_the_model_the_stops_and_a_stops_values(page, tmp_path):
    out = report(tmp_path, SEED_113)
    open_page(page, out)
    assert "torch 1.13.1+cu117" in page.inner_text("#meta")
    assert (page.inner_text("#outcome")
            == "outcome: ok: scripted into __torch__.seed_model.CustomModel")
    # expand a module: custom_layer1, a CustomLayer, with its parameters typed
    module = page.locator("details.module[data-path='custom_layer1']")
    module.locator("summary").first.click()
    assert "CustomLayer" in module.locator("summary").first.inner_text()
    assert module.locator("tr[data-attribute='weights']").inner_text().split() == \
        ["weights", "✓", "Tensor"]
    # select the infer_type stop of `weights` and read its attr_type
    weights = page.locator(".stop", has_text="name='weights'")
    weights.click()
    assert page.inner_text("#detail h2") == "#66 infer_type return custom_layer1"
    attr = page.locator("#locals details[data-local='attr_type']")
    assert attr.locator(".short").inner_text() == "✓ Tensor"
    attr.locator("summary").first.click()
    assert '"Tensor"' in attr.inner_text()
    assert page.locator("#source .at").inner_text().strip().endswith("return attr_type, inferred")
    screenshot(page, "report-walk.png", tmp_path)
    # filter by a module
    page.fill("#f-module", "layer2.0")
    visible = page.locator(".stop:not(.hidden)")
    assert visible.count() > 0 and all("layer2.0" in t for t in visible.all_inner_texts())
    assert page.inner_text("#shown").endswith(f"of {151} stops")
    page.fill("#f-module", "")
    page.select_option("#f-function", label="create_script_module_impl")
    assert page.locator(".stop:not(.hidden)").count() == 13
    assert page.errors == [] and all(u.startswith("file:") for u in page.requests)


def test_a_failed_run_shows_the_diagnosis_and_links_to_its_stops(page, tmp_path):
    open_page(page, report(tmp_path, FAILING))
    diagnosis = page.inner_text("#diagnosis")
    assert "the type of attribute scales of module <root> (MixedScales) could not be " \
           "inferred" in diagnosis
    assert "Module 'MixedScales' has no attribute 'scales'" in page.inner_text("#error")
    page.locator("#diagnosis-stops a", has_text="#8").click()
    assert page.inner_text("#detail h2") == "#8 infer_type return <root>"
    assert page.locator(".stop.selected").get_attribute("data-index") == "8"
    screenshot(page, "report-failure.png", tmp_path)


def test_a_diff_across_torch_releases_shows_code_and_values(page, tmp_path):
    changed = tmp_path / "changed.jsonl"
    lines = open(SEED_214, encoding="utf-8").read().splitlines()
    edited = []
    for line in lines:
        record = json.loads(line)
        if record["kind"] == "stop" and record["locals"].get("name") == "weights":
            record["locals"]["attr_type"]["jit_type"] = "Optional[Tensor]"
            line = json.dumps(record)
        edited.append(line)
    changed.write_text("\n".join(edited) + "\n")
    out = tmp_path / "diff.html"
    proc = run_without_torch("diff", SEED_113, str(changed), "--format", "html", "-o", str(out))
    assert proc.returncode == 1 and "diff written to" in proc.stdout
    page.goto(out.as_uri())
    assert page.inner_text("#summary").startswith("different: 151 stops paired")
    section = page.locator("details.function[data-function$='infer_type']")
    change = section.locator("li.change", has_text="name=weights")
    assert "attr_type.jit_type: 'Tensor' → 'Optional[Tensor]'" in change.inner_text()
    code = page.locator("details.function[data-function$='call_prepare_scriptable_func_impl']")
    assert "for v in new_obj_dict.values():" in code.locator("td.chg-b").all_inner_texts()[-1]
    assert "FutureWarning" in page.inner_text("#run-changes")
    screenshot(page, "report-diff.png", tmp_path)
    assert page.errors == []


HOSTILE = ['</script><script>window.__pwned = 1; alert(1)</script>',
           '<img src=x onerror="window.__pwned=2">', 'javascript:alert(3)',
           '"><svg onload="window.__pwned=4">', "\u2028\u2029</ScRiPt >"]


def hostile_snapshot(tmp_path):
    header = {"kind": "header", "format": "harness-snapshot", "version": 1,
              "scenario": {"name": "x", "hash": "0", "description": HOSTILE[0]},
              "torch": HOSTILE[1], "python": HOSTILE[3],
              "breakpoints": [{"function": HOSTILE[0], "at": "return", "capture": ["v"]}]}
    stop = {"kind": "stop", "index": 0, "function": HOSTILE[0], "breakpoint": 0,
            "event": "return", "line": 1, "call": 0, "parent": None, "depth": 0,
            "subject": HOSTILE[1], "locals": {HOSTILE[2]: HOSTILE[0], "v": {
                "type": "nn.Module", "class": HOSTILE[3], "path": HOSTILE[4]}}}
    source = {"kind": "source", "function": HOSTILE[0], "file": HOSTILE[1], "first_line": 1,
              "text": "\n".join(HOSTILE)}
    end = {"kind": "end", "outcome": "error", "stops": 1,
           "error": {"type": HOSTILE[1], "message": HOSTILE[0]},
           "diagnosis": {"kind": "other", "phase": HOSTILE[3], "summary": HOSTILE[0],
                         "fix": HOSTILE[1], "stops": [0]}}
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (header, source, stop, end)) + "\n")
    return path


def test_a_strangers_snapshot_cannot_run_script_in_either_page(page, tmp_path):
    hostile = hostile_snapshot(tmp_path)
    open_page(page, report(tmp_path, str(hostile)))
    page.locator(".stop").first.click()
    assert page.evaluate("window.__pwned") is None
    assert HOSTILE[0] in page.inner_text("#error")  # shown as text, as written
    assert page.locator("img, svg").count() == 0
    out = tmp_path / "diff.html"
    run_without_torch("diff", str(hostile), str(hostile), "--format", "html", "-o", str(out))
    page.goto(out.as_uri())
    assert page.evaluate("window.__pwned") is None and page.locator("img, svg").count() == 0
    assert not [e for e in page.errors if "dialog" in e]


def test_the_pages_are_valid_html(tmp_path):
    html5lib = pytest.importorskip("html5lib")
    hostile = hostile_snapshot(tmp_path)
    pages = [report(tmp_path, SEED_113, "a.html"), report(tmp_path, str(hostile), "b.html")]
    for a, b in ((SEED_113, SEED_214), (str(hostile), str(hostile))):
        out = tmp_path / f"diff{len(pages)}.html"
        run_without_torch("diff", a, b, "--format", "html", "-o", str(out))
        pages.append(out)
    for path in pages:
        parser = html5lib.HTMLParser(strict=True)
        parser.parse(path.read_text(encoding="utf-8"))  # raises on any parse error
        assert not parser.errors, (path, parser.errors[:3])


def test_a_4000_stop_walk_stays_a_few_megabytes_and_opens(page, tmp_path):
    lines = open(SEED_113, encoding="utf-8").read().splitlines()
    header, rest = lines[0], lines[1:]
    stops = [json.loads(line) for line in rest if '"kind": "stop"' in line]
    others = [line for line in rest if '"kind": "stop"' not in line and '"kind": "end"' not in line]
    big = []
    for n in range(4000):
        stop = dict(stops[n % len(stops)], index=n, call=n, parent=None, depth=0)
        big.append(json.dumps(stop))
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join([header] + others + big) + "\n")
    out = report(tmp_path, str(path), "big.html")
    assert out.stat().st_size < 8 * 1024 * 1024
    open_page(page, out)
    assert page.inner_text("#shown") == "4000 of 4000 stops"
    page.locator(".stop[data-index='3999']").click()
    assert page.inner_text("#detail h2").startswith("#3999 ")


def test_an_address_opens_a_stop_and_selecting_one_puts_it_in_the_address(page, tmp_path):
    out = report(tmp_path, FAILING)
    page.goto(out.as_uri() + "#stop-8")
    page.wait_for_selector("body[data-ready='1']")
    assert page.inner_text("#detail h2") == "#8 infer_type return <root>"
    assert page.locator(".stop.selected").get_attribute("data-index") == "8"
    assert page.locator("#diagnosis-stops a", has_text="#8").get_attribute("href") == "#stop-8"
    page.locator(".stop[data-index='9']").click()
    assert page.evaluate("location.hash") == "#stop-9"
    page.evaluate("location.hash = '#stop-3'")  # a link followed within the page
    page.wait_for_function("document.querySelector('.stop.selected').dataset.index === '3'")
    assert page.errors == []


def test_the_source_shows_the_marked_line_of_a_long_function(page, tmp_path):
    open_page(page, report(tmp_path, SEED_113))
    page.locator(".stop[data-index='23']").click()  # infer_concrete_type_builder: 225 lines
    at = page.locator("#source .at")
    assert at.inner_text().split()[0] == "348"
    box, line = page.locator("#source").bounding_box(), at.bounding_box()
    assert box["y"] <= line["y"] and line["y"] + line["height"] <= box["y"] + box["height"]
    assert 0 <= line["y"] and line["y"] + line["height"] <= 900  # on screen, not only in its box


def test_the_model_tree_opens_at_the_failing_module(page, tmp_path):
    golden = os.path.join(ROOT, "scenarios", "__snapshots__", "failing-method-syntax",
                          "torch-2.13.jsonl")
    open_page(page, report(tmp_path, golden))
    failing = page.locator("details.module[data-path='blocks.1']")
    assert failing.evaluate("d => d.open") and "failing" in failing.get_attribute("class")
    assert page.locator("details.module[data-path='blocks']").evaluate("d => d.open")
    assert failing.locator("summary").first.is_visible()
    assert not page.locator("details.module[data-path='blocks.0']").evaluate("d => d.open")
