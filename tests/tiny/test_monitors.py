"""Energy monitor drivers against simulated monitors: the LPM01A's serial protocol byte for
byte on a pty, and the Joulescope through the real ``joulescope`` package with its scan stubbed."""

import math
import time
from pathlib import Path

import numpy as np
import pytest
import serial

from mlpace.errors import DeviceError
from mlpace.tiny import benchmarks, dataset
from mlpace.tiny import protocol as p
from mlpace.tiny.monitors import lpm01a_protocol as lp
from mlpace.tiny.runner import make_config, run
from mlpace.tiny.score import score_path
from mlpace.tiny.sim.cost import CostModel

COST = CostModel(macs=2.7e6, macs_per_s=30e6, jitter=0.02, voltage_v=3.0, active_ma=6.0, idle_ma=0.5)


def _kws_set(tmp_path):
    bench = benchmarks.get("kws")
    return dataset.write_dataset(bench, benchmarks.accuracy_samples(bench, limit=5), tmp_path / "kws_set")


def test_ascii_dec_samples_match_um2269():
    assert lp.decode_ascii_dec("6409-07") == pytest.approx(640.9e-6)  # the UM2269 example
    assert lp.encode_ascii_dec(640.9e-6) == "6409-07"
    for amps in (1.234e-9, 5.5e-6, 0.0999999, 0.15, 9.9996e-3):
        text = lp.encode_ascii_dec(amps)
        assert lp.SAMPLE.fullmatch(text) and lp.decode_ascii_dec(text) == pytest.approx(amps, rel=1e-3)
    assert lp.TIMESTAMP.match(lp.timestamp_line(61_250))  # the mlcommons/tiny runner's own regex
    assert lp.timestamp_line(61_250) == "TimeStamp: 061s 250ms, buff 00%"


def test_simulated_lpm01a_answers_byte_for_byte(board):
    b = board("kws", mode=p.MODE_ENERGY, monitor="lpm01a", cost=COST)
    with serial.Serial(b.monitor_port, lp.BAUD, timeout=2) as port:
        def ask(cmd: bytes) -> bytes:
            port.write(cmd)
            time.sleep(0.1)
            return port.read(port.in_waiting)

        assert ask(b"volt 3000m\r\n") == (b"PowerShield > error volt 3000m\r\n"
                                          b"Error detail: board in standalone mode: send 'htc' first\r\n")
        assert ask(b"htc\r\n") == b"PowerShield > ack htc\r\n"
        assert ask(b"volt 5000m\r\n") == (b"PowerShield > error volt 5000m\r\n"
                                          b"Error detail: voltage out of range [1800m; 3300m]\r\n")
        assert ask(b"freq 1k\r\n") == b"PowerShield > ack freq 1k\r\n"
        assert ask(b"start\r\n").startswith(b"PowerShield > ack start\r\n")
        b.clock.advance(1_500_000)
        port.write(b"stop\r\n")
        stream = port.read_until(b"Acquisition completed\r\n", 100_000).decode()
        lines = stream.split("\r\n")
        assert "PowerShield > ack stop" in lines and lines[-2:] == [lp.ACQ_DONE, ""]
        samples = [ln for ln in lines if lp.SAMPLE.fullmatch(ln)]
        assert len(samples) >= 1500 and all(lp.decode_ascii_dec(s) == pytest.approx(0.5e-3, rel=1e-3) for s in samples)
        assert lines.count("TimeStamp: 001s 000ms, buff 00%") == 1


def test_energy_run_with_the_lpm01a_driver(board, tmp_path):
    b = board("kws", mode=p.MODE_ENERGY, monitor="lpm01a", cost=COST, seed=3)
    r = run(make_config(benchmark="kws", mode="energy", port=b.port, monitor="lpm01a", monitor_port=b.monitor_port,
                        monitor_voltage_v=3.0, results_dir=tmp_path, dataset_dir=_kws_set(tmp_path), windows=3,
                        min_window_s=2.0))
    assert len(r.windows) == 3
    assert math.isclose(r.median_uj_per_inference, COST.energy_uj, rel_tol=0.01)
    assert math.isclose(r.median_throughput, COST.throughput, rel_tol=0.01)
    sent = b.monitor_server.commands
    assert sent[:9] == ["htc", "format ascii_dec", "freq 1k", "acqtime 0", "output current", "trigsrc sw",
                        "eventsrc d7 fal", "volt 3000m", "pwr on"]
    assert sent.count("start") == sent.count("stop") >= 4 and sent[-2:] == ["pwr off", "hrc"]
    [s] = score_path(Path(r.folder))  # the session keeps the raw samples: re-integrated, same figures
    assert s.fmt == "raw monitor samples (energy_captures.npz)" and not s.disagreements()
    assert s.result.median_uj_per_inference == pytest.approx(r.median_uj_per_inference, rel=1e-12)


def test_lpm01a_refusal_is_a_clear_error(board, tmp_path):
    b = board("kws", mode=p.MODE_ENERGY, monitor="lpm01a", cost=COST)
    with pytest.raises(DeviceError, match=r"1.8..3.3 V"):
        run(make_config(benchmark="kws", mode="energy", port=b.port, monitor="lpm01a", monitor_port=b.monitor_port,
                        monitor_voltage_v=5.0, results_dir=tmp_path, dataset_dir=_kws_set(tmp_path)))


class FakeStreamBuffer:
    """The joulescope v1 stream buffer surface the driver uses, fed from a simulated board."""

    def __init__(self, dev):
        self.dev = dev

    @property
    def sample_id_range(self):
        if self.dev.t0_us is None:
            return None, None
        return 0, int((self.dev.clock.now_us() - self.dev.t0_us) * self.dev.rate_hz // 1e6)

    def samples_get(self, start, stop, fields=None):
        period = 1e6 / self.dev.rate_hz
        t0 = self.dev.t0_us
        ma, edges = self.dev.trace.capture(int(t0 + start * period), int(t0 + stop * period), self.dev.rate_hz)
        gpi = np.ones(len(ma), dtype=np.uint8)
        for e in edges:  # the pin is held low for 50 ms (so rising and falling edges differ)
            gpi[int(e // period): int(e // period) + 50] = 0
        volts = np.full(len(ma), self.dev.voltage, dtype=np.float32)
        signals = {"current": {"value": (ma / 1000).astype(np.float32), "units": "A"},
                   "voltage": {"value": volts, "units": "V"}, "current_lsb": {"value": gpi, "units": ""}}
        return {"time": {}, "signals": {f: signals[f] for f in fields}}


class FakeJoulescope:
    """A JS220 as ``joulescope.scan()`` returns it: open/parameter_set/start/stop/close + stream_buffer."""

    def __init__(self, board, serial_number="004079", voltage=3.0):
        self.trace, self.clock = board.trace, board.clock
        self.serial_number = serial_number
        self.voltage = voltage
        self.rate_hz = 2_000_000
        self.t0_us = None
        self.params = {}
        self.calls = []
        self.stream_buffer = FakeStreamBuffer(self)

    def __str__(self):
        return f"JS220-{self.serial_number}"

    def open(self):
        self.calls.append("open")

    def parameter_set(self, name, value):
        if name in ("sensor_power", "source"):  # JS110 only
            raise KeyError(name)
        if name == "sampling_frequency":
            self.rate_hz = int(value)
        self.params[name] = value

    def start(self, stop_fn=None, duration=None, contiguous_duration=None):
        self.calls.append("start")
        self.t0_us = self.clock.now_us()

    def stop(self):
        self.calls.append("stop")

    def close(self):
        self.calls.append("close")


def test_energy_run_with_the_joulescope_driver(board, tmp_path, monkeypatch):
    import joulescope

    b = board("kws", mode=p.MODE_ENERGY, monitor="joulescope", cost=COST, seed=4)
    fakes = [FakeJoulescope(b, "000001"), FakeJoulescope(b, "004079")]
    monkeypatch.setattr(joulescope, "scan", lambda *a, **k: list(fakes))
    r = run(make_config(benchmark="kws", mode="energy", port=b.port, monitor="joulescope", monitor_port="004079",
                        results_dir=tmp_path, dataset_dir=_kws_set(tmp_path), windows=3, min_window_s=2.0))
    assert len(r.windows) == 3
    assert math.isclose(r.median_uj_per_inference, COST.energy_uj, rel_tol=0.01)
    js = fakes[1]
    assert js.calls == ["open", "start", "stop", "close"] and fakes[0].calls == []
    assert js.params["sampling_frequency"] == 1000 and js.params["i_range"] == "auto"


def test_joulescope_missing_or_ambiguous(board, tmp_path, monkeypatch):
    import joulescope

    b = board("kws", mode=p.MODE_ENERGY, monitor="joulescope", cost=COST)
    monkeypatch.setattr(joulescope, "scan", lambda *a, **k: [])
    with pytest.raises(DeviceError, match="expected one Joulescope, found none"):
        run(make_config(benchmark="kws", mode="energy", port=b.port, monitor="joulescope", results_dir=tmp_path,
                        dataset_dir=_kws_set(tmp_path)))
    monkeypatch.setattr(joulescope, "scan", lambda *a, **k: [FakeJoulescope(b, "1"), FakeJoulescope(b, "2")])
    with pytest.raises(DeviceError, match="found JS220-1, JS220-2"):
        run(make_config(benchmark="kws", mode="energy", port=b.port, monitor="joulescope", results_dir=tmp_path,
                        dataset_dir=_kws_set(tmp_path)))
