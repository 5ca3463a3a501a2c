"""Packaging that setup.cfg cannot say: the packages found under harness/, plus the shipped
scenarios. Those stay at the repository's top (`scenarios/`, where a clone has them) and
travel in the wheel as the package data of `harness.scenarios`, which `package_dir` maps to
that folder; `packages = find:` in setup.cfg could not name a mapped folder beside the ones
it finds. Everything else is in setup.cfg."""
from setuptools import find_packages, setup

setup(packages=find_packages(include=["harness", "harness.*"]) + ["harness.scenarios"],
      package_dir={"harness.scenarios": "scenarios"})
