"""Which torch releases a package index has, and for which Pythons: read from the index itself.

`harness matrix --torch` checks every version it is asked for before it installs anything, and
chooses an interpreter the release has wheels for. The answer comes from the index's own pages
(the Simple API: PEP 691 JSON where the index speaks it, else PEP 503 HTML) and from find-links
folders, read with the standard library, so it needs no pip in the harness's environment (an
environment made by uv has none) and one request per index, not one `pip index versions` per
Python. Only wheels for this machine's platform count: a release that exists for macOS only
is not one this machine can install.
"""
from __future__ import annotations

import json
import os
import platform
import re
import sys
import urllib.parse
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple

DEFAULT_INDEX = "https://pypi.org/simple"
Version = Tuple[int, ...]

# torch-2.14.1-cp311-cp311-manylinux_2_28_x86_64.whl, torch-2.5.1+cpu-cp311-cp311-linux_x86_64.whl
_WHEEL = re.compile(r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[^-]+)(?:-\d[^-]*)?"
                    r"-(?P<python>[^-]+)-(?P<abi>[^-]+)-(?P<platform>[^-]+)\.whl$")


class IndexUnreachable(Exception):
    """No index and no find-links folder answered."""


@dataclass
class Releases:
    """What the indexes have of one project: version -> the Python lines (3, 11) it has
    wheels for on this platform (an empty set: a wheel for any Python 3)."""

    wheels: Dict[str, Set[Version]] = field(default_factory=dict)
    unreachable: List[str] = field(default_factory=list)  # "URL: why", for those that failed

    def versions(self, python: Optional[Version] = None) -> List[str]:
        """Versions, newest first; with `python`, only those with a wheel for it."""
        found = [v for v, lines in self.wheels.items()
                 if python is None or not lines or python in lines]
        return sorted(found, key=version_key, reverse=True)

    def matching(self, wanted: str) -> List[str]:
        """The versions a `torch==wanted` requirement accepts: the same release, with any
        local label (`2.5.1+cpu`) when `wanted` has none (PEP 440)."""
        if "+" in wanted:
            return [v for v in self.wheels if v == wanted]
        return [v for v in self.wheels if v.split("+")[0] == wanted]

    def pythons(self, wanted: str, lines: Iterable[Version]) -> List[Version]:
        """Of these Python lines, those a `torch==wanted` wheel exists for, newest first."""
        has: Set[Version] = set()
        anything = False
        for version in self.matching(wanted):
            if not self.wheels[version]:
                anything = True
            has |= self.wheels[version]
        return sorted({line for line in lines if anything or line in has}, reverse=True)


def version_key(text: str) -> tuple:
    """Sorts `2.10.0` after `2.9.1`, and a release after its pre-releases."""
    release, _, local = text.partition("+")
    match = re.match(r"(\d+(?:\.\d+)*)(.*)", release)
    if not match:
        return ((), 0, text)
    numbers = tuple(int(x) for x in match.group(1).split("."))
    numbers += (0,) * (4 - len(numbers))
    return (numbers, 0 if match.group(2) else 1, match.group(2), local)


def python_lines(tag: str) -> Optional[Set[Version]]:
    """`cp311` -> {(3, 11)}; `py3` -> set() (any); `cp311.cp312` -> both; None: not Python 3."""
    lines: Set[Version] = set()
    anything = False
    for one in tag.split("."):
        match = re.fullmatch(r"(?:cp|py)3(\d+)", one)
        if match:
            lines.add((3, int(match.group(1))))
        elif one in ("py3", "py2.py3"):
            anything = True
    if anything:
        return set()
    return lines or None


def fits_this_machine(platform_tag: str) -> bool:
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    for tag in platform_tag.split("."):
        tag = tag.lower()
        if tag == "any":
            return True
        if sys.platform.startswith("linux") and "linux" in tag and tag.endswith(machine):
            return True
        if sys.platform == "darwin" and tag.startswith("macosx") and (
                tag.endswith("universal2") or tag.endswith(
                    "arm64" if machine == "aarch64" else machine)):
            return True
        if sys.platform == "win32" and tag == {"x86_64": "win_amd64"}.get(machine, "win32"):
            return True
    return False


def add_file(releases: Releases, filename: str, project: str) -> None:
    match = _WHEEL.match(urllib.parse.unquote(filename))
    if not match or match.group("name").lower().replace("-", "_") != project:
        return
    lines = python_lines(match.group("python"))
    if lines is None or not fits_this_machine(match.group("platform")):
        return
    known = releases.wheels.setdefault(match.group("version"), set())
    if lines or not known:
        releases.wheels[match.group("version")] = known | lines


def _filenames_in_page(body: bytes, content_type: str) -> List[str]:
    if "json" in content_type:
        data = json.loads(body)
        return [f["filename"] for f in data.get("files", []) if not f.get("yanked")]
    from html.parser import HTMLParser  # here: only a run that reads an index pays for it

    hrefs: List[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found = dict(attrs)
            if tag == "a" and found.get("href") and "data-yanked" not in found:
                hrefs.append(str(found["href"]))

    Links().feed(body.decode("utf-8", "replace"))
    return [urllib.parse.urlsplit(href).path.rsplit("/", 1)[-1] for href in hrefs]


def _local_folder(location: str) -> Optional[str]:
    if location.startswith("file://"):
        return urllib.parse.unquote(urllib.parse.urlsplit(location).path)
    if "://" not in location:
        return location
    return None


def _read(url: str, cert: Optional[str]) -> Tuple[bytes, str]:
    import ssl
    import urllib.request

    request = urllib.request.Request(url, headers={
        "Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"})
    context = ssl.create_default_context(cafile=cert) if cert and os.path.exists(cert) else None
    with urllib.request.urlopen(request, timeout=60, context=context) as response:
        return response.read(), response.headers.get("Content-Type", "")


def releases(project: str, indexes: List[str], find_links: List[str],
             cert: Optional[str] = None) -> Releases:
    """What `indexes` (Simple API roots) and `find_links` (folders or pages of links) have of
    `project`. IndexUnreachable, with each one's error, when none of them answered."""
    import urllib.error

    project = project.lower()
    found = Releases()
    problems: List[str] = []
    answered = False
    for root in indexes:
        folder = _local_folder(root)
        try:
            if folder is not None:
                page = os.path.join(folder, project)
                names = os.listdir(page) if os.path.isdir(page) else []
                if os.path.isfile(os.path.join(page, "index.html")):
                    with open(os.path.join(page, "index.html"), "rb") as f:
                        names += _filenames_in_page(f.read(), "text/html")
                if not os.path.isdir(folder):
                    raise OSError(f"no such folder {folder}")
            else:
                names = _filenames_in_page(*_read(root.rstrip("/") + f"/{project}/", cert))
            answered = True
        except urllib.error.HTTPError as exc:
            if exc.code == 404:  # the index answered: it has no such project
                answered = True
                continue
            problems.append(f"{root}: {exc}")
            continue
        except (OSError, ValueError) as exc:
            problems.append(f"{root}: {getattr(exc, 'reason', None) or exc}")
            continue
        for name in names:
            add_file(found, name, project)
    for link in find_links:
        folder = _local_folder(link)
        try:
            names = (os.listdir(folder) if folder is not None
                     else _filenames_in_page(*_read(link, cert)))
            answered = True
        except (OSError, ValueError) as exc:
            problems.append(f"{link}: {getattr(exc, 'reason', None) or exc}")
            continue
        for name in names:
            add_file(found, name, project)
    if not answered:
        raise IndexUnreachable("; ".join(problems) or "no index given")
    found.unreachable = problems
    return found
