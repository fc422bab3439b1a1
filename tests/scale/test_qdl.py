"""LoadGen over the Network: a QDL (``ConstructQDL``) dispatching to two real Flask SUT
nodes on 127.0.0.1, run on the official LoadGen and on ``mlpace.compat`` side by side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

import mlperf_loadgen  # noqa: F401  - the official LoadGen must be installed: its absence fails

HARNESSES = Path(__file__).parents[1] / "compat" / "harnesses"


@pytest.fixture(scope="module")
def nodes():
    procs, urls = [], []
    for name in ("A", "B"):
        p = subprocess.Popen([sys.executable, str(HARNESSES / "lon_sut_node.py"), name],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = p.stdout.readline()
        assert line.startswith("PORT "), line
        procs.append(p)
        urls.append(f"http://127.0.0.1:{int(line.split()[1])}")
    yield urls
    for p in procs:
        p.terminate()
        p.wait(10)


def _served(urls) -> list[int]:
    return [requests.get(f"{u}/stats/", timeout=5).json()["served"] for u in urls]


def _run(module: str, urls, out: Path):
    env = {**os.environ, "HARNESS_LOADGEN": module}
    proc = subprocess.run([sys.executable, str(HARNESSES / "lon_qdl.py"), str(out), ",".join(urls)],
                          cwd=out.parent, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    detail = {}
    for line in (out / "mlperf_log_detail.txt").read_text().splitlines():
        rec = json.loads(line.split(":::MLLOG ", 1)[1])
        detail.setdefault(rec["key"], rec["value"])
    summary = (out / "mlperf_log_summary.txt").read_text()
    return detail, summary, json.loads((out / "harness.json").read_text())


@pytest.mark.parametrize("module", ["mlpace.compat", "mlperf_loadgen"])
def test_lon_demo_valid_over_two_nodes(nodes, module, tmp_path):
    before = _served(nodes)
    detail, summary, side = _run(module, nodes, tmp_path / "out")
    assert "Result is : VALID" in summary
    after = _served(nodes)
    per_node = [a - b for a, b in zip(after, before)]
    assert all(n > 0 for n in per_node), per_node  # the load was shared
    assert sum(per_node) == side["answered"] == int(detail["result_query_count"])
    assert side["wrong"] == 0  # every answer came back over the network, intact
    if module == "mlpace.compat":
        # the name is the round trip's answer: every node asked, names aggregated
        assert detail["sut_name"] == ("Multi-node SUT: Demo SUT (Network SUT) node A, "
                                      "Demo SUT (Network SUT) node B")
        assert "SUT name : Multi-node SUT: Demo SUT (Network SUT) node A" in summary
        assert detail["get_sut_name_duration_ns"] > 50_000  # two HTTP round trips, not a constant
