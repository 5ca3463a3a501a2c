"""Where runs are kept: one file per run under `snapshots/<scenario>/`, numbered, never replaced.

A run without `-o` gets the next number in its scenario's folder, with the torch it ran on and
what kind of run it was in the name: `001-torch-2.13.0+cpu.jsonl`,
`002-torch-2.13.0+cpu-interactive.jsonl`. Order lives in the file name and only there: the
records stay free of timestamps, so two runs of one scenario are still identical files but
for their names. Files of the old layout (`torch-2.13.0+cpu.jsonl`) read as run 0.

Every path decision of the runs layout is here (the recording process calls `new_run`; the
command line, the pytest plugin and `run --keep-going` call the rest), so that whoever writes
a snapshot elsewhere names it the same way. Standard library only: the recording process
imports it beside torch.
"""
from __future__ import annotations

import glob
import json
import os
import re
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

from .errors import HarnessError
from .text import counted, did_you_mean

RUNS_DIR = "snapshots"  # relative to the current directory, as `harness run` always wrote
GOLDEN_DIR = "__snapshots__"  # the pytest plugin's goldens, beside the scenario files
INTERACTIVE = "interactive"
EXTENSION = ".jsonl"
_NUMBERED = re.compile(r"^(\d+)-torch-([^-/\\]+)((?:-[A-Za-z0-9_.]+)*)\.jsonl$")
_OLD_LAYOUT = re.compile(r"^torch-([^-/\\]+)\.jsonl$")
_TAG = re.compile(r"^[A-Za-z0-9_.]+$")
_RESERVING = ".reserving-"  # a number being claimed (see `new_run`)


@dataclass(frozen=True)
class RunName:
    """What a run's file name says: its number, the torch it ran on, its tags."""

    number: int  # 0: a file of the old layout
    torch: str
    tags: Tuple[str, ...] = ()  # "interactive"; others may add theirs ("round-2")

    @property
    def interactive(self) -> bool:
        return INTERACTIVE in self.tags

    @property
    def filename(self) -> str:
        return f"{self.number:03d}-torch-{self.torch}" + "".join(f"-{t}" for t in self.tags) \
            + EXTENSION

    @classmethod
    def parse(cls, filename: str) -> Optional["RunName"]:
        match = _NUMBERED.match(filename)
        if match:
            tags = tuple(t for t in match.group(3).split("-") if t)
            return cls(int(match.group(1)), match.group(2), tags)
        match = _OLD_LAYOUT.match(filename)
        return cls(0, match.group(1)) if match else None


@dataclass(frozen=True)
class Run:
    path: str
    name: RunName

    @property
    def label(self) -> str:
        """`run 3`, or the file name for a file of the old layout."""
        return f"run {self.name.number}" if self.name.number else os.path.basename(self.path)

    def summary(self) -> "RunSummary":
        return RunSummary.read(self.path)


def runs_root(start: str = ".") -> str:
    """The folder holding the scenarios' run folders: `snapshots/` under `start`."""
    return os.path.normpath(os.path.join(start, RUNS_DIR))


def scenario_folder(scenario: str, root: Optional[str] = None) -> str:
    return os.path.join(runs_root() if root is None else root, scenario)


def list_runs(folder: str) -> List[Run]:
    """The runs in a scenario's folder, oldest first (by number, then name)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for filename in names:
        parsed = RunName.parse(filename)
        if parsed is not None and os.path.isfile(os.path.join(folder, filename)):
            found.append(Run(os.path.join(folder, filename), parsed))
    return sorted(found, key=lambda r: (r.name.number, r.name.tags, r.path))


def scenarios_with_runs(root: str) -> List[str]:
    """The names of the scenario folders under `root` that hold runs, sorted."""
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return []
    return [e for e in entries if os.path.isdir(os.path.join(root, e))
            and list_runs(os.path.join(root, e))]


def full_runs(runs: List[Run]) -> List[Run]:
    """The runs that recorded every stop of the model as written: interactive ones record only
    what was asked, and `run --keep-going`'s later rounds (tagged `round-N`) a changed model."""
    return [r for r in runs if not r.name.interactive and "round" not in r.name.tags]


# -- finding a scenario's runs without typing paths ---------------------------------------------
def find_scenario(name: Optional[str] = None, start: str = ".") -> Tuple[str, str]:
    """(scenario name, its runs folder), from a name or, without one, from where we are: a
    scenario's own runs folder, or a folder whose `snapshots/` (or which itself) holds the runs
    of one scenario. HarnessError, saying what there is, when that is not one scenario."""
    if name is None and list_runs(start):
        return os.path.basename(os.path.abspath(start)), start
    root = runs_root(start) if os.path.isdir(runs_root(start)) else start
    names = scenarios_with_runs(root)
    where = os.path.join(os.path.relpath(root), "")
    if name is not None:
        if name in names:
            return name, os.path.join(root, name)
        there = (f"the scenarios with runs there: {', '.join(names)}" if names else
                 "it holds no runs (harness run SCENARIO records one)")
        raise HarnessError(f"no runs of {name!r} in {where}{did_you_mean(name, names)}; "
                           f"{there}")
    if not names:
        where = os.path.join(os.path.relpath(runs_root(start)), "")
        raise HarnessError(f"no runs in {where} (harness run SCENARIO records them there)")
    if len(names) > 1:
        raise HarnessError(f"{where} holds the runs of {counted(len(names), 'scenario')} "
                           f"({', '.join(names)}): name one, e.g. --last {names[0]}")
    return names[0], os.path.join(root, names[0])


def last_two(scenario: str, folder: str) -> Tuple[Run, Run]:
    """The two latest full runs of a scenario (interactive runs record only some stops)."""
    runs = list_runs(folder)
    full = full_runs(runs)
    if len(full) >= 2:
        return full[-2], full[-1]
    where = os.path.relpath(folder)
    if not full:
        raise HarnessError(f"{where} holds no full run of {scenario} to compare, only "
                           f"{counted(len(runs), 'interactive run')}; run it without "
                           "--interactive, or give two snapshot paths")
    interactive = len(runs) - len(full)
    also = f" (and {counted(interactive, 'interactive run')}, left out)" if interactive else ""
    raise HarnessError(f"{where} holds one run of {scenario}, {os.path.basename(full[0].path)}"
                       f"{also}: nothing to compare it with yet; run the scenario again, or "
                       f"compare it with its golden: harness diff --golden --last {scenario}")


def latest_full(scenario: str, folder: str) -> Run:
    full = full_runs(list_runs(folder))
    if not full:
        raise HarnessError(f"{os.path.relpath(folder)} holds no full run of {scenario} "
                           "(interactive runs record only some stops)")
    return full[-1]


def golden_of(scenario: str, torch_version: str, folder: str, start: str = ".") -> str:
    """The golden of a scenario for a torch release line, looked for below the project that
    holds the runs folder (`<project>/snapshots/<scenario>/`) and below `start`."""
    projects = [os.path.dirname(os.path.dirname(os.path.abspath(folder))),
                os.path.abspath(start)]
    found: List[str] = []
    for project in dict.fromkeys(projects):
        found.extend(p for p in find_goldens(project, scenario) if p not in found)
    wanted = [p for p in found if os.path.basename(p) == golden_filename(torch_version)]
    if len(wanted) == 1:
        return shown(wanted[0])
    if len(wanted) > 1:
        raise HarnessError(f"{scenario} has {counted(len(wanted), 'golden')} for torch "
                           f"{torch_line(torch_version)}: {', '.join(map(os.path.relpath, wanted))}"
                           "; give the one you mean: harness diff GOLDEN RUN")
    other = (f" (there are goldens for other torch releases: "
             f"{', '.join(map(os.path.relpath, found))})" if found else "")
    raise HarnessError(f"no golden of {scenario} for torch {torch_line(torch_version)} "
                       f"({GOLDEN_DIR}/{scenario}/{golden_filename(torch_version)}, looked for "
                       f"up to 3 folders below {projects[0]}){other}; `pytest "
                       "--harness-update` records goldens")


def shown(path: str) -> str:
    """A path relative to the current directory when it lies below it, else as it is."""
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


# -- making a run's path ------------------------------------------------------------------------
def new_run(scenario: str, torch_version: str, interactive: bool = False,
            replace_last: bool = False, root: Optional[str] = None) -> str:
    """The path of a new run, created empty so that no other run can take it.

    replace_last: reuse the number of the scenario's latest run when it is of the same kind
    (interactive or not), removing its file: `harness run --force`. A full recording is never
    replaced by an interactive one, nor the other way round.
    """
    folder = scenario_folder(scenario, root)
    os.makedirs(folder, exist_ok=True)
    tags = (INTERACTIVE,) if interactive else ()
    if replace_last:
        runs = list_runs(folder)
        number = runs[-1].name.number if runs else 0
        files = [r for r in runs if r.name.number == number]
        if number and any("round" not in r.name.tags and r.name.interactive == interactive
                          for r in files):
            path = os.path.join(folder, RunName(number, torch_version, tags).filename)
            if not os.path.exists(path):
                open(path, "x").close()
            for old in files:  # the run replaced, its keep-going rounds with it
                if os.path.abspath(old.path) != os.path.abspath(path):
                    os.remove(old.path)
            return path
    while True:
        number = max((r.name.number for r in list_runs(folder)), default=0) + 1
        claimed = _claim(folder, RunName(number, torch_version, tags))
        if claimed:
            return claimed


def _claim(folder: str, name: RunName) -> Optional[str]:
    """Create the run's file, or None when another run took its number first. Two runs
    starting at once in one folder each claim a number with an exclusive create of a marker
    before their file exists, and check, holding it, that no file has the number yet."""
    marker = os.path.join(folder, f"{_RESERVING}{name.number}")
    try:
        os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except FileExistsError:
        return None
    try:
        if any(r.name.number == name.number for r in list_runs(folder)):
            return None
        path = os.path.join(folder, name.filename)
        open(path, "x").close()
        return path
    finally:
        os.remove(marker)


def with_tag(path: str, tag: str) -> str:
    """A snapshot derived from another (`run --keep-going`'s rounds): the same name with a tag,
    `003-torch-2.13.0+cpu-round-2.jsonl` (or `out-round-2.jsonl` for a path given with -o)."""
    if not _TAG.match(tag.replace("-", "_")):
        raise ValueError(f"a run tag is letters, digits, _ . and -; got {tag!r}")
    stem, ext = os.path.splitext(path)
    return f"{stem}-{tag}{ext or EXTENSION}"


# -- what a run was -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSummary:
    """What `harness runs` says of a run, from its first and last lines only."""

    scenario: Optional[str]
    torch: Optional[str]
    outcome: str  # ok, error, stopped, unfinished (no end: the run died), empty, unreadable
    stops: Optional[int]
    detail: str = ""  # the error's type and the diagnosis's kind, why a run was stopped

    @classmethod
    def read(cls, path: str) -> "RunSummary":
        try:
            first, last = _first_and_last_lines(path)
        except OSError:
            return cls(None, None, "unreadable", None)
        if first is None:
            return cls(None, None, "empty", None)
        header = _json(first)
        if not isinstance(header, dict) or header.get("kind") != "header":
            return cls(None, None, "unreadable", None)
        scenario = header.get("scenario")
        name = scenario.get("name") if isinstance(scenario, dict) else None
        torch = header.get("torch") if isinstance(header.get("torch"), str) else None
        end = _json(last) if last is not None else None
        if not isinstance(end, dict) or end.get("kind") != "end":  # the run died midway
            return cls(name, torch, "unfinished", None)
        stops = end.get("stops") if isinstance(end.get("stops"), int) else None
        return cls(name, torch, str(end.get("outcome")), stops, _detail(end))


def _json(line: bytes) -> object:
    try:
        return json.loads(line)
    except ValueError:
        return None


def _detail(end: dict) -> str:
    if end.get("outcome") == "stopped":
        return str(end.get("stopped_by") or "")
    error, diagnosis = end.get("error"), end.get("diagnosis")
    parts = []
    if isinstance(error, dict) and error.get("type"):
        parts.append(str(error["type"]))
    if isinstance(diagnosis, dict) and diagnosis.get("kind"):
        parts.append(f"diagnosis: {diagnosis['kind']}")
    return ", ".join(parts)


def _first_and_last_lines(path: str) -> Tuple[Optional[bytes], Optional[bytes]]:
    """A snapshot's first line and, if it has more, its last: reading the two ends only keeps
    `harness runs` quick on big snapshots."""
    with open(path, "rb") as f:
        first = f.readline()
        if not first.strip():
            return None, None
        rest = f.tell()
        at = f.seek(0, os.SEEK_END)
        block = b""
        while at > rest:
            step = min(65536, at - rest)
            at -= step
            f.seek(at)
            block = f.read(step) + block
            lines = [line for line in block.split(b"\n") if line.strip()]
            if len(lines) > 1 or (lines and at == rest):  # the last line is whole
                return first.strip(), lines[-1].strip()
        return first.strip(), None


# -- pruning -------------------------------------------------------------------------------------
def count_runs(files: List[Run]) -> int:
    """How many runs these files are: a run's keep-going rounds share its number."""
    return len({f.name.number for f in files})


def prune(folder: str, keep: int) -> Tuple[List[Run], List[Run]]:
    """Remove all but the newest `keep` runs of a scenario, each run with its keep-going
    rounds (the files of one number); (files removed, files kept)."""
    runs = list_runs(folder)
    numbers = sorted({r.name.number for r in runs})
    kept_numbers = set(numbers[-keep:]) if keep > 0 else set()
    removed = [r for r in runs if r.name.number not in kept_numbers]
    for run in removed:
        os.remove(run.path)
    return removed, [r for r in runs if r.name.number in kept_numbers]


# -- goldens (the pytest plugin's) -----------------------------------------------------------------
def torch_line(torch_version: str) -> str:
    """`2.13.0+cpu` -> `2.13`: goldens are kept per release line."""
    return ".".join(re.split(r"[.+]", torch_version)[:2])


def golden_filename(torch_version: str) -> str:
    return f"torch-{torch_line(torch_version)}{EXTENSION}"


def find_goldens(project: str, scenario: str, depth: int = 3) -> Iterator[str]:
    """The goldens of a scenario in `__snapshots__/<scenario>/` folders up to `depth` folders
    below `project` (`scenarios/__snapshots__/seed-walk/torch-2.13.jsonl`), sorted."""
    found: List[str] = []
    for level in range(depth + 1):
        pattern = os.path.join(project, *(["*"] * level), GOLDEN_DIR, glob.escape(scenario),
                               f"torch-*{EXTENSION}")
        found.extend(p for p in glob.glob(pattern) if os.path.isfile(p))
    return iter(sorted(found))
