"""Two runs of one scenario give identical stop records, with no address or id in them."""
import json
import re

from helpers import read_jsonl, run_harness


def record_twice(tmp_path, scenario):
    outs = []
    for i in range(2):
        out = tmp_path / f"run{i}.jsonl"
        proc = run_harness("run", scenario, "-o", str(out), "-q")
        assert proc.returncode in (0, 1), proc.stderr
        outs.append(out)
    return [read_jsonl(o) for o in outs], [o.read_text() for o in outs]


def test_two_runs_give_identical_snapshots(tmp_path):
    (a, b), _ = record_twice(tmp_path, "scenarios/seed_walk.yaml")
    assert [r for r in a if r["kind"] == "stop"] == [r for r in b if r["kind"] == "stop"]
    assert a == b  # header, sources and end too: nothing in them varies between runs


def test_no_memory_address_or_id_appears_in_a_snapshot(tmp_path, seed_run):
    _, records = seed_run
    text = "\n".join(json.dumps(r) for r in records)
    assert not re.search(r"0x[0-9a-fA-F]{6,}", text)
    big_ints = []

    def walk(value):
        if isinstance(value, bool):
            return
        if isinstance(value, int) and value > 2 ** 32:
            big_ints.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for r in records:
        walk(r)
    assert big_ints == []  # id() values are 12+ digit numbers; none may leak


def test_failing_run_is_deterministic_too(tmp_path):
    (a, b), _ = record_twice(tmp_path, "scenarios/failing_attribute.yaml")
    assert a == b


ADDRESS_IN_MESSAGE = '''\
import dataclasses
import torch


@dataclasses.dataclass
class Out:  # torch's error names Out.__init__ with its address: "<function ... at 0x7f...>"
    a: torch.Tensor


class ReturnsDataclass(torch.nn.Module):
    def forward(self, x):
        return Out(x)
'''


def test_a_failed_run_whose_error_holds_an_address_is_deterministic(tmp_path):
    """Every field of every record masks addresses, the diagnosis's reason included."""
    (tmp_path / "addr_model.py").write_text(ADDRESS_IN_MESSAGE)
    scenario = tmp_path / "addr.yaml"
    scenario.write_text("version: 1\nname: addr\nmodel:\n"
                        "  factory: addr_model.py:ReturnsDataclass\n"
                        "breakpoints:\n  - function: torch.jit._recursive.create_script_module\n"
                        "    at: enter\n    capture: [nn_module]\n")
    (a, b), texts = record_twice(tmp_path, str(scenario))
    assert a == b
    assert a[-1]["outcome"] == "error" and "0x…" in a[-1]["error"]["message"]
    assert "0x…" in a[-1]["diagnosis"]["reason"]
    assert not re.search(r"0x[0-9a-fA-F]{4,}", texts[0])
