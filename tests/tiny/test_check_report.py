"""``mlpace check`` and ``mlpace report`` on MLPerf Tiny trees: a real v1.1 submission layout
and mlpace's own session folders."""

import json
import re
import shutil
from pathlib import Path

from mlpace.cli import main
from mlpace.tiny.check import check_tiny_tree, is_tiny_tree
from mlpace.tiny.report import tiny_rows
from mlpace.tiny.runner import make_config, run

GOLDEN = Path(__file__).parent / "fixtures" / "v1.1_krai_h7a3" / "ic"


def _submission(tmp_path) -> Path:
    root = tmp_path / "tiny_results"
    system = root / "closed" / "Krai" / "results" / "NUCLEO-H7A3ZI-Q_X-CUBE-AI-8.0"
    shutil.copytree(GOLDEN, system / "ic")
    (root / "closed" / "Krai" / "systems").mkdir(parents=True)
    (root / "closed" / "Krai" / "systems" / "NUCLEO-H7A3ZI-Q_X-CUBE-AI-8.0.json").write_text("{}")
    return root


def test_check_a_real_submission_layout(tmp_path, capsys):
    root = _submission(tmp_path)
    assert is_tiny_tree(root)
    got = {(f.where.split("/")[-1], f.check): f for f in check_tiny_tree(root)}
    assert got[("performance", "rescore")].passed and got[("performance", "windows")].passed
    assert got[("NUCLEO-H7A3ZI-Q_X-CUBE-AI-8.0", "system")].passed
    assert not got[("energy", "files")].passed and got[("energy", "files")].why == "missing log.txt"
    res = root.joinpath("closed/Krai/results/NUCLEO-H7A3ZI-Q_X-CUBE-AI-8.0/ic/performance/results.txt")
    res.write_text(res.read_text().replace("is 18.215 inf", "is 18.300 inf"))
    assert main(["check", str(root)]) == 1
    out = capsys.readouterr().out
    assert "throughput: reported 18.3, recomputed 18.215" in out and "2 of 7 checks failed" in out


def test_check_and_report_on_mlpace_sessions(board, tmp_path, capsys):
    root = tmp_path / "results"
    b = board("ic")
    good = run(make_config(benchmark="ic", port=b.port, results_dir=root, system="sim-board"))  # official 5 x 10 s
    short = run(make_config(benchmark="ic", port=b.port, results_dir=root, system="sim-short", windows=3,
                            min_window_s=1.0))
    assert main(["check", str(root)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"FAIL sim-short/ic/performance/\d{8}-\d{6} \[windows\]: 3 windows", out)
    assert "1 of 6 checks failed" in out
    assert main(["report", str(root)]) == 0
    md = (root / "report.md").read_text()
    assert f"| sim-board | ic | {good.latency_ms:.3f} | {good.median_throughput:.3f} | - | - |" in md
    rows = json.loads((root / "report.json").read_text())
    assert [(r["system"], r["benchmark"]) for r in rows] == [("sim-board", "ic"), ("sim-short", "ic")]
    assert rows[0]["compliant_windows"] is True and rows[1]["compliant_windows"] is False
    assert rows == json.loads(json.dumps(tiny_rows(root)))
    assert abs(rows[1]["throughput_inf_s"] - short.median_throughput) < 1e-9
