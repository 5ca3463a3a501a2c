"""The snapshot file: JSON Lines, format "harness-snapshot", version 1.

    {"kind": "header", "format": "harness-snapshot", "version": 1, ...}   first line
    {"kind": "source", "function": ..., "text": ...}                     once per target reached
    {"kind": "stop", "index": 0, "function": ..., "locals": {...}}       one per stop
    {"kind": "end", "outcome": "ok" | "error" | ..., ...}                last line

The writer flushes every line as it goes, so a run that dies keeps every stop it reached. The
reader is tolerant: a file cut short reads up to its last whole line and says it did not
finish. Reading is `json.loads` only: a snapshot from a stranger runs no code.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, IO, Iterator, List, Optional

from .errors import SnapshotError

FORMAT = "harness-snapshot"
VERSION = 1


def dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(", ", ": "))


def key_label(key: Any) -> str:
    """How a dict key reads in paths and reports: `id(layer1)` for an id-keyed entry."""
    if isinstance(key, dict) and key.get("type") == "id":
        return f"id({key['of'] or '<root>'})"
    return key if isinstance(key, str) else json.dumps(key)


def return_as_references(captured: dict) -> Any:
    """A stop's return value with each tuple item that repeats a captured local replaced by
    {"type": "local", "name": ...}. `infer_type` returns `(attr_type, inferred)`: showing or
    diffing both the locals and the return would say everything twice."""
    value = captured.get("return")
    if not (isinstance(value, dict) and value.get("type") == "tuple"):
        return value
    items = []
    for item in value["items"]:
        same = [n for n, v in captured.items() if n != "return" and v == item]
        items.append({"type": "local", "name": same[0]} if same else item)
    return {**value, "items": items}


def echoed_return(captured: dict) -> Optional[List[str]]:
    """The captured locals that the return value only repeats, or None if it says more."""
    value = return_as_references(captured)
    if not isinstance(value, dict):
        return None
    if value.get("type") == "local":
        return [value["name"]]
    if value.get("type") == "tuple" and all(
            isinstance(i, dict) and i.get("type") == "local" for i in value["items"]):
        return [i["name"] for i in value["items"]]
    return None


class SnapshotWriter:
    def __init__(self, path: str):
        self.path = path
        parent = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(parent, exist_ok=True)
            self._file: Optional[IO[str]] = open(path, "w", encoding="utf-8")
        except OSError as exc:
            raise SnapshotError(f"cannot write the snapshot to {path}: "
                                f"{exc.strerror or exc}") from None

    def write(self, record: dict) -> None:
        if self._file is None:
            raise ValueError("snapshot already closed")
        self._file.write(dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "SnapshotWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Snapshot:
    path: str
    header: dict
    sources: Dict[str, dict] = field(default_factory=dict)  # function -> source record
    stops: List[dict] = field(default_factory=list)
    end: Optional[dict] = None
    problems: List[str] = field(default_factory=list)  # what the reader had to skip

    @property
    def complete(self) -> bool:
        return self.end is not None

    @property
    def outcome(self) -> str:
        return self.end["outcome"] if self.end else "unfinished"

    def stops_of(self, function: str) -> List[dict]:
        """Stops of a function, by its full scenario name or its last part (`infer_type`)."""
        return [s for s in self.stops if s["function"] == function
                or s["function"].rsplit(".", 1)[-1] == function]

    def find(self, function: Optional[str] = None, event: Optional[str] = None,
             **locals_equal: Any) -> List[dict]:
        """Stops matching a function, an event, and captured locals equal to given values."""
        found = self.stops_of(function) if function else list(self.stops)
        if event:
            found = [s for s in found if s["event"] == event]
        for name, value in locals_equal.items():
            found = [s for s in found if name in s["locals"] and s["locals"][name] == value]
        return found


    def stop(self, function: Optional[str] = None, event: Optional[str] = None,
             **locals_equal: Any) -> dict:
        """The one stop matching (see `find`); LookupError naming what matched otherwise.

        Values compare as encoded: `snap.stop("infer_type", name="weights")`."""
        found = self.find(function, event, **locals_equal)
        if len(found) != 1:
            what = ", ".join([repr(function)] * bool(function) + [f"event={event!r}"] * bool(event)
                             + [f"{k}={v!r}" for k, v in locals_equal.items()])
            raise LookupError(f"{len(found)} stops match {what} in {self.path}"
                              + (f" (#{', #'.join(str(s['index']) for s in found[:10])})"
                                 if found else ""))
        return found[0]


def read(path: str) -> Snapshot:
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise SnapshotError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SnapshotError(f"{path} is not a harness snapshot (it is not text)") from None
    return parse(lines, path)


def parse(lines: List[str], path: str = "<snapshot>") -> Snapshot:
    header = _header(lines[0] if lines else "", path)
    snap = Snapshot(path=path, header=header)
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            last = number == len(lines)
            snap.problems.append(f"line {number}: " + ("cut short (the run did not finish)"
                                                       if last else "not valid JSON, skipped"))
            continue
        kind = record.get("kind") if isinstance(record, dict) else None
        if kind == "stop":
            snap.stops.append(record)
        elif kind == "source":
            snap.sources.setdefault(record["function"], record)
        elif kind == "end":
            snap.end = record
        else:
            snap.problems.append(f"line {number}: unknown record kind {kind!r}, skipped")
    if snap.end is None:
        snap.problems.append("no end record: the run did not finish "
                             f"(its last stop is #{snap.stops[-1]['index']})" if snap.stops
                             else "no end record: the run did not finish")
    return snap


def _header(line: str, path: str) -> dict:
    try:
        header = json.loads(line)
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise SnapshotError(f"{path} is not a harness snapshot: its first line is not a "
                            f'"{FORMAT}" header')
    version = header.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise SnapshotError(f"{path} is a harness snapshot of format version {version}, newer "
                            f"than this harness reads (up to {VERSION}); upgrade harness")
    return header


def iter_records(snap: Snapshot) -> Iterator[dict]:
    yield snap.header
    yield from snap.sources.values()
    yield from snap.stops
    if snap.end:
        yield snap.end
