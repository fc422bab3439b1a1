"""Log content never chooses code or paths: a crafted results folder whose division or benchmark
value points the official compliance checker at a rules file next to the logs (whose ``CODE``
block would run) is refused before the checker sees it, and the code never runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlpace.cli import main
from mlpace.training import compliance
from mlpace.training.benchmarks import get_benchmark

sys.path.insert(0, str(Path(__file__).parent.parent / "training"))
from handmade import write_log  # noqa: E402 - the training tests' hand-made mllog writer

EVIL = """- BEGIN:
    CODE: "open({marker!r}, 'w').write('the rules file ran')"
"""


def _crafted(tmp_path: Path, key: str) -> tuple[Path, Path]:
    """A results folder whose ``key`` value climbs out of the rules directory to evil_*.yaml."""
    marker = tmp_path / "PWNED"
    evil_dir = tmp_path / "x"
    evil_dir.mkdir()
    for name in ("evil_common.yaml", "closed_evil.yaml", "open_evil.yaml", "evil.yaml"):
        (evil_dir / name).write_text(EVIL.format(marker=str(marker)))
    climb = "../" * 12 + str(evil_dir / "evil").lstrip("/")
    folder = tmp_path / "org" / "results" / "sys" / "digits_cnn"
    for i in range(5):
        kwargs = {"division": climb} if key == "submission_division" else {"benchmark": climb}
        write_log(folder / f"result_{i}.txt", seed=i + 1, **kwargs)
    return folder, marker


@pytest.mark.parametrize("key", ["submission_division", "submission_benchmark"])
def test_crafted_values_are_refused_and_no_code_runs(tmp_path, key):
    folder, marker = _crafted(tmp_path, key)
    common = compliance.materialise_rules([get_benchmark("digits_cnn").config], tmp_path / "rules",
                                          [compliance.RULES_DIR])
    for rules in (common, None):  # mlpace's rules and the official ones alone
        res = compliance.check_file(folder / "result_0.txt", rules)
        assert not res.passed
        assert any(f"{key} '../../" in m and "is not allowed" in m for m in res.messages), res.messages
    assert not marker.exists(), "a rules file named by the log was executed"


def test_train_check_on_a_crafted_folder_fails_without_running_it(tmp_path, capsys, monkeypatch):
    folder, marker = _crafted(tmp_path, "submission_division")
    monkeypatch.chdir(tmp_path)  # the variant climbs through /proc/self/cwd
    assert main(["train", "check", str(folder)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "submission_division" in out and "is not allowed (allowed: closed, open)" in out
    assert not marker.exists()
