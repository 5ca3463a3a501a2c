"""Every command sample in the README, the guides and CONTRIBUTING.md is one the command line
takes: each `$ harness ...` line of a code block is parsed by the real parser (what a user
would type, so a renamed option or a removed command fails here). What the samples print is
shown, shortened, for reading; the commands themselves are run by the integration tests."""
import glob
import os
import re
import shlex

import pytest

from harness.cli import build_parser

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGES = [os.path.join(ROOT, "README.md"), os.path.join(ROOT, "CONTRIBUTING.md")] + sorted(
    glob.glob(os.path.join(ROOT, "docs", "*.md")))
# a prompt, then the command as a user types it: `harness`, `.venv/bin/harness`, a venv's
PROMPT = re.compile(r"^\$ (?:\S*/)?harness(?: (.*))?$")


def samples():
    for page in PAGES:
        fenced = False
        with open(page, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.lstrip().startswith("```"):
                    fenced = not fenced
                    continue
                match = PROMPT.match(line.rstrip("\n")) if fenced else None
                if match:
                    yield os.path.relpath(page, ROOT), number, match.group(1) or ""


def arguments(command):
    """The words a shell would pass, without a trailing `# comment`, redirections and pipes."""
    words = []
    for word in shlex.split(command, comments=True):
        if word in ("|", ">", ">>", "2>", "&&", ";") or word.startswith((">", "2>")):
            break
        if word.endswith(";"):  # `harness ...; echo $?`
            words.append(word[:-1])
            break
        words.append(word)
    return words


SAMPLES = list(samples())


def test_the_pages_have_samples():
    assert len(SAMPLES) >= 20, SAMPLES
    assert any(page == "README.md" for page, _, _ in SAMPLES)


@pytest.mark.parametrize("page,line,command", SAMPLES,
                         ids=[f"{p}:{n}" for p, n, _ in SAMPLES])
def test_every_sample_command_is_one_the_parser_takes(page, line, command, capsys):
    parser = build_parser()
    try:
        args = parser.parse_args(arguments(command))
    except SystemExit as exc:
        if exc.code == 0:  # --help, --version: taken
            return
        pytest.fail(f"{page}:{line}: `harness {command}` is refused by the parser: "
                    f"{capsys.readouterr().err.strip()}")
    assert getattr(args, "command", None), f"{page}:{line}: no command in `harness {command}`"
