"""The scenarios shipped with the harness, and a scenario named by its name instead of a path.

The scenarios and their models live at the top of the repository (`scenarios/`). A wheel
carries them as the package data of `harness.scenarios` (setup.cfg maps that package to the
top-level folder), so they sit inside the installed package; in a checkout, or an editable
install, they are found where they are. `harness run seed_walk` then works from any folder,
installed or cloned.
"""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from typing import List, Optional

from .errors import ScenarioError
from .text import did_you_mean

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def scenarios_dir() -> Optional[str]:
    """Where the shipped scenarios are: inside the installed package, else the checkout's
    top-level `scenarios/` (a checkout has its setup.cfg beside it)."""
    installed = os.path.join(_PACKAGE, "scenarios")
    if glob.glob(os.path.join(installed, "*.yaml")):
        return installed
    top = os.path.dirname(_PACKAGE)
    checkout = os.path.join(top, "scenarios")
    if os.path.isfile(os.path.join(top, "setup.cfg")) and os.path.isdir(checkout):
        return checkout
    return None


@dataclass(frozen=True)
class Shipped:
    name: str  # the scenario's `name` (seed-walk)
    stem: str  # its file's name without .yaml (seed_walk)
    description: str
    path: str


def shipped() -> List[Shipped]:
    """The shipped scenarios, by file name; one that does not load is left out."""
    from . import scenario as scenario_mod

    folder = scenarios_dir()
    if folder is None:
        return []
    found = []
    for path in sorted(glob.glob(os.path.join(folder, "*.yaml"))):
        try:
            loaded = scenario_mod.load(path)
        except ScenarioError:
            continue
        stem = os.path.splitext(os.path.basename(path))[0]
        found.append(Shipped(loaded.name, stem, " ".join(loaded.description.split()), path))
    return found


def looks_like_a_name(text: str) -> bool:
    return os.sep not in text and "/" not in text and not text.endswith((".yaml", ".yml"))


def resolve(text: str) -> str:
    """A scenario argument as a path: a file that exists as given, else the shipped scenario
    of that name (`seed-walk`) or file name (`seed_walk`). ScenarioError, with the names
    there are, when it is neither."""
    if os.path.exists(text) or not looks_like_a_name(text):
        return text
    every = shipped()
    for one in every:
        if text in (one.name, one.stem):
            return one.path
    names = [one.stem for one in every]
    raise ScenarioError("no such file, and no shipped scenario of that name"
                        + did_you_mean(text, names + [one.name for one in every])
                        + ("; `harness scenarios` lists the shipped ones" if names else ""),
                        file=text)


def seed_walk_data(factory: str, args=(), name: str = "seed-walk", kwargs=None) -> dict:
    """`harness run --model FILE:NAME`: the shipped seed walk's breakpoints on any model, as
    scenario data (the walk lives in one place, scenarios/seed_walk.yaml)."""
    import yaml

    folder = scenarios_dir()
    if folder is None:
        raise ScenarioError("--model runs the shipped seed walk, and no shipped scenarios were "
                            "found beside this harness (a broken install?)", file="--model")
    with open(os.path.join(folder, "seed_walk.yaml"), encoding="utf-8") as f:
        breakpoints = yaml.safe_load(f)["breakpoints"]
    return {
        "version": 1,
        "name": name,
        "description": "The seed's walk through torch.jit.script, on " + factory,
        "model": {"factory": factory, "args": list(args), "kwargs": dict(kwargs or {})},
        "breakpoints": breakpoints,
    }
