"""Bad inputs end in one line naming the input and what is allowed, exit 2 (never a traceback, never
1, which means INVALID); a bug ends in one line and exit 70 with the traceback saved to a file."""

from __future__ import annotations

import json
import re

import pytest

from mlpace.cli import EXIT_INTERNAL, main


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("value", ["inf", "1e30", "nan", "-5"])
def test_unbounded_offline_claim_is_refused(tmp_path, capsys, value):
    code = main(["run", "digits", "-s", "Offline", "--mode", "PerformanceOnly", "-o", str(tmp_path / "o"),
                 "--set", f"offline_expected_qps={value}"])
    line = _one_line(capsys)
    assert code == 2, line
    assert "offline_expected_qps" in line and re.search(r"finite number > 0|at most|greater than 0", line), line


def test_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "f"
    f.write_text("x")
    assert main(["run", "digits", "-o", str(f)]) == 2
    assert f"output folder {f}: is a file" in _one_line(capsys)


def test_out_under_a_file_or_unwritable(tmp_path, capsys):
    f = tmp_path / "f"
    f.write_text("x")
    assert main(["run", "digits", "-o", str(f / "sub")]) == 2
    assert "a parent of it is a file" in _one_line(capsys)
    assert main(["run", "digits", "-o", "/proc/mlpace-no/out"]) == 2
    assert "/proc/mlpace-no/out: cannot be created" in _one_line(capsys)


@pytest.mark.parametrize("command", ["accuracy", "check"])
@pytest.mark.parametrize("content", ["deep", "binary", "huge_index", "loop"])
def test_hostile_files_are_one_line(tmp_path, capsys, command, content):
    target = tmp_path / "mlperf_log_accuracy.json"
    if content == "deep":
        target.write_text("[" * 200_000 + "]" * 200_000)
    elif content == "binary":
        target.write_bytes(bytes(range(256)) * 64)
    elif content == "huge_index":
        target.write_text(json.dumps([{"seq_id": 0, "qsl_idx": 12345678901234567890123, "data": "00"}]))
    else:
        target.symlink_to(target)
    if command == "accuracy":
        code = main(["accuracy", "digits", str(target)])
    else:  # a tree whose accuracy log is the hostile file
        scen = tmp_path / "tree" / "open" / "org" / "results" / "sys" / "digits" / "Offline"
        (scen / "accuracy").mkdir(parents=True)
        (scen / "accuracy" / "accuracy.txt").write_text("result: PASS\nvalue: 1.0\nsamples: 1 of 1\n")
        (scen / "accuracy" / "mlperf_log_accuracy.json").symlink_to(target)
        code = main(["check", str(tmp_path / "tree")])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    assert code in ((2,) if command == "accuracy" else (1,)), err


def test_check_on_a_symlink_loop_tree(tmp_path, capsys):
    sys_dir = tmp_path / "open" / "org" / "results" / "sys"
    sys_dir.mkdir(parents=True)
    (sys_dir / "loop").symlink_to(sys_dir)
    code = main(["check", str(tmp_path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 1


def test_corrupt_cached_model_is_rebuilt(tmp_path, monkeypatch):
    from mlpace import workloads
    from mlpace.workloads import models

    monkeypatch.setenv("MLPACE_CACHE_DIR", str(tmp_path))
    wl = workloads.get("digits")
    path = models.model_file(wl.name, wl.model_version, wl.seed)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x08\x07not an onnx model" * 10)
    assert wl.model_path() == path
    runner = wl.make_runner()
    x, _ = wl.eval_set
    assert runner(x[:4]).shape[0] == 4


def test_a_bug_exits_70_with_the_traceback_saved(tmp_path, capsys, monkeypatch):
    import mlpace.submission.checker as checker

    def broken(root):
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr(checker, "check_tree", broken)
    code = main(["check", str(tmp_path)])
    line = _one_line(capsys)
    assert code == EXIT_INTERNAL == 70
    assert line.startswith("internal error (a bug in mlpace, please report it): TypeError: unsupported operand")
    saved = re.search(r"traceback saved to (\S+)", line).group(1)
    text = open(saved).read()
    assert "Traceback (most recent call last)" in text and "def broken" not in text and "broken" in text
