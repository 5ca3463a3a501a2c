"""The snapshot file: JSON Lines of the records in `records` (docs/formats.md has the format).

    {"kind": "header", "format": "harness-snapshot", "version": 1, ...}   first line
    {"kind": "source", "function": ..., "text": ...}                     once per target reached
    {"kind": "stop", "index": 0, "function": ..., "locals": {...}}       one per stop
    {"kind": "end", "outcome": "ok" | "error" | "stopped", ...}          last line

Writing: each record goes to the operating system as it is made (one `write` a line, no
buffer of ours in between), so a run that dies, even by SIGKILL, keeps every stop it reached.
Every Python string round-trips: the line separators that some readers split on (U+2028,
U+2029, U+0085) are written escaped, and a line with a lone surrogate is written as ASCII JSON.

Reading: lines are split on "\\n" only, each record is validated (`records.from_json`), and
what cannot be read is skipped and named in `Snapshot.problems`, so a file cut anywhere (even
inside a character) reads up to its last whole stop. Stops are read in one streaming pass and
kept as offsets, parsed again on demand: memory stays bounded whatever the file's size. A
snapshot is `json.loads` only: one from a stranger runs no code.
"""
from __future__ import annotations

import errno
import fnmatch
import json
import os
import stat
from array import array
from collections import OrderedDict
from typing import Any, Dict, IO, Iterator, List, Optional, Sequence, Tuple, Union

from . import records
from .errors import HarnessError, SnapshotError
from .records import End, Header, Record, RecordError, Source, Stop
from .text import counted

# Bounds that keep a reader's memory a small multiple of its input, whatever the file holds.
# A record the harness writes is a few KB (a stop of a real model: 1-2 KB); parsed, JSON takes
# 10 to 60 times its text's size in Python objects, so one line is bounded by its bytes and by
# how many values it holds (counted before it is parsed).
MAX_LINE_BYTES = 16 * 1024 * 1024  # a longer line is skipped unread
MAX_LINE_VALUES = 1_000_000  # a line with more values (commas) is skipped unparsed
MAX_PROBLEMS = 20  # problems kept word for word; the rest are counted
CACHE_STOPS = 20000  # parsed stops kept in memory; the rest are parsed again when asked for
CACHE_BYTES = 32 * 1024 * 1024  # ... and no more than this many bytes of their lines

_SEPARATORS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), allow_nan=False)
_ENCODE = _ENCODER.encode


def _c_encoder():
    """json's C encoder, made once: `JSONEncoder.encode` makes a new one for every call, and
    checks every container for cycles (a dict of ids), which records, plain data made by the
    harness, never have. The text is the same as `_ENCODE`'s."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the pure-Python encoder
        return _ENCODE
    try:
        encoder = make(None, _ENCODER.default, json.encoder.encode_basestring, None, ": ", ", ",
                       False, False, False)
    except TypeError:  # another Python's signature: the standard way
        return _ENCODE

    def encode(data: Any) -> str:
        return "".join(encoder(data, 0))

    return encode


_ENCODE_FAST = _c_encoder()
_ENCODE_ASCII = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": "),
                                 allow_nan=False).encode


def dumps(record: Union[Record, dict]) -> str:
    """One record as one line of JSON (no newline), every string kept exactly."""
    return _line(record.to_json() if isinstance(record, Record) else record).decode("utf-8")


def _line(data: dict) -> bytes:
    """A record's JSON as UTF-8 bytes: the line separators other readers split on escaped, and
    a string with a lone surrogate (which UTF-8 cannot carry) written as \\u escapes."""
    text = _ENCODE_FAST(data)
    if text.isascii():  # nearly every line: no separator, no surrogate (a flag, not a scan)
        return text.encode("ascii")
    for char, escaped in _SEPARATORS.items():
        if char in text:
            text = text.replace(char, escaped)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _ENCODE_ASCII(data).encode("ascii")


class SnapshotWriteError(HarnessError):
    """Writing the snapshot failed (disk full, a closed pipe...): the run cannot go on."""


class SnapshotBusy(HarnessError):
    """Another run is writing this snapshot right now."""


class SnapshotWriter:
    """One writer per snapshot: the file is locked (`flock`, held until the writer closes or
    its process dies) before it is emptied, so a second run aimed at the same file is refused
    and never mixes its records with the first's. The lock is the kernel's: a run killed by
    any signal releases it, and its file keeps every stop it reached."""

    def __init__(self, path: str):
        self.path = path
        parent = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(parent, exist_ok=True)
            # not O_TRUNC: a file another run is writing must be left alone until it is ours
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)
        except OSError as exc:
            raise SnapshotError(f"cannot write the snapshot to {path}: "
                                f"{exc.strerror or exc}") from None
        try:
            _lock(fd, path)
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.ftruncate(fd, 0)
        except OSError as exc:
            os.close(fd)
            raise SnapshotError(f"cannot write the snapshot to {path}: "
                                f"{exc.strerror or exc}") from None
        except BaseException:
            os.close(fd)
            raise
        self._fd: Optional[int] = fd
        self.lines = 0
        self.stops = 0
        self.ended = False  # an end record was written

    def write(self, record: Union[Record, dict]) -> None:
        if self._fd is None:
            raise SnapshotWriteError(f"the snapshot {self.path} is already closed")
        fields = record.to_json() if isinstance(record, Record) else record
        kind = fields.get("kind")
        data = _line(fields) + b"\n"
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
        except OSError as exc:
            raise SnapshotWriteError(f"writing the snapshot {self.path} failed: "
                                     f"{exc.strerror or exc}") from None
        self.lines += 1
        self.stops += kind == "stop"
        self.ended = self.ended or kind == "end"

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> "SnapshotWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # A run that broke off before its header (a stop signal while it was setting up) has
        # written nothing: an end record alone would make a file no reader takes for a
        # snapshot, so it stays empty.
        if exc is not None and not self.ended and self._fd is not None and self.lines \
                and not isinstance(exc, SnapshotWriteError):
            self._end_incomplete(exc)
        self.close()

    def _end_incomplete(self, exc: BaseException) -> None:
        """The run broke off (the harness's own fault): the file still ends with a record
        saying so, and the exception learns which file keeps what (`snapshot_kept`)."""
        stopped = isinstance(exc, (KeyboardInterrupt, SystemExit)) or \
            type(exc).__name__ in ("Stopped", "BdbQuit")
        end: Dict[str, Any] = {"kind": "end", "outcome": "stopped" if stopped else "incomplete",
                               "stops": self.stops}
        if stopped:
            end["stopped_by"] = getattr(exc, "name", None) or type(exc).__name__
        else:
            end["error"] = {"type": type(exc).__name__, "message": str(exc)[:2000],
                            "phase": "recording"}
        try:
            self.write(end)
        except HarnessError:
            return
        try:
            exc.snapshot_kept = (f"{self.path} keeps the {self.stops} stops recorded before "  # type: ignore[attr-defined]
                                 "it, and ends as " + end["outcome"])
        except AttributeError:
            pass


def _lock(fd: int, path: str) -> None:
    """Take the file's writer lock, or refuse: another run is writing it."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no lock to take
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SnapshotBusy(f"another run is writing the snapshot {path} right now; wait for "
                           "it to end, or give this run another -o") from None
    except OSError as exc:
        if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.EBADF):
            raise  # a file system without locks (some network ones): write unlocked


# -- reading ------------------------------------------------------------------------------------
def key_label(key: Any) -> str:
    """How a dict key reads in paths and reports: `id(layer1)` for an id-keyed entry."""
    if records.tag_of(key) == records.Tag.ID:
        return f"id({records.path_label(key.get('of'))})"
    return key if isinstance(key, str) else json.dumps(key)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON data")


def parse_line(text: str) -> Record:
    """One line of a snapshot as a validated record; ValueError or RecordError otherwise."""
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise RecordError(f"nested more than {records.MAX_VALUE_DEPTH} deep") from None
    return records.from_json(data)


class StopList(Sequence):
    """The stops of a snapshot: parsed from their lines when asked for, a bounded number kept."""

    def __init__(self, source: "_Source"):
        self._source = source
        # per stop: where its line is (offset and length in the file, or its line number):
        # 16 bytes a stop, whatever the file's size
        self._offsets = array("q")
        self._lengths = array("q")
        self._cache: "OrderedDict[int, Stop]" = OrderedDict()
        self._cached_bytes = 0

    def _add(self, span: Tuple[int, int], stop: Stop) -> None:
        self._offsets.append(span[0])
        self._lengths.append(span[1])
        self._remember(len(self._offsets) - 1, stop)

    def _remember(self, i: int, stop: Stop) -> None:
        self._cache[i] = stop
        self._cached_bytes += self._lengths[i]
        while len(self._cache) > 1 and (len(self._cache) > CACHE_STOPS
                                        or self._cached_bytes > CACHE_BYTES):
            old, _ = self._cache.popitem(last=False)
            self._cached_bytes -= self._lengths[old]

    def __len__(self) -> int:
        return len(self._offsets)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self._offsets):
            raise IndexError(i)
        stop = self._cache.get(i)
        if stop is None:
            stop = self._source.stop_at((self._offsets[i], self._lengths[i]))
            self._remember(i, stop)
        else:
            self._cache.move_to_end(i)
        return stop

    def __iter__(self) -> Iterator[Stop]:
        for i in range(len(self)):
            yield self[i]


class Snapshot:
    def __init__(self, path: str, header: Header, source: "_Source"):
        self.path = path
        self.header = header
        self.sources: Dict[str, Source] = {}  # function -> its source record
        self.stops = StopList(source)
        self.end: Optional[End] = None
        self.problems: List[str] = []  # what the reader had to skip
        self._skipped = 0

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self._skipped += 1

    def _close_problems(self) -> None:
        if self._skipped:
            self.problems.append(f"… and {self._skipped} more lines skipped")

    @property
    def complete(self) -> bool:
        return self.end is not None

    @property
    def outcome(self) -> str:
        return self.end.outcome if self.end else "unfinished"

    @property
    def subject(self) -> Optional[str]:
        """What was scripted: the header's word, or the end record's where the header was
        written before the factory returned."""
        return self.header.subject or (self.end.subject if self.end else None)

    @property
    def diagnosis(self) -> Optional[records.Diagnosis]:
        """What went wrong, for a run whose model failed to script (else None)."""
        return self.end.diagnosis if self.end else None

    def by_index(self, index: int) -> Optional[Stop]:
        """The stop #`index` (stops are written in order, so it is usually at that place)."""
        stops = self.stops
        if 0 <= index < len(stops) and stops[index].index == index:
            return stops[index]
        for stop in stops:
            if stop.index == index:
                return stop
        return None

    def value(self, stop: Stop, name: str) -> Any:
        """A captured value whole. One written as what it gained since an earlier stop
        (`"since"`, e.g. `memo`) is put back together from the stops it grew through; one
        written as the same as an earlier stop's (`"same_as"`) is that one."""
        value = stop.locals.get(name)
        for _ in range(len(self.stops)):  # same_as points back in time, never in a loop
            same = value.get("same_as") if isinstance(value, dict) else None
            if not isinstance(same, dict) or not isinstance(same.get("stop"), int) \
                    or same["stop"] >= stop.index or not isinstance(same.get("local"), str):
                break
            earlier = self.by_index(same["stop"])
            if earlier is None:
                break
            stop, name = earlier, same["local"]
            value = stop.locals.get(name)
        gains = []
        at = stop.index
        while isinstance(value, dict) and records.tag_of(value) in (records.Tag.DICT,
                                                                   records.Tag.LIST) \
                and isinstance(value.get("since"), dict):
            base = value["since"].get("stop")
            if not isinstance(base, int) or base >= at:
                break  # not a link back in time: stop here rather than loop
            gains.append(value)
            at = base
            earlier = self.by_index(base)
            value = earlier.locals.get(name) if earlier is not None else None
            if value is None:  # the stop it grew from is not in the file (cut short)
                return {**gains[0], "incomplete": True}
        if not gains:
            return value
        items = list(value.get("items", [])) if isinstance(value, dict) else []
        for gain in reversed(gains):
            items.extend(gain.get("items", []))
        whole = {k: v for k, v in value.items() if k != "since"} if isinstance(value, dict) \
            else {"type": gains[0]["type"]}
        whole["items"] = items
        return whole

    def stops_of(self, function: str) -> List[Stop]:
        """Stops of a function, by its full scenario name or its last part (`infer_type`)."""
        return [s for s in self.stops if s.function == function
                or s.function.rsplit(".", 1)[-1] == function]

    def select(self, function: Optional[str] = None, event: Optional[str] = None, *,
               module: Optional[str] = None, index: Optional[int] = None,
               **locals_equal: Any) -> List[Stop]:
        """Stops matching all that is given: a function (full name or last part), an event,
        the module torch was working on, by its model path (`module="layer2.0"`; `""` or
        `"<root>"` the model itself; `*` as in a shell pattern: `"layer2.*"`), the stop's
        index (`#16`: `index=16`), and captured locals equal to given values (as recorded
        data, types included: `n=3` does not match a recorded `3.0`). (`module` and `index`
        always mean the above: a captured local of that name is matched by filtering
        `snap.stops` by hand.)"""
        found = self.stops_of(function) if function else list(self.stops)
        if event:
            found = [s for s in found if s.event == event]
        if module is not None:
            found = [s for s in found if module_matches(s.subject, module)]
        if index is not None:
            found = [s for s in found if s.index == index]
        for name, value in locals_equal.items():
            found = [s for s in found
                     if name in s.locals and records.same_data(s.locals[name], value)]
        return found

    def find(self, function: Optional[str] = None, event: Optional[str] = None,
             **locals_equal: Any) -> List[Stop]:
        """Stops matching a function, an event, and captured locals equal to given values (as
        recorded data, types included; `module=` and `index=` select as in `select`)."""
        return self.select(function, event, **locals_equal)

    def stops_at(self, module: str, function: Optional[str] = None) -> List[Stop]:
        """The stops made while torch worked on one module, by its model path:
        `snap.stops_at("layer2.0")`, `snap.stops_at("layer2.0", "infer_type")`."""
        return self.select(function, module=module)

    def modules(self) -> List[str]:
        """The model paths the stops were made at, in the order first met (`""`: the root)."""
        seen: Dict[str, None] = {}
        for stop in self.stops:
            if stop.subject is not None:
                seen.setdefault(stop.subject, None)
        return list(seen)

    def stop(self, function: Optional[str] = None, event: Optional[str] = None,
             **criteria: Any) -> Stop:
        """The one stop matching (see `select`); LookupError naming what matched otherwise,
        and, when a module matched nothing, the modules there are.

        Values compare as encoded: `snap.stop("infer_type", name="weights")`,
        `snap.stop("infer_concrete_type_builder", module="layer2.0")`."""
        found = self.select(function, event, **criteria)
        if len(found) != 1:
            what = ", ".join([repr(function)] * bool(function) + [f"event={event!r}"] * bool(event)
                             + [f"{k}={v!r}" for k, v in criteria.items()])
            hint = ""
            if not found and "module" in criteria:
                modules = {records.path_label(s.subject)
                           for s in (self.stops_of(function) if function else self.stops)}
                hint = " (stops were made at " + (", ".join(sorted(modules)) or "none") + ")"
            raise LookupError(f"{counted(len(found), 'stop')} match {what} in {self.path}"
                              + (f" (#{', #'.join(str(s.index) for s in found[:10])})"
                                 if found else hint))
        return found[0]


def module_matches(subject: Optional[str], pattern: str) -> bool:
    """Whether a stop's module (its model path) is the one named: exactly, `""` or `<root>`
    for the model itself, or as a shell pattern when it has `*`, `?` or `[`."""
    if subject is None:
        return False
    if pattern in ("", "<root>"):
        return subject == ""
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(subject, pattern)
    return subject == pattern


class _Source:
    """Where a snapshot's lines come from: a file (read again by offset) or lines in memory."""

    def __init__(self, path: str, lines: Optional[List[bytes]] = None):
        self.path = path
        self.lines = lines
        self.signature: Optional[Tuple[int, int]] = None

    def stop_at(self, span: Tuple[int, int]) -> Stop:
        if self.lines is not None:
            raw = self.lines[span[0]]
        else:
            offset, length = span
            try:
                st = os.stat(self.path)
                if (st.st_size, st.st_mtime_ns) != self.signature:
                    raise SnapshotError(f"{self.path} changed after it was read; read it again")
                with open(self.path, "rb") as f:
                    f.seek(offset)
                    raw = f.read(length)
            except OSError as exc:
                raise SnapshotError(f"cannot read {self.path} again: {exc.strerror}") from None
        try:
            record = parse_line(raw.decode("utf-8"))
        except (ValueError, RecordError) as exc:
            raise SnapshotError(f"{self.path} changed after it was read: {exc}") from None
        if not isinstance(record, Stop):
            raise SnapshotError(f"{self.path} changed after it was read; read it again")
        return record


def read(path: str) -> Snapshot:
    """Read a snapshot file; SnapshotError when it is not one (or cannot be read at all)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise SnapshotError(f"cannot read {path}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise SnapshotError(f"{path} is a folder, not a snapshot file")
    if not stat.S_ISREG(st.st_mode):
        raise SnapshotError(f"{path} is not a regular file (a pipe or a device); "
                            "a snapshot is a .jsonl file")
    try:
        with open(path, "rb") as f:
            source = _Source(path)
            source.signature = (st.st_size, st.st_mtime_ns)
            return _parse(_file_lines(f), source)
    except OSError as exc:
        raise SnapshotError(f"cannot read {path}: {exc.strerror}") from None


def parse(lines: Sequence[Union[str, bytes]], path: str = "<snapshot>") -> Snapshot:
    """A snapshot from its lines in memory (without their newlines)."""
    raw = [line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line
           for line in lines]
    source = _Source(path, raw)

    def numbered() -> Iterator[Tuple[Tuple[int, int], Optional[bytes], bool]]:
        for i, line in enumerate(raw):
            yield (i, len(line)), line, i < len(raw) - 1

    return _parse(numbered(), source)


def _file_lines(f: IO[bytes]) -> Iterator[Tuple[Tuple[int, int], Optional[bytes], bool]]:
    """(span, line or None if too long, whether a newline ended it), streaming."""
    offset = 0
    while True:
        line = f.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            length = len(line)
            while not line.endswith(b"\n"):  # skip the rest of the line, a piece at a time
                line = f.readline(MAX_LINE_BYTES)
                if not line:
                    break
                length += len(line)
            yield (offset, length), None, line.endswith(b"\n")
            offset += length
            continue
        ended = line.endswith(b"\n")
        body = line[:-1] if ended else line
        yield (offset, len(body)), body, ended
        offset += len(line)


def _parse(lines: Iterator[Tuple[Tuple[int, int], Optional[bytes], bool]],
           source: _Source) -> Snapshot:
    path = source.path
    first = next(lines, None)
    if first is None:
        raise SnapshotError(f"{path} is empty: not a harness snapshot")
    snap = Snapshot(path, _header(first[1], path), source)
    number = 1
    unreadable: Optional[str] = None  # the last line that was not JSON: cut short if last
    for span, raw, ended in lines:
        number += 1
        if unreadable is not None:
            snap.problem(unreadable)
        record, unreadable = _read_line(snap, number, raw, ended)
        if record is not None:
            _add_record(snap, number, span, record)
    if unreadable is not None:  # the file's last line: the run was cut off writing it
        snap.problem(f"line {number}: cut short (the run did not finish)")
    if snap.end is None:
        last = f" (its last stop is #{snap.stops[-1].index})" if len(snap.stops) else ""
        snap.problem("no end record: the run did not finish" + last)
    snap._close_problems()
    return snap


def _read_line(snap: Snapshot, number: int, raw: Optional[bytes],
               ended: bool) -> Tuple[Optional[Record], Optional[str]]:
    """The record on line `number`, or None when it is skipped (the problem said on `snap`).
    A line that is not JSON comes back as the second value instead, said by the caller once the
    next line is read: the last line of a file is cut short, not invalid."""
    if raw is None:
        snap.problem(f"line {number}: longer than {MAX_LINE_BYTES} bytes, skipped")
        return None, None
    if not raw.strip():
        return None, None
    if raw.count(b",") > MAX_LINE_VALUES:
        snap.problem(f"line {number}: more than {MAX_LINE_VALUES} values, skipped unread")
        return None, None
    try:
        return parse_line(raw.decode("utf-8")), None
    except UnicodeDecodeError:
        snap.problem(f"line {number}: " + ("cut short (the run did not finish)" if not ended
                                           else "not UTF-8 text, skipped"))
    except json.JSONDecodeError:
        if ended:
            return None, f"line {number}: not valid JSON, skipped"
        snap.problem(f"line {number}: cut short (the run did not finish)")
    except (ValueError, RecordError) as exc:
        snap.problem(f"line {number}: {_record_kind(raw)}{exc}; skipped")
    return None, None


def _add_record(snap: Snapshot, number: int, span: Tuple[int, int], record: Record) -> None:
    """A record read whole, in its place in the snapshot (or skipped, saying why)."""
    if snap.end is not None:
        snap.problem(f"line {number}: a record after the end record, skipped")
    elif isinstance(record, Stop):
        if record.parent is not None and record.parent >= record.call:
            snap.problem(f"line {number}: stop #{record.index}'s parent call "
                         f"{record.parent} is not an earlier call; skipped")
            return
        snap.stops._add(span, record)
    elif isinstance(record, Source):
        snap.sources.setdefault(record.function, record)
    elif isinstance(record, End):
        snap.end = record
    else:
        snap.problem(f"line {number}: a second header, skipped")


def _record_kind(raw: bytes) -> str:
    for kind in records.KINDS:
        if b'"kind": "%s"' % kind.encode() in raw[:200]:
            return f"{kind} record: "
    return ""


def _header(raw: Optional[bytes], path: str) -> Header:
    not_one = SnapshotError(f"{path} is not a harness snapshot: its first line is not a "
                            f'"{records.FORMAT}" header')
    if raw is None or raw.count(b",") > MAX_LINE_VALUES:
        raise not_one
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise not_one from None
    if not isinstance(data, dict) or data.get("format") != records.FORMAT:
        raise not_one
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) \
            and version > records.FORMAT_VERSION:
        raise SnapshotError(f"{path} is a harness snapshot of format version {version}, newer "
                            f"than this harness reads (up to {records.FORMAT_VERSION}); "
                            "upgrade harness")
    try:
        header = records.from_json(data)
    except RecordError as exc:
        raise SnapshotError(f"{path}: line 1: its header is broken: {exc}") from None
    if not isinstance(header, Header):
        raise not_one
    return header
