"""Record the pure-Python sample targets with one backend; print the stop records as JSON.

Run as `python drive_backend.py BACKEND` by the backend tests, with any Python: the settrace
backend with the test's own interpreter, the monitoring backend with a Python 3.12+.
It also reports whether the tracing state before the run was put back after it.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from harness.records import Source, Stop  # noqa: E402
from harness.recording import backends  # noqa: E402
from harness.recording.engine import Engine, WatchedBreakpoint  # noqa: E402
from harness.recording.targets import match_line, resolve  # noqa: E402
from harness.recording.values import default_encoder  # noqa: E402
from harness.scenario import At, Breakpoint  # noqa: E402

import sample_targets  # noqa: E402

SPECS = [
    Breakpoint("sample_targets.outer", At("enter"), ("x",)),
    Breakpoint("sample_targets.outer.<locals>.inner", At("return"), ("y", "doubled")),
    Breakpoint("sample_targets.outer", At("line", "total += inner(i)"), ("i", "total"),
               when="i != 1"),
    Breakpoint("sample_targets.Box.grow", At("return"), ("by", "missing")),
    Breakpoint("sample_targets.fails", At("return"), ("n", "marker")),
    Breakpoint("sample_targets.catches", At("return"), ()),
    *[Breakpoint(f"sample_targets.{name}", At("return"), ("n",))
      for name in ("passes_through", "passes_two", "cleans_up", "nested_tries", "raises_again")],
    Breakpoint("sample_targets.spread", At("return"), ("n",)),
]


# What the instrument backend records itself (it leaves line breakpoints to settrace).
NO_LINES = [spec for spec in SPECS if spec.at.event != "line"]


def record_under(backend_name, specs, driver, plain_stops=False):
    """`driver()` run with `specs` watched by one backend: (the backend's name, the records
    the engine handed on, what `driver` returned). The other drive_*.py samples use it too.
    `plain_stops`: the engine hands stops on as the dicts a usual run writes."""
    watched = []
    for i, spec in enumerate(specs):
        target = resolve(spec.function)
        line = match_line(target, spec.at.fragment, None) if spec.at.event == "line" else None
        when = compile(spec.when, "<when>", "eval") if spec.when else None
        watched.append(WatchedBreakpoint(i, spec, target, line, when))
    records = []
    engine = Engine(watched, default_encoder(), records.append, plain_stops=plain_stops)
    backend = backends.create(backend_name, engine)
    backend.start()
    try:
        result = driver()
    finally:
        backend.stop()
    return backend.name, records, result


def drive(backend_name, previous_tracer=None, specs=SPECS, plain_stops=False):
    """Record the samples with one backend under `previous_tracer` (a trace function already
    set, as coverage's would be); returns the stops and what was put back."""
    codes_before = _codes()

    if previous_tracer is None:
        def previous_tracer(frame, event, arg):
            return None

    outer = sys.gettrace()
    sys.settrace(previous_tracer)
    name, records, result = record_under(backend_name, specs, sample_targets.driver,
                                         plain_stops)
    restored = sys.gettrace() is previous_tracer
    sys.settrace(outer)
    tools_free = True
    if hasattr(sys, "monitoring"):
        tools_free = all(sys.monitoring.get_tool(t) is None for t in (0, 3, 4))
    return {"backend": name, "result": list(result),
            "stops": [r.to_json() if isinstance(r, Stop) else r for r in records
                      if isinstance(r, (Stop, dict))],
            "sources": sorted(r.function for r in records if isinstance(r, Source)),
            "restored": restored, "tools_free": tools_free,
            "codes_restored": _codes() == codes_before}


def _codes():
    """The code object of every sample function: the instrument backend must put them back."""
    return [f.__code__ for f in (sample_targets.outer, sample_targets.Box.grow,
                                 sample_targets.fails, sample_targets.catches,
                                 sample_targets.spread, sample_targets.driver)]


if __name__ == "__main__":
    # drive_backend.py BACKEND [no-lines]
    chosen = NO_LINES if sys.argv[2:] == ["no-lines"] else SPECS
    print(json.dumps(drive(sys.argv[1], specs=chosen)))
