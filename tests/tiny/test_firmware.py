"""The simulated firmware's state machine, without any serial port."""

import numpy as np

from mlpace.tiny import protocol as p
from mlpace.tiny.sim.cost import CostModel
from mlpace.tiny.sim.firmware import Firmware
from mlpace.tiny.sim.io_manager import IOManager
from mlpace.tiny.sim.power import PowerTrace, VirtualClock


def make(mode=p.MODE_PERFORMANCE, **cost):
    model = lambda payload: [payload[0] / 255.0, 1 - payload[0] / 255.0]  # noqa: E731
    trace = PowerTrace(idle_ma=1.0)
    return Firmware(model, "vww01", CostModel(macs=1e6, **cost), mode=mode, trace=trace, clock=VirtualClock())


def test_boot_banner_performance_and_energy():
    perf = make().boot_lines()
    assert perf[0] == "m-timestamp-mode-performance" and perf[1].startswith("m-lap-us-")
    assert perf[2:] == ["m-init-done", "m-ready"]
    fw = make(p.MODE_ENERGY)
    assert fw.boot_lines() == ["m-timestamp-mode-energy", "m-init-done", "m-ready"]
    assert len(fw.trace.edges_us) == 1  # th_timestamp_initialize pulses the pin once


def test_every_command_ends_with_ready_and_unknown_is_an_error():
    fw = make()
    assert fw.handle("name") == ["m-name-dut-[mlpace simulated DUT]", "m-ready"]
    assert fw.handle("profile") == ["m-profile-[ULPMark for tinyML Firmware V0.0.1]", "m-model-[vww01]", "m-ready"]
    assert fw.handle("bogus 1") == ["e-[Unknown command: bogus 1]", "m-ready"]
    assert fw.handle("help")[-1] == "m-ready"


def test_db_load_chunks_print_and_errors():
    fw = make()
    assert fw.handle("db load 10") == ["m-[Expecting 10 bytes]", "m-ready"]
    assert fw.handle("db 0001020304") == ["m-ready"]
    assert fw.handle("db 05060708090a0b0c") == ["m-load-done", "m-ready"]  # surplus ignored
    assert bytes(fw.buffer) == bytes(range(10))
    assert fw.handle("db print 10") == ["m-buffer-00-01-02-03-04-05-06-07", "m-buffer-08-09", "m-ready"]
    assert fw.handle("db 123")[0].startswith("e-[") and fw.handle("db zz")[0].startswith("e-[")
    assert fw.handle(f"db load {p.MAX_DB_BYTES + 1}")[0].startswith("e-[")
    assert fw.handle("db load 0")[0].startswith("e-[")


def test_infer_sequence_timing_comes_from_cost_model():
    fw = make()
    fw.handle("db load 2")
    fw.handle("db 33cc")
    lines = fw.handle("infer 100 3")
    r = p.parse_infer_reply(lines[:-1], 100, 3, p.MODE_PERFORMANCE)
    assert r.elapsed_us == round(100 * fw.cost.inference_us)
    assert r.results == [0.2, 0.8]
    assert fw.handle("results") == ["m-results-[0.200,0.800]", "m-ready"]


def test_infer_without_tensor_is_an_error():
    assert make().handle("infer 1 0")[0].startswith("e-[infer: input tensor not loaded")


def test_energy_mode_infer_emits_edges_and_active_current():
    fw = make(p.MODE_ENERGY)
    fw.handle("db load 1")
    fw.handle("db 00")
    lines = fw.handle("infer 50 2")
    assert not any(ln.startswith("m-lap-us-") for ln in lines)
    a, b = fw.trace.edges_us[-2:]
    assert b - a == round(50 * fw.cost.inference_us)
    warmup_us = 2 * fw.cost.inference_us
    current, edges = fw.trace.capture(a - 100_000, b + 5000, 1000.0)
    assert edges == [100_000, 100_000 + b - a]
    assert np.isclose(current[101 : len(current) - 6].mean(), fw.cost.active_ma)  # timed inferences
    assert np.allclose(current[: int(100 - warmup_us / 1000) - 1], fw.cost.idle_ma)  # before the warm-up
    assert np.isclose(current[int(100 - warmup_us / 1000) + 1 : 99].mean(), fw.cost.active_ma)  # warm-up


def test_io_manager_passthrough_and_prefix():
    io = IOManager(make(p.MODE_ENERGY))
    assert io.handle("dut name") == ["m-dut-passthrough(name)", "m-ready", "[dut]: m-name-dut-[mlpace simulated DUT]",
                                     "[dut]: m-ready"]
    assert io.boot_lines()[0] == "[dut]: m-timestamp-mode-energy"
    assert io.handle("enable-timer") == ["m-timer-enabled", "m-ready"]
    assert io.handle("nope")[0].startswith("e-[Unknown command")


def test_jitter_is_seeded_and_centred():
    rng1, rng2 = np.random.default_rng(3), np.random.default_rng(3)
    cost = CostModel(macs=1e6, jitter=0.05)
    assert cost.batch_us(1000, rng1) == cost.batch_us(1000, rng2)
    draws = [cost.batch_us(100, rng1) for _ in range(400)]
    assert abs(np.mean(draws) / (100 * cost.inference_us) - 1) < 0.003
