"""Record callback_targets with one backend; print the stop records as JSON.

`python drive_callbacks.py BACKEND`, with any Python (monitoring: 3.12+)."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from harness.records import Stop  # noqa: E402
from harness.scenario import At, Breakpoint  # noqa: E402

import callback_targets  # noqa: E402
from drive_backend import record_under  # noqa: E402

SPECS = [
    Breakpoint("callback_targets.StmtBuilder.build_int", At("return"), ("node", "doubled")),
    Breakpoint("callback_targets.StmtBuilder.build_str", At("enter"), ("node",)),
    Breakpoint("callback_targets.make_callback.<locals>.resolve", At("return"), ("name",)),
]


def drive(backend_name):
    name, records, result = record_under(backend_name, SPECS, callback_targets.driver)
    return {"backend": name, "result": json.loads(json.dumps(result)),
            "stops": [r.to_json() for r in records if isinstance(r, Stop)]}


if __name__ == "__main__":
    print(json.dumps(drive(sys.argv[1])))
