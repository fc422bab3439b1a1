"""Each injected fault ends in the documented DeviceError, quickly, with finished work kept."""

import time
from pathlib import Path

import pytest

from mlpace.errors import DeviceError
from mlpace.tiny import protocol as p
from mlpace.tiny.runner import make_config, run
from mlpace.tiny.sim.faults import FaultPlan

SEED = 1


def results_text(fast, bench="ic", mode="performance"):
    """results.txt of the one (failed) session a run wrote."""
    found = [p for p in fast["results_dir"].glob(f"*/{bench}/{mode}/*/results.txt")]
    assert len(found) == 1, found
    return found[0].read_text()


def test_energy_firmware_refused_by_performance_run(board, fast):
    b = board("ic", mode=p.MODE_ENERGY, io_manager=False)  # energy firmware on a direct USB-UART
    with pytest.raises(DeviceError, match=r"timestamp mode mismatch.*needs 'performance'.*'energy' mode.*boot banner"):
        run(make_config(benchmark="ic", port=b.port, baud=p.ENERGY_BAUD, **fast))
    assert "Run incomplete: timestamp mode mismatch" in results_text(fast)


def test_io_manager_port_given_to_performance_run(board, fast):
    b = board("ic", mode=p.MODE_ENERGY)
    with pytest.raises(DeviceError, match=r"timestamp mode mismatch.*this port is an IO manager"):
        run(make_config(benchmark="ic", port=b.port, baud=p.ENERGY_BAUD, **fast))


def test_energy_firmware_without_banner_detected_by_probe(board, fast):
    from mlpace.tiny.dut import DutClient
    from mlpace.tiny.link import SerialLink
    from mlpace.tiny.transcript import Transcript

    b = board("ic", mode=p.MODE_ENERGY, io_manager=False)
    dut = DutClient(SerialLink(b.port, p.ENERGY_BAUD, Transcript()), boot_wait_s=0.0, command_timeout_s=1.0)
    try:
        assert dut.boot() == p.MODE_ENERGY and "no m-lap-us- line" in dut.mode_source
    finally:
        dut.link.close()


def test_performance_firmware_refused_by_energy_run(board, fast):
    perf = board("ic")
    monitor_host = board("ic", mode=p.MODE_ENERGY)  # only its monitor port is used
    with pytest.raises(DeviceError, match=r"timestamp mode mismatch.*needs 'energy'"):
        run(make_config(benchmark="ic", mode="energy", port=perf.port, baud=p.DEFAULT_BAUD,
                        monitor_port=monitor_host.monitor_port, **fast))


def test_wrong_baud_names_the_baud_rate(board, fast):
    b = board("ic", baud=9600)
    t0 = time.monotonic()
    with pytest.raises(DeviceError, match=r"baud rate is probably wrong \(this link runs at 115200"):
        run(make_config(benchmark="ic", port=b.port, **fast))
    assert time.monotonic() - t0 < 10


def test_garbage_only_replies(board, fast):
    b = board("ic", faults=FaultPlan(garbage_rate=1.0, seed=1))
    with pytest.raises(DeviceError, match=r"expected 'm-ready' within 0.4 s.*undecodable"):
        run(make_config(benchmark="ic", port=b.port, **fast))


def test_occasional_dropped_bytes_and_garbage_are_retried(board, fast):
    b = board("ic", faults=FaultPlan(drop_rate=0.0002, garbage_rate=0.003, seed=SEED))
    fast.update(retries=6, min_window_s=1.0, windows=3)
    r = run(make_config(benchmark="ic", port=b.port, **fast))
    assert len(r.windows) == 3
    assert b.server._mangler.mangled > 0  # faults really happened (fixed seed)
    log = (Path(r.folder) / "log.txt").read_text()
    assert "retry 1/6" in log


def test_hung_inference_keeps_finished_windows(board, fast):
    b = board("ic", faults=FaultPlan(hang_at_infer=4))  # calibration + 2 windows finish, window 3 hangs
    t0 = time.monotonic()
    with pytest.raises(DeviceError, match=r"sent 'infer \d+ 5'.*expected 'm-ready'.*stopped answering"):
        run(make_config(benchmark="ic", port=b.port, **fast))
    assert time.monotonic() - t0 < 15
    text = results_text(fast)
    assert "Performance results for window 4:" in text and "window 6" not in text
    assert "Run incomplete:" in text and "Only 2 of 5 windows completed" not in text


def test_device_that_stops_answering(board, fast):
    b = board("ic", faults=FaultPlan(hang_after=3))
    with pytest.raises(DeviceError, match="stopped answering"):
        run(make_config(benchmark="ic", port=b.port, **fast))


def test_unplugged_mid_run(board, fast):
    b = board("ic", faults=FaultPlan(unplug_after=20))
    with pytest.raises(DeviceError, match=r"lost the serial link to .* unplugged"):
        run(make_config(benchmark="ic", port=b.port, **fast))


def test_silent_port_says_nothing_arrived(fast):
    import os
    import pty
    import tty

    master, slave = pty.openpty()  # a port with nothing behind it
    tty.setraw(slave)
    try:
        with pytest.raises(DeviceError, match="never sent a byte"):
            run(make_config(benchmark="ic", port=os.ttyname(slave), **fast))
    finally:
        os.close(slave)
        os.close(master)


def test_malformed_reply_with_retries_0_does_not_blame_a_silent_device(board, fast, monkeypatch):
    b = board("ic")
    monkeypatch.setattr(b.firmware, "_infer", lambda args: ["m-warmup-start-5", "m-warmup-done"])  # no laps, no results
    with pytest.raises(DeviceError) as err:
        run(make_config(benchmark="ic", port=b.port, **dict(fast, retries=0)))
    assert "malformed reply to 'infer" in str(err.value) and "(1 try)" in str(err.value)
    assert "did not have the protocol's shape" in str(err.value) and "stopped answering" not in str(err.value)
