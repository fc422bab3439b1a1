"""Session folders (a failed run never replaces good results), the system name, and a live
run across a 32-bit counter wrap with no retries."""

import math
import re
from pathlib import Path

import pytest

from mlpace.errors import DeviceError
from mlpace.tiny import benchmarks, dataset
from mlpace.tiny.runner import make_config, run
from mlpace.tiny.sim.cost import CostModel
from mlpace.tiny.sim.faults import FaultPlan


def test_counter_wrap_mid_window_is_measured_with_retries_0(board, tmp_path):
    cost = CostModel(macs=12.5e6, macs_per_s=80e6)
    dataset.default_dataset(benchmarks.get("ic"))  # built (cached) before the board's clock starts
    # virtual time from the first connection: 5 warm-ups (0.78 s), calibration (20 inferences, 3.13 s),
    # warm-ups, window 1 (3.13 s)... so a wrap 6.25 s in lands mid window 1, 1.5 s to spare either side
    b = board("ic", cost=cost, counter_start_us=2**32 - 6_250_000)
    r = run(make_config(benchmark="ic", port=b.port, results_dir=tmp_path, retries=0, min_window_s=2.0))
    assert len(r.windows) == 5
    assert all(math.isclose(w.throughput, cost.throughput, rel_tol=1e-3) for w in r.windows)
    log = (Path(r.folder) / "log.txt").read_text()
    laps = [int(x) for x in re.findall(r"dut: m-lap-us-(\d+)", log)][1:]  # [0] is the boot banner's
    pairs = list(zip(laps[::2], laps[1::2]))
    assert any(b_ < a for a, b_ in pairs), f"the counter never wrapped inside a window: {pairs}"
    assert "retry" not in log


def test_two_runs_keep_two_sessions_and_a_failed_run_keeps_latest(board, fast):
    root = fast["results_dir"]
    b = board("ic")
    quick = dict(fast, windows=2, min_window_s=0.5, system="bench-1")
    first = run(make_config(benchmark="ic", port=b.port, **quick))
    second = run(make_config(benchmark="ic", port=b.port, **quick))
    mode_dir = root / "bench-1" / "ic" / "performance"
    assert first.folder != second.folder
    assert sorted(p.name for p in mode_dir.iterdir() if p.is_dir() and not p.is_symlink()) == sorted(
        [Path(first.folder).name, Path(second.folder).name])
    assert (mode_dir / "latest").resolve() == Path(second.folder).resolve()
    good = (mode_dir / "latest" / "results.txt").read_text()

    hung = board("ic", faults=FaultPlan(hang_at_infer=2))
    with pytest.raises(DeviceError):
        run(make_config(benchmark="ic", port=hung.port, **quick))
    failed = [p for p in mode_dir.iterdir() if p.name.endswith("-failed")]
    assert len(failed) == 1 and "Run incomplete" in (failed[0] / "results.txt").read_text()
    assert (mode_dir / "latest").resolve() == Path(second.folder).resolve()
    assert (mode_dir / "latest" / "results.txt").read_text() == good

    before = sorted(root.rglob("*"))
    with pytest.raises(DeviceError, match="cannot open serial port"):
        run(make_config(benchmark="ic", port=str(root / "ttyNOPE"), **quick))
    assert sorted(root.rglob("*")) == before  # a run that never opened the port writes nothing


def test_system_name_comes_from_the_device(board, tmp_path):
    b = board("ic")
    r = run(make_config(benchmark="ic", port=b.port, results_dir=tmp_path, windows=1, min_window_s=0.2))
    assert r.system == "mlpace-simulated-DUT" and r.device_name == "mlpace simulated DUT"
    assert Path(r.folder).parent == tmp_path / "mlpace-simulated-DUT" / "ic" / "performance"
