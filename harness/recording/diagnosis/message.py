"""Reading torch's compiler message: the places it marks, and the sentence that says why.

torch's message is: a header (one or several sentences, sometimes a list of overloads, each
with why it did not match), then one or more source excerpts, each opened by
`File "<path>", line N` and closed by a `~~~~ <--- HERE` line; between two excerpts a line
"'X' is being compiled since it was called from 'Y'" says how the compiler got there. The
innermost place comes first.
"""
from __future__ import annotations

import re
from typing import List, NamedTuple, Optional

from ...text import strip_addresses
from ..paths import relative_paths_in

_FILE_LINE = re.compile(r'File "([^"]+)", line (\d+)')
_MISMATCH = re.compile(r"Expected a value of type '(?P<expected>[^']+)' for argument "
                       r"'(?P<argument>[^']+)' but instead found type '(?P<found>[^']+)'")
_VARIABLE = re.compile(r"Variable '(?P<argument>[^']+)' is annotated with type "
                       r"(?P<expected>.+?) but is being assigned to a value of type "
                       r"(?P<found>[^:\n]+)")
_SCHEMA = re.compile(r"^\s*[\w:.]+\(.*\)\s*->\s*.*:\s*$")
MAX_REASON = 300  # characters of torch's header kept as the reason


class Place(NamedTuple):
    """A place torch's message marks: the file, the line the marked range starts on, and the
    marked text (the source under the `~~~` line)."""

    file: str
    line: int
    marked: str


class Mismatch(NamedTuple):
    """An argument (or annotated variable) whose type is not the one expected."""

    argument: str
    expected: str
    found: str


def places(message: str) -> List[Place]:
    """Every place the message marks, innermost first."""
    lines = message.splitlines()
    found: List[Place] = []
    for i, text in enumerate(lines):
        match = _FILE_LINE.search(text)
        if not match:
            continue
        marked = []
        for j in range(i + 1, min(i + 40, len(lines))):
            if _FILE_LINE.search(lines[j]):
                break
            tildes = lines[j]
            if set(tildes.replace("<--- HERE", "").strip()) == {"~"} and j > i + 1:
                source = lines[j - 1]
                start = tildes.index("~")
                end = len(tildes.replace("<--- HERE", "").rstrip())
                marked.append(source[start:end])
                if "<--- HERE" in tildes:
                    break
        found.append(Place(match.group(1), int(match.group(2)), "\n".join(marked).strip()))
    return found


def header(message: str) -> str:
    """The text before the first source excerpt."""
    match = _FILE_LINE.search(message)
    return message[:match.start()] if match else message


def mismatches(message: str) -> List[Mismatch]:
    """Each "expected type X for argument a, found Y" torch lists, in its order."""
    out = [Mismatch(m.group("argument"), m.group("expected"), m.group("found"))
           for m in _MISMATCH.finditer(message)]
    out += [Mismatch(m.group("argument"), m.group("expected").strip(), m.group("found").strip())
            for m in _VARIABLE.finditer(message)]
    return out


def best_mismatch(message: str) -> Optional[Mismatch]:
    """The mismatch that explains an overload list: the first, leaving out those about an
    argument torch only inferred as a Tensor."""
    found = mismatches(message)
    if not found:
        return None
    plain = [m for m in found if "(inferred)" not in m.found] or found
    return plain[0]  # torch lists first the variant closest to the call


def reason(message: str) -> str:
    """The sentence that says why, in one line: for a call whose arguments did not match, the
    argument, the type expected and the type found; else torch's header (its sentences up to
    MAX_REASON characters), never ending in a colon."""
    text = clean(message)
    head = header(text)
    mismatch = best_mismatch(head) if _lists_overloads(head) else None
    if mismatch is not None:
        if "variants are available" in head:
            call = "no variant of the call accepts its arguments"
        else:
            schema = next((line.strip() for line in head.splitlines()
                           if _SCHEMA.match(line)), "")
            name = schema.split("(", 1)[0]
            call = f"the call to {name} does not accept its arguments" if name else \
                "the call does not accept its arguments"
        return (f"{call}: expected a value of type '{mismatch.expected}' for argument "
                f"'{mismatch.argument}' but found type '{mismatch.found}'")
    sentences = " ".join(line.strip() for line in head.splitlines() if line.strip())
    if not sentences:  # a message that is only a place: keep its first line
        sentences = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return shorten(sentences)


def inner_reason(message: str) -> str:
    """The reason of a message torch nests in another (a function attribute's own error)."""
    marker = "The error stack is reproduced here:"
    if marker in message:
        return reason(message.split(marker, 1)[1].strip().rstrip(")"))
    return reason(message)


def shorten(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r'(?<=["\'])\.(?=[A-Z])', ". ", text)  # torch's "p".Because
    if len(text) > MAX_REASON:
        cut = text[:MAX_REASON]
        end = max(cut.rfind(". "), cut.rfind("; "))
        text = cut[:end + 1] if end > 80 else cut[:MAX_REASON - 1].rstrip() + "…"
    text = re.sub(r"\s+at$", "", text.rstrip(" :"))  # "Unknown type annotation: '...' at"
    return text.rstrip(" :").rstrip()


def clean(message: str) -> str:
    """The message without addresses or the machine's paths."""
    return relative_paths_in(strip_addresses(message))


def _lists_overloads(head: str) -> bool:
    return ("Arguments for call are not valid" in head or "variants are available" in head
            or any(_SCHEMA.match(line) for line in head.splitlines()))
