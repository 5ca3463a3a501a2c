"""Python environments holding one torch release each, for `harness matrix --torch`.

One environment per (torch version, Python version), holding only what the recording side
needs: torch (and `numpy<2` beside a torch 1.x, which needs it). They live in a cache
(`platformdirs`' user cache folder for "harness", or `$HARNESS_CACHE`) and are reused: the
second run with the same versions starts recording at once.

- The interpreter: the one the user names (`--torch 1.13.1@python3.10`, a command, a path or a
  version), else one found on the machine (`PATH`, pyenv's versions, `/usr/bin/python3.X`)
  that the torch release has wheels for, as the package index says (`package_index.py`, read
  before anything is installed): this Python first, then the newest.
- The installer: `uv` when there is one (much faster, its wheel cache shared): the harness's
  own environment's first, then `PATH`'s; with the user's pip configuration handed to it
  (index, extra indexes, find-links, constraints, proxy, certificate); else `venv` and `pip`,
  which read that configuration themselves. Index options from the command line
  (`IndexOptions`) go to either as they are. `pip` and `venv` run isolated (`python -I -m
  ...`), so nothing in the current directory (a `pip.py`, a `json.py`) is ever imported by
  them. The installer's own output is said only with `verbose`, or when it fails.
- An environment is built in a temporary folder and renamed into place only once torch
  imports in it, with a marker file saying what it holds: a half-built one is never reused.
- A failure is one line: the registry's own words, a version that does not exist (with those
  that do), a full disk, an interpreter that cannot make a virtual environment.
"""
from __future__ import annotations

import errno
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Tuple

from . import package_index
from .errors import HarnessError

MARKER = "harness-env.json"
BUILDING = ".building-"
Version = Tuple[int, ...]
Progress = Callable[[str], None]


class EnvError(HarnessError):
    """An environment that could not be provisioned: the message says why, in one line."""


def cache_root() -> str:
    override = os.environ.get("HARNESS_CACHE")
    if override:
        return os.path.abspath(override)
    import platformdirs

    return platformdirs.user_cache_dir("harness", appauthor=False)


def envs_dir() -> str:
    return os.path.join(cache_root(), "envs")


def version_text(version: Version) -> str:
    return ".".join(map(str, version))


# -- interpreters -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Interpreter:
    path: str
    version: Version  # (3, 10, 13)

    @property
    def line(self) -> Version:
        return self.version[:2]

    def __str__(self) -> str:
        return f"Python {version_text(self.version)} ({self.path})"


_VERSION_PROBE = "import sys; sys.stdout.write('%d.%d.%d' % sys.version_info[:3])"


def interpreter(path: str) -> Optional[Interpreter]:
    """The interpreter at `path`, or None if it is not one that answers."""
    try:
        out = subprocess.run([path, "-c", _VERSION_PROBE], capture_output=True, text=True,
                             timeout=30)
        version = tuple(int(x) for x in out.stdout.strip().split("."))
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    return Interpreter(os.path.abspath(path), version) if len(version) == 3 else None


def discover() -> List[Interpreter]:
    """Python 3 interpreters on this machine, newest first, each found once."""
    names = ["python3"] + [f"python3.{minor}" for minor in range(8, 16)]
    paths = [sys.executable] + [shutil.which(n) for n in names]
    home = os.path.expanduser("~")
    paths += sorted(glob.glob(os.path.join(os.environ.get("PYENV_ROOT", f"{home}/.pyenv"),
                                           "versions", "3.*", "bin", "python3")))
    paths += sorted(glob.glob("/usr/bin/python3.*") + glob.glob("/usr/local/bin/python3.*"))
    seen, found = set(), []
    for path in paths:
        if not path or not os.path.isfile(path) or not os.access(path, os.X_OK) \
                or re.search(r"-config$|m$", path):
            continue
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        found.append(path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answered = [i for i in pool.map(interpreter, found) if i and i.version >= (3, 8)]
    by_line: Dict[Version, Interpreter] = {}
    for found_one in answered:  # one interpreter per X.Y: this Python's own first
        by_line.setdefault(found_one.line, found_one)
    return sorted(by_line.values(), key=lambda i: i.version, reverse=True)


# -- where torch comes from ---------------------------------------------------------------------
@dataclass(frozen=True)
class IndexOptions:
    """The package indexes named on the command line (`--index-url`, `--extra-index-url`,
    `--find-links`): handed to uv or pip as they are, and read by the version check. The index
    URL replaces pip's configured one; extra indexes and find-links add to the configured ones.
    e.g. `--index-url https://download.pytorch.org/whl/cpu` for torch's CPU builds."""

    index_url: Optional[str] = None
    extra_index_urls: Tuple[str, ...] = ()
    find_links: Tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.index_url or self.extra_index_urls or self.find_links)

    def args(self) -> List[str]:
        """As pip's and uv's options (both spell them the same)."""
        out = ["--index-url", self.index_url] if self.index_url else []
        for url in self.extra_index_urls:
            out += ["--extra-index-url", url]
        for link in self.find_links:
            out += ["--find-links", link]
        return out

    def locations(self, config: Dict[str, str]) -> Tuple[List[str], List[str]]:
        """The indexes and find-links an install with these options reads."""
        indexes = [self.index_url or config.get("index-url") or package_index.DEFAULT_INDEX]
        indexes += config.get("extra-index-url", "").split() + list(self.extra_index_urls)
        return indexes, config.get("find-links", "").split() + list(self.find_links)

    def tag(self) -> str:
        """A short name for these options, part of the environment's name: a release built
        from another index (a CPU build) is another environment."""
        if not self:
            return ""
        return hashlib.sha256(json.dumps(self.args()).encode()).hexdigest()[:8]


# No index named on the command line: pip's or uv's configured ones (the default everywhere).
CONFIGURED_INDEXES = IndexOptions()


_releases_cache: Dict[IndexOptions, package_index.Releases] = {}
_releases_lock = threading.Lock()


def torch_releases(index: IndexOptions = IndexOptions()) -> package_index.Releases:
    """The torch wheels for this machine the indexes have (read once per command). EnvError
    with each index's error when none answers."""
    with _releases_lock:
        if index not in _releases_cache:
            config = pip_configuration()
            indexes, links = index.locations(config)
            try:
                _releases_cache[index] = package_index.releases("torch", indexes, links,
                                                                config.get("cert"))
            except package_index.IndexUnreachable as exc:
                raise EnvError(f"the package index did not say which torch versions it has: "
                               f"{exc}") from None
        return _releases_cache[index]


def registry_versions(python: Optional[Version] = None,
                      index: IndexOptions = IndexOptions()) -> List[str]:
    """The torch versions the indexes have (with a wheel for Python X.Y, when given), newest
    first."""
    return torch_releases(index).versions(python)


def pythons_for(torch: str, lines: Iterable[Version],
                index: IndexOptions = IndexOptions()) -> List[Version]:
    """Of these Python versions (X.Y), those the indexes have a torch `torch` wheel for."""
    return torch_releases(index).pythons(torch, lines)


def check_exists(torch: str, index: IndexOptions = IndexOptions()) -> None:
    """EnvError, naming the versions there are, when the indexes have no such release."""
    releases = torch_releases(index)
    if not releases.matching(torch):
        exists = releases.versions()
        where = f" ({index.index_url})" if index.index_url else ""
        unread = (f" (not read: {'; '.join(releases.unreachable)})" if releases.unreachable
                  else "")
        raise EnvError(f"torch {torch} does not exist on the package index{where}; it has "
                       + (", ".join(exists[:12]) + (" …" if len(exists) > 12 else "")
                          if exists else "no torch for this machine") + unread)


# -- a request: --torch VERSION[@PYTHON] --------------------------------------------------------
@dataclass(frozen=True)
class Request:
    torch: str
    python: Optional[str] = None  # as the user wrote it: a path, a command, or X.Y

    @classmethod
    def parse(cls, text: str) -> "Request":
        torch, _, python = text.partition("@")
        if not re.fullmatch(r"\d+(\.\d+)*([.+a-zA-Z0-9]*)", torch.strip()):
            raise EnvError(f"--torch {text}: {torch!r} is not a torch version (e.g. 2.14.1, or "
                           "1.13.1@python3.10)")
        return cls(torch.strip(), python.strip() or None)

    def __str__(self) -> str:
        return self.torch + (f"@{self.python}" if self.python else "")


def choose(request: Request, found: List[Interpreter], say: Progress = lambda text: None,
           index: IndexOptions = IndexOptions()) -> Interpreter:
    """The interpreter to install `request.torch` for, saying which and why. The release is
    checked against the indexes first: EnvError, with the versions there are, if it is not
    there."""
    check_exists(request.torch, index)
    if request.python:
        named = _named(request.python, found)
        if named is None:
            raise EnvError(f"--torch {request}: no Python {request.python!r} here (found: "
                           + (", ".join(f"{version_text(i.version)} at {i.path}" for i in found)
                              or "none") + ")")
        if not pythons_for(request.torch, [named.line], index):
            wanted = pythons_for(request.torch, [(3, minor) for minor in range(7, 16)], index)
            raise EnvError(f"torch {request.torch} has no wheels for Python "
                           f"{version_text(named.line)} ({named.path}); it has them for "
                           f"Python {', '.join(version_text(v) for v in sorted(wanted)) or 'none'}")
        say(f"torch {request.torch}: {named} (as asked)")
        return named
    fitting = pythons_for(request.torch, [i.line for i in found], index)
    if not fitting:
        wanted = pythons_for(request.torch, [(3, minor) for minor in range(7, 16)], index)
        raise EnvError(f"torch {request.torch} has wheels for Python "
                       f"{', '.join(version_text(v) for v in sorted(wanted)) or 'none'}, and no "
                       "such interpreter was found here (found: "
                       + ", ".join(version_text(i.version) for i in found)
                       + f"); install one, or name one: --torch {request.torch}@/path/to/python")
    own = (sys.version_info[0], sys.version_info[1])
    line = own if own in fitting else fitting[0]
    chosen = next(i for i in found if i.line == line)
    reason = "this Python" if line == own else "the newest Python it has wheels for"
    say(f"torch {request.torch}: {chosen}, {reason}")
    return chosen


def _named(text: str, found: List[Interpreter]) -> Optional[Interpreter]:
    """The interpreter `text` names: a path, a command on PATH, or a version, `3.10`; a
    command named for a version (`python3.10`) that is not on PATH is that version found
    elsewhere (pyenv, /usr/bin), as the list of those found says."""
    version = re.fullmatch(r"(?:python)?(\d+)\.(\d+)", text)
    if version and not (text.startswith("python") and shutil.which(text)):
        line = (int(version.group(1)), int(version.group(2)))
        return next((i for i in found if i.line == line), None)
    path = text if os.sep in text else shutil.which(text)
    return interpreter(path) if path else None


# -- environments -------------------------------------------------------------------------------
@dataclass
class Env:
    path: str
    torch: str
    python_version: str
    made_with: str = ""
    last_used: float = 0.0
    index: List[str] = field(default_factory=list)  # the index options it was installed with

    @property
    def python(self) -> str:
        return os.path.join(self.path, "bin", "python")

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    def size(self) -> int:
        total = 0
        for folder, _, files in os.walk(self.path):
            for f in files:
                try:
                    total += os.lstat(os.path.join(folder, f)).st_size
                except OSError:
                    pass
        return total

    def touch(self) -> None:
        self.last_used = time.time()
        _write_marker(self)


def env_name(torch: str, python: Version, index: IndexOptions = IndexOptions()) -> str:
    """`torch-2.14.1-py3.11`; `torch-2.14.1-py3.11-index-1a2b3c4d` when installed from indexes
    named on the command line (a CPU build is not the same environment as the default one)."""
    tag = index.tag()
    return f"torch-{torch}-py{version_text(python[:2])}" + (f"-index-{tag}" if tag else "")


def _write_marker(env: Env) -> None:
    with open(os.path.join(env.path, MARKER), "w", encoding="utf-8") as f:
        json.dump({"torch": env.torch, "python": env.python_version,
                   "made_with": env.made_with, "last_used": env.last_used,
                   "index": env.index}, f)


def read_env(path: str) -> Optional[Env]:
    """The environment at `path`, if it is a whole one (its marker, its interpreter)."""
    try:
        with open(os.path.join(path, MARKER), encoding="utf-8") as f:
            data = json.load(f)
        env = Env(path, str(data["torch"]), str(data["python"]), str(data.get("made_with", "")),
                  float(data.get("last_used", 0)), [str(a) for a in data.get("index", [])])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return env if os.path.exists(env.python) else None


def cache_error(root: str, exc: OSError) -> EnvError:
    """The cache folder cannot be used (a file, a link loop, no permission): one line."""
    return EnvError(f"the environment cache {root} cannot be used: {exc.strerror or exc}; "
                    "set HARNESS_CACHE to a folder you can write")


def _entries(root: str) -> List[str]:
    """The names in the cache's folder (none if it does not exist yet); EnvError when the
    cache or its folder is not a folder (a file, a link loop) or cannot be read."""
    try:
        for folder in (os.path.dirname(root), root):
            if os.path.lexists(folder) and not os.path.isdir(folder):
                os.stat(folder)  # says why: a link loop, a missing target
                raise NotADirectoryError(errno.ENOTDIR, "not a folder")
        return sorted(os.listdir(root)) if os.path.isdir(root) else []
    except OSError as exc:
        raise cache_error(root, exc) from None


def list_envs() -> List[Env]:
    root = envs_dir()
    found = [read_env(os.path.join(root, name)) for name in _entries(root)
             if not name.startswith(".")]
    return [env for env in found if env is not None]


def half_built() -> List[str]:
    """Folders an interrupted build left, and environments without their marker."""
    root = envs_dir()
    return [os.path.join(root, name) for name in _entries(root)
            if name.startswith(BUILDING) or read_env(os.path.join(root, name)) is None]


@dataclass
class Removal:
    """What removing one cache entry did, in words that are true."""

    path: str
    removed: bool  # nothing is left of it
    note: str = ""  # what was left, or what was removed instead (a link, not its target)

    def line(self) -> str:
        return (f"removed {self.path}" if self.removed else f"not removed: {self.path}") + \
            (f" ({self.note})" if self.note else "")


def remove_path(path: str) -> Removal:
    """Remove one environment's folder, and say what happened. A symbolic link is removed
    itself, never what it points to (that may be someone's own environment)."""
    if os.path.islink(path):
        target = os.path.realpath(path)
        try:
            os.unlink(path)
        except OSError as exc:
            return Removal(path, False, f"a link to {target} that cannot be removed: "
                                        f"{exc.strerror}")
        return Removal(path, True, f"a link: the environment it pointed to, {target}, is left "
                                   "as it was")
    errors: List[str] = []
    shutil.rmtree(path, onerror=lambda func, p, info: errors.append(
        f"{getattr(info[1], 'strerror', None) or info[1]}: {p}"))
    if not os.path.lexists(path):
        return Removal(path, True)
    left = sum(len(files) + len(dirs) for _, dirs, files in os.walk(path))
    first = errors[0] if errors else "unknown reason"
    return Removal(path, False, f"{left} files and folders left, it is no longer whole: "
                                f"{first}")


def remove(envs: List[Env]) -> List[Removal]:
    return [remove_path(env.path) for env in envs]


STALE_AFTER = 30 * 24 * 3600  # seconds unused after which `harness envs --prune` removes one


def prune(now: Optional[float] = None) -> List[Removal]:
    """Remove the half-built environments and those unused for STALE_AFTER; what each
    removal did."""
    now = time.time() if now is None else now
    stale = [env for env in list_envs() if now - env.last_used > STALE_AFTER]
    leftovers = half_built()
    return remove(stale) + [remove_path(path) for path in leftovers]


_build_lock = threading.Lock()


def provision(request: Request, chosen: Interpreter, say: Progress = lambda text: None,
              index: IndexOptions = IndexOptions(), verbose: bool = False,
              installer: str = "auto") -> Env:
    """The environment for torch `request.torch` on `chosen`: the cached one, or a new one
    installed from `index` with `installer` (auto: uv if there is one, else pip; the
    installer's own output said only with `verbose`, or when it fails)."""
    root = envs_dir()
    name = env_name(request.torch, chosen.version, index)
    final = os.path.join(root, name)
    existing = read_env(final)
    if existing is not None:
        say(f"reusing {final}")
        try:
            existing.touch()
        except OSError:
            pass  # a read-only cache still serves its environments; only the date is not kept
        return existing
    try:
        with _build_lock:
            os.makedirs(root, exist_ok=True)
            if os.path.exists(final):  # a half-built one: never reused
                say(f"removing the half-built {final}")
                shutil.rmtree(final, ignore_errors=True)
        building = tempfile.mkdtemp(prefix=f"{BUILDING}{name}-", dir=root)
    except OSError as exc:
        raise cache_error(root, exc) from None
    try:
        uv = None if installer == "pip" else find_uv()
        if installer == "uv" and uv is None:
            raise EnvError("--installer uv: uv is not installed (pip install uv, into the "
                           "harness's environment or on PATH)")
        steps = install_steps(request.torch, chosen, building, index, uv)
        for step in steps:
            say(step.says)
            _run(step.command, say, what=step.what, env=step.env, verbose=verbose)
        _check(building, request.torch)
        env = Env(building, request.torch, version_text(chosen.version), steps[0].installer,
                  time.time(), index.args())
        try:
            _write_marker(env)
            os.replace(building, final)
        except OSError as exc:
            raise cache_error(root, exc) from None
        env.path = final
        say(f"ready: {final}")
        return env
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


def _requirements(torch: str) -> List[str]:
    return [f"torch=={torch}"] + (["numpy<2"] if torch.split(".")[0] == "1" else [])


INSTALLERS = ("auto", "uv", "pip")


def find_uv() -> Optional[str]:
    """uv as the harness's own environment has it (beside this interpreter, or the `uv`
    package's binary), else on PATH; None: there is none, and pip does the work."""
    beside = os.path.join(os.path.dirname(sys.executable), "uv")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    try:
        from uv import find_uv_bin  # the `uv` package, installed with pip into this environment

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        pass
    return shutil.which("uv")


@dataclass
class InstallStep:
    installer: str  # "uv" or "pip"
    says: str  # the progress line before it runs
    command: List[str]
    what: str  # the failure's subject: "installing torch 2.14.1"
    env: Optional[Dict[str, str]] = None


def install_steps(torch: str, chosen: Interpreter, target: str,
                  index: IndexOptions = IndexOptions(), uv: Optional[str] = None
                  ) -> List[InstallStep]:
    """The commands that make the environment at `target`: with `uv` when given, else with
    venv and pip. The index options go to the installer as they are."""
    python = os.path.join(target, "bin", "python")
    made = f"{chosen.path} cannot make a virtual environment"
    installing = f"installing torch {torch}"
    pythons = f"Python {version_text(chosen.version)}"
    if uv:
        config = pip_configuration()
        return [
            InstallStep("uv", f"creating the environment with uv ({pythons})",
                        [uv, "venv", "--quiet", "--python", chosen.path, "--allow-existing",
                         target], made),
            InstallStep("uv", f"installing torch {torch} with uv ({uv})",
                        [uv, "pip", "install", "--python", python]
                        + uv_options(config, index) + _requirements(torch), installing,
                        uv_environment(config))]
    return [
        InstallStep("pip", f"creating the environment with venv ({pythons})",
                    [chosen.path, "-I", "-m", "venv", target], made),
        InstallStep("pip", f"installing torch {torch} with pip",
                    [python, "-I", "-m", "pip", "install", "--disable-pip-version-check",
                     "--progress-bar", "off"] + index.args() + _requirements(torch),
                    installing)]


def _check(target: str, torch: str) -> None:
    python = os.path.join(target, "bin", "python")
    out = subprocess.run([python, "-c", "import torch, sys; sys.stdout.write(torch.__version__)"],
                         capture_output=True, text=True, timeout=600)
    _stop_if_asked()
    if out.returncode != 0 or not out.stdout.startswith(torch):
        raise EnvError(f"torch {torch} was installed but does not import: "
                       + _last_error(out.stderr or out.stdout))


def _run(command: List[str], say: Progress, what: str, env: Optional[dict] = None,
         verbose: bool = False) -> None:
    """Run an installer. Its own output is said line by line with `verbose`, else kept: said
    only if it fails, before the EnvError that sums it up in one line."""
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=env, bufsize=1)
    except OSError as exc:
        raise EnvError(f"{what}: {exc.strerror or exc}") from None
    lines: List[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        if line:
            lines.append(line)
            if verbose:
                say(f"  {line.strip()}")
    code = proc.wait()
    _stop_if_asked()
    if code != 0:
        if not verbose:
            for line in lines[-FAILURE_LINES:]:
                say(f"  {line.strip()}")
        raise EnvError(failure_message(what, lines))


FAILURE_LINES = 30  # of a failed installer's output, the last ones said


def _stop_if_asked() -> None:
    """A Ctrl-C (or SIGTERM) while provisioning is the user's stop, not an installer failing:
    the installer got it too and failed because of it. (The command line's handlers note the
    signal; in the main thread without them, Python raises KeyboardInterrupt by itself.)"""
    from .parent.launch import stop_requested

    if stop_requested():
        raise KeyboardInterrupt


def failure_message(what: str, lines: List[str]) -> str:
    """An installer's failure in one line: the registry's or the disk's words, not a log."""
    text = "\n".join(lines)
    if "No space left on device" in text or "Disk quota exceeded" in text:
        return f"{what}: the disk is full (No space left on device)"
    match = re.search(r"from versions: ([^)]*)\)", text)
    if match:
        return f"{what}: the registry has no such version; it has {match.group(1).strip()}"
    cause = re.search(r"(?:cause:|╰─▶)\s*([^\n]+)", text)  # uv's resolver
    if cause:
        return f"{what}: {cause.group(1).strip()}"
    conflict = re.search(r"ERROR: (Cannot install [^\n]*)", text)
    if conflict:  # pip's resolver: say what stood in the way (a cap, a missing wheel)
        causes = re.findall(r"^\s+(The user requested \(constraint\)[^\n]*|[^\n]* depends on "
                            r"[^\n]*)", text, re.M)
        return f"{what}: {conflict.group(1).strip()}" + (f" ({causes[0].strip()})" if causes
                                                          else "")
    for pattern in (r"ensurepip is not available.*", r"No module named venv.*",
                    r"(Could not fetch URL|Failed to fetch|HTTPSConnectionPool|Connection "
                    r"refused|Name or service not known|Temporary failure).*"):
        found = re.search(pattern, text)
        if found:
            return f"{what}: {found.group(0).strip()}"
    return f"{what}: {_last_error(text)}"


def _last_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"(ERROR|error|×)", line)]
    return (errors or lines or ["no output"])[-1][:300]


# -- handing pip's configuration to uv ----------------------------------------------------------
_PIP_VARIABLES = ("index-url", "extra-index-url", "find-links", "constraint", "proxy", "cert")


def pip_configuration() -> Dict[str, str]:
    """pip's effective configuration (files and PIP_* variables): {'index-url': ..., ...}.
    Where this environment has no pip (one made by uv), the PIP_* variables alone."""
    out = subprocess.run([sys.executable, "-I", "-m", "pip", "config", "list"],
                         capture_output=True, text=True, timeout=60)
    config: Dict[str, str] = {}
    if out.returncode != 0:
        for name in _PIP_VARIABLES:
            value = os.environ.get("PIP_" + name.upper().replace("-", "_"), "").strip()
            if value:
                config[name] = value
        return config
    for line in out.stdout.splitlines():
        key, _, value = line.partition("=")
        name = key.rsplit(".", 1)[-1]
        value = value.strip().strip("'\"")
        if name and value and (name not in config or key.startswith(":env:")):
            config[name] = value
    return config


def uv_options(config: Optional[Dict[str, str]] = None,
               index: IndexOptions = IndexOptions()) -> List[str]:
    """pip's index, extra indexes, find-links and constraints, as uv's options, with the
    command line's index options over them (its index URL replaces pip's; the rest adds)."""
    config = pip_configuration() if config is None else config
    options: List[str] = []
    index_url = index.index_url or config.get("index-url")
    if index_url:
        options += ["--index-url", index_url]
    for url in config.get("extra-index-url", "").split() + list(index.extra_index_urls):
        options += ["--extra-index-url", url]
    for link in config.get("find-links", "").split() + list(index.find_links):
        options += ["--find-links", link]
    for constraint in config.get("constraint", "").split():
        options += ["--constraint", constraint]
    if options:  # pip looks at every index for the best version; uv, by default, at the first
        options += ["--index-strategy", "unsafe-best-match"]
    return options


def uv_environment(config: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment uv runs in: pip's proxy and certificate where pip has them."""
    config = pip_configuration() if config is None else config
    env = dict(os.environ)
    if config.get("proxy"):
        env.setdefault("HTTPS_PROXY", config["proxy"])
        env.setdefault("HTTP_PROXY", config["proxy"])
    if config.get("cert"):
        env.setdefault("SSL_CERT_FILE", config["cert"])
    return env
