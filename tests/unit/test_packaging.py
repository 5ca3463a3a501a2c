"""The wheel's contents, decided by setup.py and setup.cfg: every package under harness/, and
the shipped scenarios (package data of `harness.scenarios`, mapped to the top-level
scenarios/). tests/integration/test_wheel.py builds the wheel itself (slow group)."""
import configparser
import glob
import os

from setuptools import find_packages

from helpers import ROOT

from harness import shipped


def setup_cfg():
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"))
    return config


def test_the_packages_are_every_package_under_harness_and_the_shipped_scenarios():
    """setup.py's packages: found, so a new package under harness/ needs no edit."""
    import ast

    tree = ast.parse(open(os.path.join(ROOT, "setup.py"), encoding="utf-8").read())
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call)
                and getattr(n.func, "id", None) == "setup")
    given = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg == "package_dir"}
    assert given["package_dir"] == {"harness.scenarios": "scenarios"}
    assert "harness.recording.backends" in find_packages(ROOT, include=["harness", "harness.*"])


def test_the_shipped_scenarios_and_their_models_are_package_data():
    config = setup_cfg()
    patterns = [p.strip() for p in
                config["options.package_data"]["harness.scenarios"].split(",")]
    shipped_files = {os.path.relpath(f, os.path.join(ROOT, "scenarios"))
                     for pattern in patterns
                     for f in glob.glob(os.path.join(ROOT, "scenarios", pattern))}
    assert "seed_walk.yaml" in shipped_files and "models/seed_model.py" in shipped_files
    # every model a shipped scenario names is in the wheel too
    for one in shipped.shipped():
        from harness import scenario

        model = scenario.load(one.path).model.file
        if model:
            assert os.path.relpath(model, os.path.join(ROOT, "scenarios")) in shipped_files


def test_in_a_checkout_the_shipped_scenarios_are_the_top_level_folder():
    assert shipped.scenarios_dir() == os.path.join(ROOT, "scenarios")
    names = {one.stem: one.name for one in shipped.shipped()}
    assert names["seed_walk"] == "seed-walk"
    path = os.path.join(ROOT, "scenarios", "seed_walk.yaml")
    assert shipped.resolve("seed_walk") == shipped.resolve("seed-walk") == path
    assert shipped.resolve("no/such.yaml") == "no/such.yaml"  # a path stays a path
