"""Start the recording process: `python .../entry/harness_recorder.py JOB_FD STATUS_FD`.

A script run by its path, not `python -m`, so that the directory the harness was started from
never comes first on the module path (a `json.py` or `typing.py` lying there would be run).
Python puts this script's own folder first instead, which holds nothing but this file; it is
replaced at once by the folder that holds the harness package.
"""
import gc
import os
import sys

# before any code of the harness's: objects this interpreter froze itself (3.12.0-3.12.1 start
# with some), which are not a freeze of anyone's that a run must leave alone (session.py)
FROZEN_AT_START = getattr(gc, "get_freeze_count", lambda: 0)()

if sys.version_info < (3, 8):  # this much runs on any Python, to say so in one line
    sys.stderr.write("harness: error: the recording side needs Python 3.8 or newer; this is "
                     "%d.%d\n" % sys.version_info[:2])
    sys.exit(2)

sys.path[0] = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))

if __name__ == "__main__":
    from harness.recording.frontends.child import main

    main(sys.argv[1:], FROZEN_AT_START)
