"""A recording job: what the command line, the API and `matrix` hand the recording process.

One dataclass both sides agree on. It travels as JSON (the recording side may run another
Python, with nothing but torch installed), and `from_json` is its only reader.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Optional

from .scenario import Scenario


@dataclass(frozen=True)
class Job:
    scenario: Scenario
    output: Optional[str] = None  # None: snapshots/<scenario>/torch-<version>.jsonl
    backend: str = "auto"
    save_scripted: Optional[str] = None
    quiet: bool = False  # print only the outcome
    color: Optional[bool] = None  # None: colour on a terminal
    interactive: bool = False  # step the stops in pdb++

    def to_json(self) -> dict:
        data = asdict(self)
        data["scenario"] = self.scenario.to_data()
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Job":
        return cls(**{**data, "scenario": Scenario.from_job(data["scenario"])})

    def with_output(self, output: str) -> "Job":
        return replace(self, output=output)
