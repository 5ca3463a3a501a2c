"""A snapshot grows with the model, not with its square: bytes per stop stay bounded."""

from helpers import read_jsonl, run_harness

WIDE = ("import torch\nclass Wide(torch.nn.Module):\n    def __init__(self, n):\n"
        "        super().__init__()\n"
        "        self.layers = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(n)])\n"
        "    def forward(self, x):\n        for layer in self.layers:\n"
        "            x = layer(x)\n        return x\n")


def test_bytes_per_stop_do_not_grow_with_the_model(tmp_path):
    (tmp_path / "wide.py").write_text(WIDE)
    sizes = {}
    for n in (60, 180):
        out = tmp_path / f"w{n}.jsonl"
        proc = run_harness("run", "--model", f"{tmp_path}/wide.py:Wide", "--args", f"[{n}]",
                           "-o", str(out), "-q")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        lines = [line for line in out.read_text().splitlines() if '"kind": "stop"' in line]
        sizes[n] = (sum(map(len, lines)) / len(lines), max(map(len, lines)), len(lines))
    (mean_a, max_a, stops_a), (mean_b, max_b, stops_b) = sizes[60], sizes[180]
    assert stops_b > 2.5 * stops_a  # three times the modules...
    assert mean_b < 1.1 * mean_a and max_b < 1.1 * max_a  # ...the same bytes a stop
    memo = [r for r in read_jsonl(tmp_path / "w180.jsonl") if r["kind"] == "stop"
            and "memo" in r["locals"]][-1]["locals"]["memo"]
    assert len(memo["items"]) == 1 and memo["since"]["count"] == 180  # what it added, only
