"""Record the generator samples with one backend; print the stops as JSON.

Run as `python drive_generators.py BACKEND` by the backend tests: settrace with any Python,
monitoring with a Python 3.12+ (the instrument backend leaves generators to settrace).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from harness.recording import backends  # noqa: E402
from harness.recording.engine import Engine, WatchedBreakpoint  # noqa: E402
from harness.recording.targets import resolve  # noqa: E402
from harness.recording.values import default_encoder  # noqa: E402
from harness.scenario import At, Breakpoint  # noqa: E402

import generator_targets  # noqa: E402

SPECS = [Breakpoint("generator_targets.gen", At("enter"), ("n",)),
         Breakpoint("generator_targets.gen", At("return"), ("n", "i")),
         Breakpoint("generator_targets.delegates", At("return"), ()),
         Breakpoint("generator_targets.closed", At("return"), ()),
         Breakpoint("generator_targets.inner", At("return"), ("k",))]


def drive(backend_name):
    stops = []
    engine = Engine([WatchedBreakpoint(i, spec, resolve(spec.function))
                     for i, spec in enumerate(SPECS)], default_encoder(), stops.append,
                    plain_stops=True)
    backend = backends.create(backend_name, engine)
    backend.start()
    try:
        result = generator_targets.driver()
    finally:
        backend.stop()
    return {"backend": backend.name, "result": result,
            "stops": [s for s in stops if isinstance(s, dict)]}


if __name__ == "__main__":
    print(json.dumps(drive(sys.argv[1])))
