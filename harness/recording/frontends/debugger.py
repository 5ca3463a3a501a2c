"""Step a scenario live in pdb++: its stops become debugger prompts on real frames.

In interactive mode the debugger itself is the tracer: a `pdb.Pdb` subclass (pdb++'s when it
is installed) whose `dispatch_call` / `dispatch_line` / `dispatch_return` first feed the same
recorder engine as the other backends (so `at`, `when` and capture behave exactly as in
`harness run`), then do pdb's own bookkeeping, so `step`, `next`, `return`, `until` and the rest
work as in any session. Two things differ from plain pdb, both on purpose:
- `continue` keeps the trace function (plain Bdb drops it when it has no breakpoints), so the
  run goes on to the next scenario stop; frames that are neither watched nor being stepped get
  no local trace, which keeps the cost down;
- pdb's own "--Call--"/"--Return--" prompt is skipped when a scenario stop has just prompted
  on the same frame and event.

Stops are shown at each prompt but written to the snapshot only when the user says so
(`record`, `record all`). Quitting raises pdb's BdbQuit through torch; the session writes the
snapshot's end as "stopped". When scripting fails, a post-mortem prompt opens on the innermost
watched frame of the traceback. Commands piped in that run out before the run does let it go on
to its end, as `continue` would (at a terminal, end of input quits, as in pdb).

To the run, the debugger is a `RunObserver` that brings its own tracer: the session calls it
through that seam only.
"""
from __future__ import annotations

import bdb
import json
import pprint
import sys
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Tuple

from ...records import path_label
from ...show.render import Style, short, stop_line
from ...show.run_report import diagnosis_lines
from ...show.short import construct, short_local
from ...text import counted
from ..backends.settrace import report_leave
from ..observer import RunObserver

def debugger_base() -> Tuple[type, Optional[str]]:
    """pdb++'s Pdb, or the standard one with a line saying why."""
    try:
        import pdbpp

        return pdbpp.Pdb, None
    except ImportError:
        import pdb

        return pdb.Pdb, "pdb++ is not installed: using the standard pdb"


def create(stdin=None, stdout=None, color: Optional[bool] = None):
    """A debugger ready to watch a run (pass it to `session.record` as its observer)."""
    base, note = debugger_base()
    cls = type("HarnessDebugger", (DebuggerMixin, base, RunObserver), {})
    debugger = cls(stdin=stdin, stdout=stdout)
    debugger.harness_setup(note, Style.for_stream(debugger.stdout, color))
    return debugger


if TYPE_CHECKING:  # combined with pdb's Pdb (or pdb++'s, a subclass): its attributes are theirs
    import pdb as _pdb
    _Pdb = _pdb.Pdb
else:
    _Pdb = object


class DebuggerMixin(_Pdb):
    """Mixed in front of pdb.Pdb (or pdbpp.Pdb) by `create`."""

    # -- set up ---------------------------------------------------------------------------
    def harness_setup(self, note: Optional[str], style: Style) -> None:
        self.prompt = "(harness) " if note else "(harness++) "
        self.h_style = style
        self.h_note = note
        self.h_engine = None
        self.h_write: Optional[Callable[[dict], None]] = None
        self.h_stops: List[dict] = []  # every scenario stop so far
        self.h_current: Optional[dict] = None
        self.h_recorded: set = set()
        self.h_record_all = False
        self.h_skip_next: Optional[Tuple[Any, str]] = None  # (frame, event) already prompted
        self.h_pending: dict = {}  # frame -> (exception in flight, where): unwind or return
        self.h_previous_trace: Optional[Callable[..., Any]] = None
        self.h_quit = False
        self.h_until = None  # `ns CONDITION`: the condition to wait for
        self.h_focus: Any = None  # post-mortem: the frame to show first
        self.h_input_ended = False  # piped commands ran out: run on to the end
        self.h_to_failure = False  # `failure`: no scenario prompt until scripting fails
        self.h_disabled: set = set()  # scenario breakpoints (their index) that do not prompt
        self.h_piped = not getattr(self.stdin, "isatty", lambda: False)()
        if self.h_piped:
            self.use_rawinput = False  # commands piped in: read lines, no readline
        config = getattr(self, "config", None)  # pdb++ colours even when piped, unless told
        if config is not None and not style.enabled:
            config.highlight = config.use_pygments = False

    # -- the RunObserver seam ---------------------------------------------------------------
    writes_every_stop = False  # only the stops the user records
    def tracer(self, engine):
        self.h_engine = engine
        return self

    def attach(self, engine, write: Callable[[Any], None]) -> None:
        self.h_engine, self.h_write = engine, write

    def should_write(self, stop) -> bool:
        return False  # stops reach the snapshot through `record` (see _write)

    def on_stop(self, stop, frame) -> None:
        self.harness_stop(stop, frame)

    def on_failure(self, error: BaseException, diagnosis=None) -> None:
        self.post_mortem(error, diagnosis)

    def stop_reason(self) -> Optional[str]:
        return "the user quit the debugger" if self.h_quit else None

    def end_fields(self) -> dict:
        # the file holds the stops the user recorded; stops_seen counts all the run made
        seen = self.h_engine.stops if self.h_engine is not None else len(self.h_stops)
        return {"stops": len(self.h_recorded), "stops_seen": seen}

    def say(self, text: str) -> None:
        print(text, file=self.stdout)

    # -- the backend protocol (start / stop), as the other tracers --------------------------
    name = "pdb"

    def start(self) -> None:
        if self.h_note:
            self.say(self.h_note)
        self.say(self.h_style.dim("harness: stopping at the scenario's breakpoints; "
                                  "harness commands: ns (next stop), failure, captured, "
                                  "stops, record [all], sdisable/senable N; help harness"))
        self.reset()
        self.botframe = sys._getframe().f_back
        # bdb's own (private) setter, absent from typeshed's stubs for Bdb
        self._set_stopinfo(self.botframe, None, -1)  # type: ignore[attr-defined]
        self.h_previous_trace = sys.gettrace()
        sys.settrace(self.trace_dispatch)

    def stop(self) -> None:
        sys.settrace(self.h_previous_trace)

    # -- tracing --------------------------------------------------------------------------
    def dispatch_call(self, frame, arg):
        code = frame.f_code
        if self.h_engine is not None and self.h_engine.watches(code):
            self.h_engine.on_enter(code, frame)
            self._quit_if_asked()
            super().dispatch_call(frame, arg)  # pdb's stepping may want this call too
            self.h_skip_next = None
            self._quit_if_asked()
            return self.trace_dispatch  # watched frames are always traced: their return counts
        return super().dispatch_call(frame, arg)

    def dispatch_line(self, frame):
        code = frame.f_code
        engine = self.h_engine
        if engine is not None and frame.f_lineno in engine.line_breakpoints(code):
            engine.on_line(code, frame, frame.f_lineno)
            self._quit_if_asked()
            result = super().dispatch_line(frame)
            self.h_skip_next = None
            return result
        return super().dispatch_line(frame)

    def dispatch_return(self, frame, arg):
        code = frame.f_code
        engine = self.h_engine
        if engine is not None and engine.watches(code):
            report_leave(engine, frame, arg, self.h_pending.pop(frame, None))
            self._quit_if_asked()
            result = super().dispatch_return(frame, arg)
            self.h_skip_next = None
            return result
        return super().dispatch_return(frame, arg)

    def dispatch_exception(self, frame, arg):
        if self.h_engine is not None and self.h_engine.watches(frame.f_code):
            self.h_pending[frame] = (arg[1], frame.f_lasti)
        return super().dispatch_exception(frame, arg)

    def set_continue(self):
        # Unlike Bdb, keep tracing without breakpoints: the scenario's stops are ours.
        if getattr(self, "sticky", False):
            self._sticky_skip_cls = True
        self._set_stopinfo(self.botframe, None, -1)

    def set_quit(self):
        self.h_quit = True
        super().set_quit()

    def _quit_if_asked(self) -> None:
        if self.quitting:
            raise bdb.BdbQuit

    # pdb's own prompts, skipped when a scenario stop just prompted on the same event
    def _skip(self, frame, event: str) -> bool:
        if self.h_skip_next == (frame, event):
            self.h_skip_next = None
            return True
        return False

    def user_call(self, frame, argument_list):
        if not self._skip(frame, "enter"):
            super().user_call(frame, argument_list)

    def user_line(self, frame):
        if not self._skip(frame, "line"):
            super().user_line(frame)

    def user_return(self, frame, return_value):
        if not self._skip(frame, "return"):
            super().user_return(frame, return_value)

    # -- scenario stops -------------------------------------------------------------------
    def harness_stop(self, record, frame) -> None:
        self.h_stops.append(record)
        if self.h_record_all:
            self._write(record)
        if self.h_input_ended or self.h_to_failure:
            return  # no more commands, or running on to the failure
        if record.breakpoint in self.h_disabled:
            return  # its breakpoint is disabled: the stop is made, with no prompt
        if self.h_until is not None:
            try:
                wanted = bool(eval(self.h_until, frame.f_globals, dict(frame.f_locals)))
            except Exception:  # a name the condition uses is not a local here
                wanted = False
            if not wanted:
                return  # not this one: run on to the next scenario stop
            self.h_until = None
        self.h_current = record
        self._show_header(record)
        self.h_skip_next = (frame, record.event)
        self.interaction(frame, None)

    def _show_header(self, record) -> None:
        st = self.h_style
        recorded = " (recorded)" if record.index in self.h_recorded else ""
        self.say(st.bold(f"── harness stop #{record.index}: {record.function} "
                         f"{record.event}, module {path_label(record.subject)}"
                         f"{recorded}"))
        code = construct(record)
        if code:  # in torch's frontend: the user's code being compiled, not only torch's
            self.say(f"   compiling {st.magenta(code)}")
        self._show_captured(record)

    def _show_captured(self, record) -> None:
        captured = record.locals
        for name, value in captured.items():
            self.say(f"   {self.h_style.bold(name)} = {short_local(name, value, 100)}")
        for name in record.absent or ():
            self.say(f"   {self.h_style.bold(name)} = {self.h_style.dim('<absent>')}")

    def _write(self, record) -> None:
        if record.index not in self.h_recorded and self.h_write is not None:
            self.h_write(record)
            self.h_recorded.add(record.index)

    def post_mortem(self, error: BaseException, diagnosis=None) -> None:
        """Scripting failed: a prompt on the innermost watched frame of the traceback."""
        tb = error.__traceback__
        frames = []
        while tb is not None:
            frames.append(tb.tb_frame)
            tb = tb.tb_next
        watched = [f for f in frames if self.h_engine and self.h_engine.is_target(f.f_code)]
        self.h_focus = watched[-1] if watched else None
        self.h_until = None
        self.h_to_failure = False
        st = self.h_style
        self.say(st.red(f"── scripting failed: {type(error).__name__}: "
                        f"{str(error).strip().splitlines()[0] if str(error).strip() else ''}"))
        if self.h_focus is not None:
            self.say(st.bold(f"   at the innermost scenario frame: {self.h_focus.f_code.co_name} "
                             f"(up/down to move; `where` for the whole stack)"))
        else:
            self.say(st.bold("   no scenario frame is on the failing stack: at the innermost "
                             "frame"))
        for line in diagnosis_lines(diagnosis, st):
            self.say("   " + line)
        if self.h_input_ended:
            return
        self.reset()
        previous = sys.gettrace()
        try:
            self.interaction(None, error.__traceback__)
        finally:
            sys.settrace(previous)
            self.h_focus = None

    def setup(self, f, tb):
        result = super().setup(f, tb)
        focus = self.h_focus
        if focus is not None:
            for i, entry in enumerate(self.stack):
                if entry[0] is focus:
                    self.curindex = i
                    self.curframe = focus
                    self.curframe_locals = focus.f_locals
        return result

    # -- harness commands -----------------------------------------------------------------
    def do_ns(self, arg):
        """ns [CONDITION] | nextstop [CONDITION]
        Continue to the next scenario stop, or to the next one where CONDITION (a Python
        expression on that frame's locals, e.g. name == "weights") is true. pdb breakpoints
        you set still stop too."""
        if arg.strip():
            from ...scenario import compile_condition

            try:
                self.h_until = compile_condition(arg.strip(), "<ns condition>")
            except ValueError as exc:
                self.error(str(exc))
                return None
        self.set_continue()
        return 1

    do_nextstop = do_ns

    def do_failure(self, arg):
        """failure
        Continue to the failure: no scenario stop prompts until scripting fails, and the
        post-mortem prompt opens there (a model that scripts runs on to its end). pdb
        breakpoints you set still stop."""
        self.h_to_failure = True
        self.h_until = None
        self.say(self.h_style.dim("harness: running on to the failure"))
        self.set_continue()
        return 1

    def _breakpoint_numbers(self, arg: str, verb: str) -> Optional[List[int]]:
        """The scenario breakpoints `arg` names (numbers as `stops` lists them; none: all)."""
        engine = self.h_engine
        known: List[int] = ([bp.index for bp, _ in engine.breakpoint_hits()]
                            if engine is not None else [])
        if not arg.strip():
            return known
        numbers = []
        for word in arg.replace(",", " ").split():
            if not word.isdigit() or int(word) not in known:
                self.error(f"{verb}: no scenario breakpoint {word!r} (they are "
                           f"{', '.join(map(str, known)) or 'none'}; `stops` lists them)")
                return None
            numbers.append(int(word))
        return numbers

    def do_sdisable(self, arg):
        """sdisable [N ...]
        Disable scenario breakpoints (numbers as `stops` lists them; none: all): their
        stops are still made, and recorded with `record all`, but no longer prompt."""
        numbers = self._breakpoint_numbers(arg, "sdisable")
        if numbers is not None:
            self.h_disabled.update(numbers)
            self.say(f"disabled scenario breakpoint{'s' if len(numbers) != 1 else ''} "
                     + (", ".join(map(str, numbers)) or "(none)"))

    def do_senable(self, arg):
        """senable [N ...]
        Enable scenario breakpoints again (none: all)."""
        numbers = self._breakpoint_numbers(arg, "senable")
        if numbers is not None:
            self.h_disabled.difference_update(numbers)
            self.say(f"enabled scenario breakpoint{'s' if len(numbers) != 1 else ''} "
                     + (", ".join(map(str, numbers)) or "(none)"))

    def do_captured(self, arg):
        """captured
        Show this scenario stop's captured locals again, as `harness run` shows them."""
        if self.h_current is None:
            self.say("no scenario stop yet")
            return
        self._show_header(self.h_current)

    def do_stops(self, arg):
        """stops
        The scenario's breakpoints, and the stops so far (> marks the one we are at)."""
        engine = self.h_engine
        if engine is not None:
            self.say(self.h_style.bold("breakpoints:"))
            for bp, hits in engine.breakpoint_hits():
                off = "  disabled" if bp.index in self.h_disabled else ""
                self.say(f"  [{bp.index}] {bp.describe()}  "
                         f"({counted(hits, 'stop')} so far){off}")
        self.say(self.h_style.bold(f"stops so far ({counted(len(self.h_stops), 'stop')}):"))
        for stop in self.h_stops:
            mark = ">" if stop is self.h_current else " "
            rec = "*" if stop.index in self.h_recorded else " "
            self.say(f"{mark}{rec}" + stop_line(stop, self.h_style, width=40))
        self.say(self.h_style.dim("(* = recorded into the snapshot)"))

    def do_record(self, arg):
        """record [all]
        Write this scenario stop into the snapshot; `record all` also writes every stop
        from here on."""
        if self.h_current is None:
            self.say("no scenario stop to record yet")
            return
        self._write(self.h_current)
        if arg.strip() == "all":
            self.h_record_all = True
            self.say(f"recorded stop #{self.h_current.index}, and every stop from here on")
        elif arg.strip():
            self.say("usage: record [all]")
        else:
            self.say(f"recorded stop #{self.h_current.index}")

    def help_harness(self):
        self.say("harness commands, beside all of pdb's:\n"
                 "  ns [COND]      continue to the next scenario stop (c does the same), or to\n"
                 "                 the next one where COND holds: ns name == \"weights\"\n"
                 "  failure        continue to the failure: no scenario prompts until scripting\n"
                 "                 fails (the post-mortem prompt opens there)\n"
                 "  sdisable [N..] stop prompting at scenario breakpoints N (none: all); their\n"
                 "  senable [N..]  stops are still made; senable prompts again\n"
                 "  captured       show this stop's captured locals again\n"
                 "  stops          the scenario's breakpoints and the stops so far\n"
                 "  record [all]   write this stop (and, with all, every later one) into the "
                 "snapshot\n"
                 "  p / pp         show torch's InferredType, ConcreteModuleType(Builder) as data\n"
                 "  q              quit: the snapshot so far is kept, marked stopped")

    # -- readable torch values ------------------------------------------------------------
    def _harness_encoded(self, value: Any) -> Optional[Any]:
        """The harness encoding of torch values whose repr says nothing, else None."""
        torch = sys.modules.get("torch")
        if torch is None or self.h_engine is None:
            return None
        readable = (torch._C.InferredType, torch._C.ConcreteModuleType,
                    torch._C.ConcreteModuleTypeBuilder)
        if not isinstance(value, readable):
            return None
        return self.h_engine.encode(value)

    def do_p(self, arg):
        try:
            value = self._getval(arg)
        except Exception:
            return  # _getval has printed the error
        encoded = self._harness_encoded(value)
        self.message(short(encoded, 200) if encoded is not None else repr(value))

    def do_pp(self, arg):
        try:
            value = self._getval(arg)
        except Exception:
            return
        encoded = self._harness_encoded(value)
        if encoded is not None:
            self.message(json.dumps(encoded, indent=2, ensure_ascii=False))
        else:
            self.message(pprint.pformat(value))

    do_p.__doc__ = "p expression\nPrint the value (torch's InferredType & co. as data)."
    do_pp.__doc__ = "pp expression\nPretty-print the value (torch's InferredType & co. as data)."

    def do_EOF(self, arg):
        """End of input. At a terminal (Ctrl-D) it quits, as in pdb; when the commands were
        piped in, the run goes on to its end without prompting, recording as set so far."""
        if not self.h_piped:
            return super().do_EOF(arg)
        self.say(self.h_style.dim("harness: end of input: running on to the end"))
        self.h_input_ended = True
        self.h_until = None
        self.set_continue()
        return 1
