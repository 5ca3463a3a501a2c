"""Step through a recorded snapshot offline, with the feel of pdb; no torch needed.

`ReplayShell` is a `cmd.Cmd`: readline history and tab completion where the terminal has them,
plain lines from a pipe otherwise. `print_snapshot` is the non-interactive `--print` mode.
"""
from __future__ import annotations

import cmd
import json
import re
from typing import IO, Any, Callable, Dict, List, Optional, Tuple

from ..records import Stop, path_label
from ..snapshot import Snapshot, key_label
from ..text import counted, safe, safe_line
from .render import Style, function_label, short, stop_detail, stop_line
from .run_report import report

_PATH_PART = re.compile(r"\.([^.\[\]]+)|\[([^\]]+)\]")


class PathError(LookupError):
    pass


def lookup(locals_: dict, path: str, whole: Optional[Callable[[str], Any]] = None) -> Any:
    """`attr_type.jit_type`, `memo[id(layer1)]`, `added_names[0]` inside encoded locals.
    `whole(name)` gives a local whole (a grown `memo` put back together)."""
    match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", path)
    if not match or match.group(0) not in locals_:
        names = ", ".join(locals_) or "none"
        raise PathError(f"no captured local {path.split('.')[0]!r} at this stop "
                        f"(captured: {names})")
    value = whole(match.group(0)) if whole else locals_[match.group(0)]
    rest = path[match.end():]
    while rest:
        part = _PATH_PART.match(rest)
        if not part:
            raise PathError(f"cannot read {rest!r}: use .field or [key]")
        key = part.group(1) or part.group(2)
        value = _step(value, key.strip().strip("'\""))
        rest = rest[part.end():]
    return value


def _step(value: Any, key: str) -> Any:
    try:
        return _step_into(value, key)
    except PathError:
        raise
    except (LookupError, TypeError, ValueError, AttributeError):
        # a value of a shape the harness never writes (a file not written by it)
        raise PathError(f"no field {key!r} here") from None


def _step_into(value: Any, key: str) -> Any:
    if isinstance(value, dict) and value.get("type") == "dict" and "items" in value:
        for k, v in _pairs(value["items"]):
            if key in (key_label(k), json.dumps(k)) or (isinstance(k, dict) and k.get("of") == key):
                return v
        raise PathError(f"no key {key!r} in this dict")
    if isinstance(value, dict) and isinstance(value.get("items"), list) \
            and key.lstrip("-").isdigit():
        try:
            return value["items"][int(key)]
        except IndexError:
            raise PathError(f"index {key} out of range "
                            f"({counted(len(value['items']), 'item')})") from None
    if isinstance(value, dict) and key in value:
        return value[key]
    if isinstance(value, list) and key.lstrip("-").isdigit():
        try:
            return value[int(key)]
        except IndexError:
            raise PathError(f"index {key} out of range ({len(value)} items)") from None
    raise PathError(f"no field {key!r} here")


def _pairs(items: Any) -> List[Tuple[Any, Any]]:
    """A dict's items as the harness writes them, [[key, value], ...]; anything else skipped."""
    if not isinstance(items, list):
        return []
    return [(x[0], x[1]) for x in items if isinstance(x, list) and len(x) == 2]


def tree(value: Any, style: Style) -> List[str]:
    """One level of a value, each part in short form: expand one with `p name.part`."""
    if isinstance(value, dict) and value.get("type") == "dict" and "items" in value:
        return [f"  [{short(k, 40)}] {short(v)}" for k, v in _pairs(value["items"])]
    if isinstance(value, dict) and isinstance(value.get("items"), list):
        return [f"  [{i}] {short(v)}" for i, v in enumerate(value["items"])]
    if isinstance(value, dict):
        return [f"  {style.bold(safe_line(str(k)))}: {short(v)}" for k, v in value.items()]
    return []


class ReplayShell(cmd.Cmd):
    doc_header = "Commands (help COMMAND for more):"

    def __init__(self, snap: Snapshot, style: Style, stdin: Optional[IO[str]] = None,
                 stdout: Optional[IO[str]] = None):
        super().__init__(stdin=stdin, stdout=stdout)
        if stdin is not None:
            self.use_rawinput = False
        self.snap, self.style, self.i = snap, style, 0
        self._update_prompt()

    # -- plumbing ---------------------------------------------------------------------------
    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.stdout)

    def preloop(self) -> None:
        h = self.snap.header
        self.say(self.style.bold(f"replay {safe_line(self.snap.path)}"),
                 safe_line(f"scenario {h.scenario.name} "
                           f"({self.snap.subject or 'unknown subject'}), "
                           f"torch {h.torch}, "
                           f"Python {h.python}, {counted(len(self.snap.stops), 'stop')}, "
                           f"outcome {self.snap.outcome}"))
        for problem in self.snap.problems:
            self.say(self.style.yellow(f"note: {safe_line(problem)}"))
        if self.snap.stops:
            self.show()
        self.say(self.style.dim("n/b next/back, g N go to stop, f NAME next stop of a function, "
                                "p/pp NAME print a local, l source, w where, ls stops, "
                                "help, q quit"))

    def _update_prompt(self) -> None:
        self.prompt = f"(replay #{self.current.index}) " if self.snap.stops else "(replay) "

    def postcmd(self, stop: bool, line: str) -> bool:
        self._update_prompt()
        return stop

    @property
    def current(self) -> Stop:
        return self.snap.stops[self.i]

    def _whole(self, name: str) -> Any:
        return self.snap.value(self.current, name)

    def show(self) -> None:
        self.say(stop_line(self.current, self.style))

    def default(self, line: str) -> None:
        self.say(f"unknown command {safe_line(repr(line.split()[0]))}; type help")

    def _need_stops(self) -> bool:
        if not self.snap.stops:
            self.say("this snapshot has no stops")
            return False
        return True

    # -- moving -----------------------------------------------------------------------------
    def do_next(self, arg: str) -> None:
        """next [N]: go N stops forward (default 1)."""
        self._move(int(arg) if arg.strip().isdigit() else 1)

    def do_back(self, arg: str) -> None:
        """back [N]: go N stops back (default 1)."""
        self._move(-(int(arg) if arg.strip().isdigit() else 1))

    def _move(self, by: int) -> None:
        if not self._need_stops():
            return
        target = self.i + by
        if not 0 <= target < len(self.snap.stops):
            edge = "last" if by > 0 else "first"
            more = " (the run did not finish)" if by > 0 and not self.snap.complete else ""
            self.say(f"already at the {edge} stop{more}")
            return
        self.i = target
        self.show()

    def do_goto(self, arg: str) -> None:
        """goto N: go to stop #N."""
        if not self._need_stops():
            return
        if not arg.strip().lstrip("#").isdigit():
            self.say("usage: goto N")
            return
        n = int(arg.strip().lstrip("#"))
        for pos, stop in enumerate(self.snap.stops):
            if stop.index == n:
                self.i = pos
                self.show()
                return
        self.say(f"no stop #{n} (stops #0 to #{self.snap.stops[-1].index})")

    def do_func(self, arg: str) -> None:
        """func NAME: go to the next stop of a function (its name or a part of it)."""
        if not self._need_stops():
            return
        if not arg.strip():
            self.say("usage: func NAME")
            return
        name = arg.strip()
        order = list(range(self.i + 1, len(self.snap.stops))) + list(range(0, self.i + 1))
        for pos in order:
            if name in self.snap.stops[pos].function:
                wrapped = pos <= self.i
                self.i = pos
                if wrapped:
                    self.say(self.style.dim("(wrapped to the start)"))
                self.show()
                return
        self.say(f"no stop of a function matching {safe_line(repr(name))}")

    # -- looking ----------------------------------------------------------------------------
    def do_print(self, arg: str) -> None:
        """print NAME[.field][[key]]: a captured local, one level expanded (p memo[id(layer1)])."""
        if not self._need_stops():
            return
        if not arg.strip():
            self.do_locals("")
            return
        try:
            value = lookup(self.current.locals, arg.strip(), self._whole)
        except PathError as exc:
            self.say(safe_line(str(exc)))
            return
        self.say(f"{safe_line(arg.strip())} = {short(value, 100)}", *tree(value, self.style))

    def do_pp(self, arg: str) -> None:
        """pp NAME[.field]: a captured local in full, as JSON."""
        if not self._need_stops():
            return
        try:
            value = lookup(self.current.locals, arg.strip(), self._whole) if arg.strip() \
                else self.current.locals
        except PathError as exc:
            self.say(safe_line(str(exc)))
            return
        self.say(safe(json.dumps(value, indent=2, ensure_ascii=False)))

    def do_locals(self, arg: str) -> None:
        """locals: every captured local of this stop, in short form."""
        if not self._need_stops():
            return
        for line in stop_detail(self.current, self.style)[:2]:
            self.say(line)
        for name, value in self.current.locals.items():
            self.say(f"  {self.style.bold(safe_line(name))} = {short(value, 100)}")
        for name in self.current.absent or ():
            self.say(f"  {self.style.bold(safe_line(name))} = <absent>")

    def do_list(self, arg: str) -> None:
        """list [N]: the source around this stop's line, N lines either side (default 5)."""
        if not self._need_stops():
            return
        stop = self.current
        src = self.snap.sources.get(stop.function)
        if not src or not src.text:
            self.say("no source stored for this function")
            return
        around = int(arg) if arg.strip().isdigit() else 5
        lines = src.text.split("\n")
        first = src.first_line
        at = stop.line
        lo, hi = max(first, at - around), min(first + len(lines) - 1, at + around)
        self.say(self.style.dim(safe_line(f"{src.file}, {function_label(stop.function)}")))
        for n in range(lo, hi + 1):
            marker = "->" if n == at else "  "
            text = f"{n:5d} {marker} {safe_line(lines[n - first])}"
            self.say(self.style.yellow(text) if n == at else text)

    def do_where(self, arg: str) -> None:
        """where: the target calls this stop sits in, outermost first."""
        if not self._need_stops():
            return
        by_call: Dict[int, Stop] = {}
        for stop in self.snap.stops:
            by_call.setdefault(stop.call, stop)
        chain: List[Tuple[int, Optional[Stop]]] = []
        call = self.current.parent
        while call is not None:  # parents are earlier calls (the reader checks): no loop
            caller = by_call.get(call)
            chain.append((call, caller))
            call = caller.parent if caller else None
        for call, first in reversed(chain):
            if first is None:
                self.say(f"  call {call}: (no stop recorded in it)")
            else:
                self.say(safe_line(f"  call {call}: {function_label(first.function)} "
                                   f"{path_label(first.subject)}  (first stop #{first.index})"))
        self.say("> " + stop_line(self.current, self.style))

    def do_stops(self, arg: str) -> None:
        """stops [TEXT | @MODULE]: list the stops. TEXT: those whose function, module path or
        shown line contains it, in any case (ls leaf); @MODULE: those made at a module, by its
        model path (ls @layer2.0; @ alone the model itself; ls @layer2.* a pattern)."""
        chosen = stops_matching(self.snap, arg.strip())
        if not chosen:
            self.say(nothing_matches(self.snap, arg.strip()))
            return
        current = self.current.index if self.snap.stops else None
        for stop in chosen:
            marker = ">" if stop.index == current else " "
            self.say(f"{marker} " + stop_line(stop, self.style, width=40))

    def do_quit(self, arg: str) -> bool:
        """quit: leave the replay."""
        return True

    def do_EOF(self, arg: str) -> bool:
        self.say("")
        return True

    # pdb's short names
    do_n, do_b, do_g, do_f, do_p, do_l, do_w, do_ls, do_q = (
        do_next, do_back, do_goto, do_func, do_print, do_list, do_where, do_stops, do_quit)

    def completenames(self, text, *ignored):
        return [n for n in super().completenames(text, *ignored) if n != "EOF"]

    def _complete_local(self, text, line, begidx, endidx):
        if not self.snap.stops:
            return []
        return [n for n in self.current.locals if n.startswith(text)]

    complete_print = complete_p = complete_pp = _complete_local

    def complete_func(self, text, line, begidx, endidx):
        labels = sorted({function_label(s.function) for s in self.snap.stops})
        return [n for n in labels if n.startswith(text)]

    complete_f = complete_func


def stops_matching(snap: Snapshot, query: str) -> List[Stop]:
    """The stops `ls QUERY` lists: all; `@path` those made at a module (see
    `snapshot.module_matches`); any other text, those whose function, module path or shown
    line contains it, in any case."""
    if not query:
        return list(snap.stops)
    if query.startswith("@"):
        return snap.select(module=query[1:])
    wanted = query.lower()
    plain = Style(False)
    return [stop for stop in snap.stops
            if wanted in stop.function.lower() or wanted in path_label(stop.subject).lower()
            or wanted in stop_line(stop, plain, width=40).lower()]


def nothing_matches(snap: Snapshot, query: str) -> str:
    """What `ls` says when nothing matched: that, and the modules there are to choose from."""
    if not snap.stops:
        return "this snapshot has no stops"
    modules = [path_label(m) for m in snap.modules()]
    shown = ", ".join(modules[:12]) + (f", … {len(modules) - 12} more" if len(modules) > 12
                                      else "")
    how = "at module" if query.startswith("@") else "by function, module path or text:"
    return safe_line(f"no stop matches {how} {query.lstrip('@') or '<root>'!r}; the stops were "
                     f"made at {shown or 'no module'}")


def print_snapshot(snap: Snapshot, style: Style, out: IO[str], stop_index: Optional[int] = None,
                   function: Optional[str] = None) -> int:
    h = snap.header
    print(safe_line(f"snapshot {snap.path}: scenario {h.scenario.name} "
                    f"({snap.subject or 'unknown subject'}), torch {h.torch}, "
                    f"Python {h.python}, backend {h.backend}"), file=out)
    for problem in snap.problems:
        print(style.yellow(f"note: {safe_line(problem)}"), file=out)
    chosen: List[Stop] = list(snap.stops)
    if stop_index is not None:
        chosen = [s for s in chosen if s.index == stop_index]
    if function:
        chosen = [s for s in chosen if function in s.function]
    for stop in chosen:
        for line in stop_detail(stop, style):
            print(line, file=out)
    if stop_index is None and function is None:
        for line in report(list(snap.stops), snap.end, snap.path, style, mode="none",
                           header=snap.header):
            print(line, file=out)
    return 0 if chosen or not (stop_index is not None or function) else 1
