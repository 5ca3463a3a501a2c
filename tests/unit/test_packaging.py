"""The wheel's contents, decided by setup.cfg: every package under harness/, and the shipped
scenarios (package data of `harness.scenarios`, mapped to the top-level scenarios/)."""
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


def test_every_package_under_harness_is_listed():
    listed = set(setup_cfg()["options"]["packages"].split())
    found = set(find_packages(ROOT, include=["harness", "harness.*"]))
    assert found <= listed, f"add to setup.cfg [options] packages: {sorted(found - listed)}"


def test_the_shipped_scenarios_and_their_models_are_package_data():
    config = setup_cfg()
    assert config["options"]["package_dir"].split() == ["harness.scenarios", "=", "scenarios"]
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
