"""Performance and energy modes recover the simulated board's known cost model."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from mlpace.tiny import protocol as p
from mlpace.tiny.energy import Capture, window_energy
from mlpace.tiny.runner import make_config, run
from mlpace.tiny.sim.cost import CostModel


def test_performance_throughput_within_1pct_of_cost_model(board, tmp_path):
    cost = CostModel(macs=12.5e6, macs_per_s=80e6, jitter=0.02)
    b = board("ic", cost=cost, seed=5)
    events = []
    result = run(make_config(benchmark="ic", port=b.port, results_dir=tmp_path), progress=lambda e, i: events.append(e))
    assert len(result.windows) == 5 and result.compliant
    assert all(w.runtime_s >= 10.0 for w in result.windows)  # official defaults: 5 windows of >= 10 s (virtual)
    assert len({w.file for w in result.windows}) == 5  # each window on a different input
    assert math.isclose(result.median_throughput, cost.throughput, rel_tol=0.01)
    assert math.isclose(result.latency_ms, cost.inference_us / 1000, rel_tol=0.01)
    assert events.count("window") == 5
    folder = Path(result.folder)
    assert folder.parent == tmp_path / "mlpace-simulated-DUT" / "ic" / "performance"  # system from the device
    text = (folder / "results.txt").read_text().splitlines()
    assert text[0].endswith("ulp-mlperf: Performance results for window 2:")
    assert f"ulp-mlperf: Median throughput is {result.median_throughput:.3f} inf./sec." in "\n".join(text)
    assert any(line.endswith(f"  # Inferences : {result.windows[0].n:12d}") for line in text)
    assert any("not comparable to MLPerf Tiny results" in line for line in text)
    log = (folder / "log.txt").read_text()
    assert f'Command "infer {result.windows[0].n} 5"' in log and "dut: m-lap-us-" in log
    data = json.loads((folder / "results.json").read_text())
    assert data["compliant"] and math.isclose(data["median_throughput"], result.median_throughput)


def test_short_window_settings_are_flagged_non_compliant(board, tmp_path):
    b = board("ic")
    r = run(make_config(benchmark="ic", port=b.port, results_dir=tmp_path, windows=3, min_window_s=1.0))
    assert len(r.windows) == 3 and not r.compliant
    text = (Path(r.folder) / "results.txt").read_text()
    assert "non-compliant settings" in text


def test_fixed_n_too_small_is_refused(board, tmp_path):
    from mlpace.errors import ConfigError

    b = board("ic")
    with pytest.raises(ConfigError, match="raise --n"):
        run(make_config(benchmark="ic", port=b.port, results_dir=tmp_path, n=3))


def test_energy_per_inference_within_1pct_of_cost_model(board, tmp_path):
    cost = CostModel(macs=2.7e6, macs_per_s=30e6, jitter=0.02, voltage_v=1.8, active_ma=6.0, idle_ma=0.5)
    b = board("kws", mode=p.MODE_ENERGY, cost=cost, noise_ma=0.2, seed=2)
    r = run(make_config(benchmark="kws", mode="energy", port=b.port, monitor_port=b.monitor_port,
                        results_dir=tmp_path, dataset_dir=_tiny_kws_set(tmp_path)))
    assert len(r.windows) == 5 and r.compliant
    assert math.isclose(r.median_uj_per_inference, cost.energy_uj, rel_tol=0.01)
    assert math.isclose(r.median_throughput, cost.throughput, rel_tol=0.01)
    text = (Path(r.folder) / "results.txt").read_text()
    assert f"ulp-ml: Median energy cost is {r.median_uj_per_inference:.3f} uJ/inf." in text
    assert "ulp-ml:   Energy/Inf.  :" in text and "Median throughput is" in text
    log = (Path(r.folder) / "log.txt").read_text()
    assert 'Command "dut infer' in log and "io: [dut]: m-infer-done" in log and "emon: m-trace[off]" in log


def _tiny_kws_set(tmp_path):
    """Five kws01-shaped files in the official layout (keeps this test independent of data generation)."""
    from mlpace.tiny import benchmarks, dataset

    bench = benchmarks.get("kws")
    rng = np.random.default_rng(0)
    samples = [benchmarks.Sample(f"k{i}.bin", rng.integers(-128, 128, 490, dtype=np.int8).tobytes(), i)
               for i in range(5)]
    return dataset.write_dataset(bench, samples, tmp_path / "kws_set")


def test_window_energy_uses_the_last_two_edges():
    rate = 1000.0
    current = np.full(3000, 0.001)
    current[1000:2000] = 0.011  # 1 s at 11 mA between edges at 1.0 s and 2.0 s
    cap = Capture(rate_hz=rate, voltage_v=2.0, current_a=current, edges_s=[0.2, 1.0, 2.0])
    we = window_energy(cap, n=100)
    assert math.isclose(we.energy_uj, 2.0 * 0.011 * 1.0 * 1e6)
    assert math.isclose(we.uj_per_inference, 220.0)
    assert math.isclose(we.power_uw, 22000.0) and math.isclose(we.throughput, 100.0)


def test_window_energy_too_few_timestamps():
    from mlpace.errors import DeviceError

    cap = Capture(rate_hz=1000.0, voltage_v=3.0, current_a=np.ones(10), edges_s=[0.001])
    with pytest.raises(DeviceError, match="too few timestamps found"):
        window_energy(cap, 1)
