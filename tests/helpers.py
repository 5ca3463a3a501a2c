"""What the tests share: running the command line as a user does, reading snapshots, and the
committed recordings of other torch releases. (Fixtures live in conftest.py.)"""
import glob
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = os.path.join(ROOT, "scenarios")
SAMPLES = os.path.join(ROOT, "tests", "samples")
# The console script pip installed beside this interpreter: what a user types.
HARNESS = os.path.join(os.path.dirname(sys.executable), "harness")


def harness_command():
    return [HARNESS] if os.path.exists(HARNESS) else [sys.executable, "-m", "harness"]


def run_harness(*args, cwd=None, env=None, input=None, timeout=300):
    """Run the command line as a user does: a subprocess, output captured as text."""
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    return subprocess.run(harness_command() + list(args), cwd=cwd or ROOT, env=full_env,
                          input=input, capture_output=True, text=True, timeout=timeout)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def stops(records, function=None):
    return [r for r in records if r["kind"] == "stop"
            and (function is None or r["function"].endswith(function))]


def python_312_plus():
    """A Python 3.12+ on this machine for the sys.monitoring backend, or None."""
    if sys.version_info >= (3, 12):
        return sys.executable
    candidates = [shutil.which(n) for n in ("python3.14", "python3.13", "python3.12")]
    candidates += ["/usr/bin/python3.13", "/usr/bin/python3.12"]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python3")),
                         reverse=True)
    for path in candidates:
        if not path or not os.path.exists(path):
            continue
        try:
            out = subprocess.run([path, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                                 capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            continue
        if out.stdout.strip() == "True":
            return path
    return None


NO_TORCH = ("import sys; sys.modules['torch'] = None; "  # `import torch` now fails
            "from harness.cli import main; code = main(sys.argv[1:]); "
            "assert 'torch' not in sys.modules or sys.modules['torch'] is None; sys.exit(code)")


def run_without_torch(*args, input=None):
    """The command line in an interpreter where `import torch` fails."""
    return subprocess.run([sys.executable, "-c", NO_TORCH, *args], cwd=ROOT, input=input,
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, NO_COLOR="1"))


def real_snapshot(scenario, version):
    """A committed snapshot recorded with another torch release (see tests/data/README.md)."""
    found = glob.glob(os.path.join(ROOT, "tests", "data", scenario, f"torch-{version}*.jsonl"))
    assert len(found) == 1, found
    return found[0]


def other_pythons_below_312():
    """Pythons 3.9-3.11 on this machine other than the test's own (pyenv's, /usr/bin's), for
    the backends that run on any Python: one per minor version."""
    found = {}
    candidates = [shutil.which(f"python3.{minor}") for minor in range(9, 12)]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")))
    for path in candidates:
        if not path or not os.path.exists(path):
            continue
        try:
            out = subprocess.run([path, "-c", "import sys; print(*sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30)
            version = tuple(int(n) for n in out.stdout.split())
        except (OSError, subprocess.SubprocessError, ValueError):
            continue
        if version != tuple(sys.version_info[:2]) and (3, 9) <= version < (3, 12) \
                and version not in found:
            found[version] = path
    return sorted(found.values())
