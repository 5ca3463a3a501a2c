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

from harness.scenario import At, Breakpoint  # noqa: E402

import generator_targets  # noqa: E402
from drive_backend import record_under  # noqa: E402

SPECS = [Breakpoint("generator_targets.gen", At("enter"), ("n",)),
         Breakpoint("generator_targets.gen", At("return"), ("n", "i")),
         Breakpoint("generator_targets.delegates", At("return"), ()),
         Breakpoint("generator_targets.closed", At("return"), ()),
         Breakpoint("generator_targets.inner", At("return"), ("k",))]


def drive(backend_name):
    name, records, result = record_under(backend_name, SPECS, generator_targets.driver,
                                         plain_stops=True)
    return {"backend": name, "result": result,
            "stops": [r for r in records if isinstance(r, dict)]}


if __name__ == "__main__":
    print(json.dumps(drive(sys.argv[1])))
