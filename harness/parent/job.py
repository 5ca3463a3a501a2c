"""A recording job: what the command line, the API and `matrix` hand the recording process.

One dataclass both sides agree on. It travels as JSON (the recording side may run another
Python, with nothing but torch installed), and `from_json` is its only reader.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Dict, Optional, Tuple

from ..errors import HarnessError
from ..scenario import Scenario


@dataclass(frozen=True)
class Job:
    scenario: Scenario
    output: Optional[str] = None  # None: the next run in snapshots/<scenario>/ (runs.new_run)
    backend: str = "auto"
    save_scripted: Optional[str] = None
    quiet: bool = False  # print only the outcome
    color: Optional[bool] = None  # None: colour on a terminal
    interactive: bool = False  # step the stops in pdb++
    stops: str = "auto"  # which stops the report lists: auto, all, flagged, none
    force: bool = False  # without output: replace the scenario's latest run, not add one
    # run --keep-going: choose a change after a failure, and apply those of earlier rounds
    # (`recording/remedies.Change` as JSON) to the model before scripting it
    keep_going: bool = False
    changes: Tuple[dict, ...] = ()

    def to_json(self) -> dict:
        data = asdict(self)
        data["scenario"] = self.scenario.to_data()
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Job":
        return cls(**{**data, "scenario": Scenario.from_job(data["scenario"]),
                      "changes": tuple(data.get("changes", ()))})

    def check_outputs(self) -> None:
        """Refuse a job whose outputs would overwrite its inputs, or each other."""
        inputs = {"the scenario": self.scenario.file, "the model file": self.scenario.model.file}
        outputs = {"the snapshot (-o)": self.output, "--save-scripted": self.save_scripted}
        refuse_overwrites(outputs, inputs)


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_overwrites(outputs: Dict[str, Optional[str]], inputs: Dict[str, Optional[str]]) -> None:
    """HarnessError when an output path is an input's, or two outputs are one path."""
    named = [(what, path) for what, path in outputs.items() if path]
    for what, path in named:
        for source, source_path in inputs.items():
            if source_path and os.path.exists(source_path) and _same(path, source_path):
                raise HarnessError(f"{what} would overwrite {source} ({source_path}); "
                                   "choose another path")
    for i, (what, path) in enumerate(named):
        for other, other_path in named[i + 1:]:
            if _same(path, other_path):
                raise HarnessError(f"{what} and {other} name the same file ({path}); "
                                   "choose two paths")
