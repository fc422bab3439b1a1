"""Multi-node training: two `mlpace train --nnodes 2` launches on 127.0.0.1 (torchrun c10d
rendezvous) make one valid result set, written once, that `mlpace train check` accepts."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from mlpace.cli import main


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(rank: int, port: int, out, runs: int = 5):
    return subprocess.Popen(
        [sys.executable, "-c", "from mlpace.cli import main; main()", "train", "digits_cnn", "--runs", str(runs),
         "--nnodes", "2", "--node-rank", str(rank), "--rdzv-endpoint", f"127.0.0.1:{port}", "--out", str(out),
         "--system", "two_nodes"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_nodes_on_loopback_make_one_valid_set(tmp_path, capsys):
    out = tmp_path / "org"
    port = _free_port()
    procs = [_launch(r, port, out) for r in (0, 1)]
    texts = [p.communicate(timeout=500)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(t[-3000:] for t in texts)
    # exactly one launch held global rank 0: it wrote, showed the runs and checked the set
    assert sum("set valid" in t for t in texts) == 1, texts
    assert sum("global rank 0 ran on another node" in t for t in texts) == 1, texts
    bench = out / "results" / "two_nodes" / "digits_cnn"
    assert sorted(p.name for p in bench.glob("result_*.txt")) == [f"result_{i}.txt" for i in range(5)]
    for path in bench.glob("result_*.txt"):  # rank 0 alone logs: one run_start per file
        assert path.read_text().count('"key": "run_start"') == 1
    system = json.loads((out / "systems" / "two_nodes.json").read_text())
    assert system["number_of_nodes"] == "2"
    capsys.readouterr()
    assert main(["train", "check", str(out)]) == 0, capsys.readouterr()


def test_node_options_are_validated(tmp_path, capsys):
    cases = [
        (["--nnodes", "2"], "needs --rdzv-endpoint HOST:PORT"),
        (["--nnodes", "2", "--node-rank", "2", "--rdzv-endpoint", "127.0.0.1:29400"], "allowed 0..1"),
        (["--nnodes", "2", "--rdzv-endpoint", "127.0.0.1"], "expected HOST:PORT"),
        (["--rdzv-endpoint", "127.0.0.1:29400"], "need --nnodes 2 or more"),
        (["--nnodes", "3", "--rdzv-endpoint", "127.0.0.1:29400"], "does not split over 3 processes"),
    ]
    for extra, why in cases:
        code = main(["train", "digits_cnn", "--runs", "1", "--out", str(tmp_path / "o"), "--no-check", *extra])
        err = capsys.readouterr().err
        assert code == 2 and why in err, (extra, err)
    assert not (tmp_path / "o").exists()
