"""`harness run --keep-going`: every failure of a model in one run.

torch stops at the first failure. Here, after a round fails, the recording process proposes a
change that should get past that failure (`recording/remedies.py`: a property left out, a
method marked unused, a hook removed, a list of modules made an `nn.ModuleList`, ...); the
next round records the model again, in a fresh process, with every change so far applied to
it in memory, until scripting succeeds or no change applies. Each round's failure is then
checked: "with <change>, scripting gets past this" when the next round got further, and that
line is written into the round's snapshot (`End.diagnosis.checked`).

The first round is the run as without the flag (its report, its snapshot, its exit code), so a
model that scripts at once behaves exactly as it would without it. Later rounds run quietly
beside it, each into its own snapshot named from the first (`round_output`). The outcome stays
honest: the model as written failed, so the run exits 1 whatever the later rounds did.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, List, Optional

from ..errors import HarnessError
from .job import Job
from ..records import Diagnosis, End
from ..text import counted

if TYPE_CHECKING:
    from .launch import Recording

MAX_ROUNDS = 20  # a model with more failures than this is stopped, and the output says so


def round_output(first: str, number: int) -> str:
    """Where round `number` writes its snapshot: round 1 where the run was told (or the next
    run of the scenario), each later one beside it with a tag,
    `003-torch-2.13.0+cpu-round-2.jsonl` (`out-round-2.jsonl` for `-o out.jsonl`). The one
    place that names them; the runs layout (`runs.with_tag`) spells the tag."""
    from ..runs import with_tag

    return first if number == 1 else with_tag(first, f"round-{number}")


@dataclass
class Round:
    number: int
    recording: "Recording"
    path: Optional[str]  # its snapshot (None if it never got to write one)
    end: Optional[End] = None  # its end record, when it finished
    change: Optional[dict] = None  # the change its failure proposed, made in the next round
    change_text: str = ""
    checked: Optional[str] = None  # the line written into its diagnosis

    @property
    def diagnosis(self) -> Optional[Diagnosis]:
        return self.end.diagnosis if self.end is not None else None

    @property
    def problem(self) -> Optional[str]:
        """Why this round has no end record (it died, or refused its job), or None."""
        rec = self.recording
        if self.end is not None or rec.signals:
            return None
        lines = [line for line in rec.stderr.splitlines() if line.strip()]
        if lines:
            return lines[-1].replace("harness: error: ", "", 1)
        try:
            return str(rec.died())
        except Exception:  # pragma: no cover - died() only describes
            return f"the recording process exited with code {rec.code}"


Announce = Callable[[str], None]


def run_rounds(job: Job, python: Optional[str] = None, capture: bool = False,
               announce: Announce = lambda text: None) -> List[Round]:
    """Record rounds until scripting succeeds, no change applies, or a round does not finish.
    Round 1 runs as `job` says (its output to the terminal unless `capture`); later rounds
    quietly, their output captured. Each round's check is written into its snapshot."""
    from . import launch

    rounds: List[Round] = []
    changes: List[dict] = []
    recording = launch.run(dataclasses.replace(job, keep_going=True), python, capture=capture)
    while True:
        current = _round(len(rounds) + 1, recording)
        rounds.append(current)
        if recording.signals or current.end is None or current.change is None:
            break
        if current.number >= MAX_ROUNDS:
            current.checked = (f"no check possible: --keep-going stops after {MAX_ROUNDS} "
                               f"rounds; with {current.change_text} the model may get further")
            break
        changes.append(current.change)
        output = round_output(rounds[0].path or "", current.number + 1)
        next_job = dataclasses.replace(job, keep_going=True, changes=tuple(changes),
                                       output=output, quiet=True, stops="none",
                                       interactive=False, force=False)
        next_job.check_outputs()
        announce(f"round {current.number + 1}: scripting again with "
                 f"{counted(len(changes), 'change')}, the last: {current.change_text}")
        recording = launch.run(next_job, python, capture=True)
    _check(rounds)
    return rounds


def _round(number: int, recording) -> Round:
    path = recording.snapshot
    current = Round(number=number, recording=recording, path=path)
    if recording.recorded and path:
        current.end = _read_end(path)
    if current.end is not None and current.end.outcome == "error" and recording.change:
        from ..recording.remedies import Change  # plain data: no torch is imported

        current.change = recording.change
        current.change_text = Change.from_json(recording.change).describe()
    return current


def _read_end(path: str) -> Optional[End]:
    from .. import snapshot

    try:
        return snapshot.read(path).end
    except (HarnessError, OSError):
        return None


def _check(rounds: List[Round]) -> None:
    """Each round that proposed a change: did the next round get past its failure? Written
    into the round's snapshot, in its diagnosis's `checked`."""
    for current, following in zip(rounds, rounds[1:]):
        if current.change is None:
            continue
        current.checked = check_line(current, following)
    for current in rounds:
        if current.checked is not None and current.path and current.diagnosis is not None:
            current.diagnosis.checked = current.checked
            write_checked(current.path, current.checked)
        elif current.diagnosis is not None and current.diagnosis.checked:
            current.checked = current.diagnosis.checked  # "no check possible: ..."


def check_line(current: Round, following: Round) -> str:
    before = current.diagnosis
    after = following.end
    if after is None:
        why = "it was stopped" if following.recording.signals else \
            (following.problem or "it did not finish")
        return f"no check possible: the next round did not finish ({why})"
    if after.outcome == "ok" or (after.diagnosis is not None and before is not None
                                 and place(after.diagnosis) != place(before)):
        return f"checked: with {current.change_text}, scripting gets past this"
    if after.outcome == "stopped":
        return "no check possible: the next round was stopped"
    return f"checked: with {current.change_text}, scripting still fails here"


def place(diagnosis: Diagnosis) -> tuple:
    """What a failure is about: its module and each thing to edit there (a function and the
    method compiling it both count). Two rounds failing at one place means the change did not
    get past it; a hook is told apart by torch's reason, which names its line."""
    things = (diagnosis.attribute, diagnosis.property, diagnosis.function, diagnosis.method,
              diagnosis.hook)
    if diagnosis.kind == "hook" or not any(things):
        return (diagnosis.module, diagnosis.kind) + things + (diagnosis.reason,)
    return (diagnosis.module,) + things


def write_checked(path: str, checked: str) -> None:
    """Set `checked` in the diagnosis of a snapshot's end record, in place (the file is
    rewritten whole, through a temporary file, so it is never left half-written)."""
    from ..snapshot import dumps

    with open(path, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    last = max(i for i, line in enumerate(lines) if line.strip())
    data = json.loads(lines[last])
    if data.get("kind") != "end" or not isinstance(data.get("diagnosis"), dict):
        return
    data["diagnosis"]["checked"] = checked
    lines[last] = (dumps(data) + "\n").encode("utf-8")
    temporary = path + ".checking"
    with open(temporary, "wb") as f:
        f.writelines(lines)
    os.replace(temporary, path)


# -- what the terminal shows --------------------------------------------------------------------
def report_lines(rounds: List[Round], model_file: Optional[str], style,
                 save_scripted: Optional[str] = None) -> List[str]:
    """Every failure with its diagnosis and its check, the round that ended it, and what was
    (not) changed."""
    from ..show.run_report import diagnosis_lines

    failed = [r for r in rounds if r.diagnosis is not None]
    last = rounds[-1]
    lines = [style.bold(f"── every failure, in one run: {counted(len(failed), 'failure')} in "
                        f"{counted(len(rounds), 'round')} " + "─" * 20)]
    for n, current in enumerate(failed, 1):
        diagnosis = current.diagnosis
        lines.append(style.bold(f"failure {n} (round {current.number}):"))
        lines.extend(diagnosis_lines(diagnosis, style)[1:])
        lines.append(f"  {'snapshot:':<10} {_shown(current.path)}")
    changes = [r.change_text for r in rounds if r.change is not None and r is not last]
    if last.end is not None and last.end.outcome == "ok":
        lines.append(style.green(f"round {last.number}: the model scripts with "
                                 f"{counted(len(changes), 'change')}:"))
    elif last.end is not None and last.end.outcome == "error":
        why = (last.checked or "").replace("no check possible: ", "", 1)
        lines.append(style.yellow(f"round {last.number}: stopped, no change applies "
                                  f"to this failure" + (f" ({why})" if why else "")))
        if changes:
            lines.append(f"the {counted(len(changes), 'change')} made before it:")
    else:
        stopped = "it was stopped" if last.recording.signals else last.problem
        lines.append(style.yellow(f"round {last.number} did not finish: {stopped}"))
    lines.extend(f"  - {text}" for text in changes)
    if save_scripted and last.end is not None and last.end.outcome == "ok":
        lines.append(f"the scripted module of round {last.number} (with the changes) is saved "
                     f"to {save_scripted}")
    lines.append("the changes were made to the model in the recording processes only; your "
                 f"files are unchanged{f' ({model_file})' if model_file else ''}")
    return lines


def _shown(path: Optional[str]) -> str:
    """A path as the user gave it: relative to the current folder when inside it."""
    if not path:
        return "-"
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def exit_code(rounds: List[Round]) -> int:
    """The first round's: the model as written. A later round stopped by a signal stops the
    run as that signal says."""
    for current in rounds[1:]:
        if current.recording.signals:
            return current.recording.exit_code()
    return rounds[0].recording.exit_code()


def outcome_line(rounds: List[Round]) -> str:
    first = rounds[0].end
    if first is not None and first.outcome == "error":
        return ("outcome: error: the model as written fails to script (exit 1); --keep-going "
                "changed it only to find the failures after the first")
    return ""
