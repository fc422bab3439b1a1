"""``mlpace tiny score``: re-scoring a real MLPerf Tiny v1.1 transcript, counter wraps, other
runners' formats, mlpace's own sessions, and the ``--write`` rules."""

import math
import re
import shutil
from pathlib import Path

import pytest

from mlpace.cli import main
from mlpace.tiny.runner import make_config, run
from mlpace.tiny.score import read_transcript, score_path

GOLDEN = Path(__file__).parent / "fixtures" / "v1.1_krai_h7a3" / "ic"
LAPS = re.compile(r"m-lap-us-(\d+)")


def test_real_v1_1_transcript_reproduces_its_published_median(capsys):
    """EEMBC runner log of Krai's NUCLEO-H7A3ZI-Q ic01 run (tiny_results_v1.1): 18.215 inf./sec."""
    assert main(["tiny", "score", str(GOLDEN / "performance" / "log.txt")]) == 0
    out = capsys.readouterr().out
    assert "\nMedian throughput is 18.215 inf./sec.\n" in out
    assert "matches the figures in results.txt" in out
    [s] = score_path(GOLDEN / "performance" / "log.txt")
    laps = [int(x) for x in LAPS.findall((GOLDEN / "performance" / "log.txt").read_text())][1:]  # [0]: 'timestamp'
    assert [w.runtime_s for w in s.result.windows] == [(b - a) / 1e6 for a, b in zip(laps[::2], laps[1::2])]
    assert [w.n for w in s.result.windows] == [200] * 5 and s.result.compliant
    assert s.result.windows[0].file == "lippizaner_s_000613.bin"


def test_counter_wrap_inside_a_window_scores_the_same(tmp_path, capsys):
    """Shift every lap so the 32-bit counter wraps inside window 3: same median, no complaint."""
    text = (GOLDEN / "performance" / "log.txt").read_text()
    shift = 2**32 - 414_000_000  # window 3 runs from 408899949 to 419879968
    shifted = LAPS.sub(lambda m: f"m-lap-us-{(int(m.group(1)) + shift) % 2**32}", text)
    (tmp_path / "ic" / "performance").mkdir(parents=True)
    (tmp_path / "ic" / "performance" / "log.txt").write_text(shifted)
    t = read_transcript(shifted)
    assert [i.wrapped for i in t.infers] == [False, False, True, False, False]
    assert main(["tiny", "score", str(tmp_path / "ic" / "performance")]) == 0
    out = capsys.readouterr().out
    assert "\nMedian throughput is 18.215 inf./sec.\n" in out and "wrapped in 1 window" in out
    [wrapped] = score_path(tmp_path / "ic" / "performance")
    [plain] = score_path(GOLDEN / "performance" / "log.txt")
    assert [w.runtime_s for w in wrapped.result.windows] == [w.runtime_s for w in plain.result.windows]


def test_energy_folder_of_energyrunner_is_recomputed(capsys):
    """Window times from EnergyRunner's trace1-timestamps.json (edge pairs after the first edge)."""
    assert main(["tiny", "score", str(GOLDEN / "energy")]) == 0
    out = capsys.readouterr().out
    assert "Median energy cost is 7615.350 uJ/inf." in out and "Median throughput is 18.283 inf./sec." in out
    assert "EnergyRunner timestamps (trace1-timestamps.json)" in out and "matches the figures in results.txt" in out
    [s] = score_path(GOLDEN / "energy")
    assert [round(w.runtime_s, 3) for w in s.result.windows] == [10.943, 10.939, 10.939, 10.941, 10.938]


def test_a_tampered_median_is_reported_and_fails(tmp_path, capsys):
    shutil.copytree(GOLDEN, tmp_path / "ic")
    res = tmp_path / "ic" / "performance" / "results.txt"
    res.write_text(res.read_text().replace("Median throughput is 18.215", "Median throughput is 19.215"))
    assert main(["tiny", "score", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS from results.txt: throughput: reported 19.215, recomputed 18.215" in out


def test_mlcommons_runner_log_format(tmp_path, capsys):
    """The mlcommons/tiny Python runner prints window blocks and 'N iterations. Elapsed time = ...' lines."""
    folder = tmp_path / "kws" / "energy"
    folder.mkdir(parents=True)
    energies = [0.1343941638187971, 0.13443365774583071, 0.13457696489058435, 0.13435734587255865,
                0.13438836437126156]
    lines = ["Logging initialized.", "Device model retrieved: kws01", "Power Edition Output"]
    for e in energies:
        lines += [f"10 iterations. Elapsed time = 1.661,total energy = {e}",
                  f"Per inference: time = 0.1661, energy = {e / 10}", "Average Power = 80.91 mW."]
    (folder / "log.txt").write_text("\n".join(lines) + "\n")
    assert main(["tiny", "score", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Median energy cost is 13439.416 uJ/inf." in out  # median 0.13439.. J over 10 inferences


def test_write_only_when_asked_and_never_over_a_results_txt(tmp_path, capsys):
    folder = tmp_path / "ic" / "performance"
    folder.mkdir(parents=True)
    shutil.copy(GOLDEN / "performance" / "log.txt", folder / "log.txt")
    assert main(["tiny", "score", str(folder)]) == 0
    assert not (folder / "results.txt").exists()
    assert main(["tiny", "score", str(folder), "--write"]) == 0
    written = (folder / "results.txt").read_text()
    assert "ulp-mlperf: Median throughput is 18.215 inf./sec." in written
    assert "Performance results for window 10:" in written
    assert main(["tiny", "score", str(folder), "--write"]) == 2  # exists: refused without --force
    assert "--force" in capsys.readouterr().err


def test_mlpace_sessions_rescore_to_the_runs_own_figures(board, tmp_path):
    b = board("ic")
    perf = run(make_config(benchmark="ic", port=b.port, results_dir=tmp_path, windows=5, min_window_s=1.0))
    from mlpace.tiny import benchmarks, dataset

    bench = benchmarks.get("ic")
    data = dataset.write_dataset(bench, benchmarks.accuracy_samples(bench, limit=20), tmp_path / "data")
    acc = run(make_config(benchmark="ic", mode="accuracy", port=b.port, results_dir=tmp_path, dataset_dir=data))
    scores = {s.result.mode: s for s in score_path(tmp_path)}  # labels: the data set the log names
    assert set(scores) == {"performance", "accuracy"}
    p = scores["performance"]
    assert p.source == Path(perf.folder) / "log.txt" and not p.disagreements()
    assert math.isclose(p.result.median_throughput, perf.median_throughput, rel_tol=1e-12)
    a = scores["accuracy"]
    assert a.result.files == 20 and a.result.top1 == acc.top1 and not a.disagreements()
    (data / "y_labels.csv").rename(data / "moved.csv")
    [no_labels] = score_path(Path(acc.folder))
    assert any("--labels" in n for n in no_labels.notes)
    [given] = score_path(Path(acc.folder), labels=data / "moved.csv")
    assert given.result.top1 == acc.top1


def test_unreadable_inputs_are_one_line_errors(tmp_path, capsys):
    assert main(["tiny", "score", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "log.txt").write_text("00001.000 dut: m-ready\n")
    assert main(["tiny", "score", str(tmp_path / "x")]) == 2
    assert "--benchmark" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["garbage\n", ""])
def test_no_windows_is_an_error(tmp_path, capsys, text):
    folder = tmp_path / "ic" / "performance"
    folder.mkdir(parents=True)
    (folder / "log.txt").write_text(text)
    assert main(["tiny", "score", str(folder)]) == 2
    assert "no windows" in capsys.readouterr().err


def _eembc_accuracy_log(files_and_outputs) -> str:
    """An EEMBC runner accuracy transcript in the layout of the v1.1 logs (bload, infer 1 0, m-results)."""
    lines = ['00013.515 parser: m-bmark-run-name[ML Performance 1.0.1]-code[ulp-mlperf]',
             '00014.126 parser: m-bm-cfg-name[ulp-mlperf]-key[runMode]-val[multi]',
             '00014.131 parser: m-bm-cfg-name[ulp-mlperf]-key[model]-val[ic01]']
    t = 15.0
    for name, out in files_and_outputs:
        t += 1
        lines += [f'{t:09.3f} parser: Command "bload dut "C:\\Users\\x\\datasets\\ic01\\{name}""',
                  f'{t:09.3f} parser: m-bload-done', f'{t:09.3f} parser: Command "dut infer 1 0"',
                  f'{t:09.3f} dut: m-warmup-start-0', f'{t:09.3f} dut: m-warmup-done',
                  f'{t:09.3f} dut: m-infer-start-1',
                  f'{t:09.3f} dut: m-lap-us-1000', f'{t:09.3f} dut: m-lap-us-57000', f'{t:09.3f} dut: m-infer-done',
                  f'{t:09.3f} dut: m-results-[{",".join(f"{v:.3f}" for v in out)}]', f'{t:09.3f} dut: m-ready']
    return "\n".join(lines) + "\n"


def test_eembc_accuracy_log_with_labels(tmp_path, capsys):
    def onehot(k, p=0.9):
        out = [0.0] * 10
        out[k] = p
        out[(k + 1) % 10] = 1 - p
        return out

    files = [("a.bin", onehot(3)), ("b.bin", onehot(5)), ("c.bin", onehot(7)), ("d.bin", onehot(1, 0.4))]
    folder = tmp_path / "ic" / "accuracy"
    folder.mkdir(parents=True)
    (folder / "log.txt").write_text(_eembc_accuracy_log(files))
    (folder / "results.txt").write_text("00187.219 ulp-mlperf: Top-1: 75.0%\n")
    assert main(["tiny", "score", str(folder)]) == 0
    assert "--labels" in capsys.readouterr().out  # no ground truth: not recomputed
    (tmp_path / "y_labels.csv").write_text("a.bin, 10, 3\nb.bin, 10, 5\nc.bin, 10, 7\nd.bin, 10, 1\n")
    assert main(["tiny", "score", str(folder), "--labels", str(tmp_path / "y_labels.csv")]) == 0
    out = capsys.readouterr().out
    assert "\nTop-1: 75.0%\n" in out and "matches the figures in results.txt" in out  # d.bin: 0.4 < 0.6


def test_mlcommons_runner_performance_blocks(tmp_path, capsys):
    """Window blocks as the mlcommons/tiny runner's script.py prints them (MMDD.HHMMSS prefix)."""
    folder = tmp_path / "vww" / "performance"
    folder.mkdir(parents=True)
    lines = ["Logging initialized. Writing output to sessions/20250612_122118/log.txt"]
    for k, runtime in enumerate([10.52, 10.61, 10.49, 10.55, 10.58], 1):
        lines += [f"0612.1221{k:02d} ulp-mlperf: Performance results for window {k}:",
                  f"0612.1221{k:02d} ulp-mlperf:   # Inferences : {20:>13}",
                  f"0612.1221{k:02d} ulp-mlperf:   Runtime      : {runtime:>10.3f} sec.",
                  f"0612.1221{k:02d} ulp-mlperf:   Throughput   : {20 / runtime:>10.3f} inf./sec.",
                  f"0612.1221{k:02d} ulp-mlperf:   m-results    : [0.1, 0.9]"]
    (folder / "log.txt").write_text("\n".join(lines) + "\n")
    assert main(["tiny", "score", str(folder)]) == 0
    out = capsys.readouterr().out
    assert f"\nMedian throughput is {20 / 10.55:.3f} inf./sec.\n" in out and "mlcommons/tiny runner log" in out
