"""Protocol round trips against the simulated board over a real pseudo-terminal."""

import time

import pytest

from mlpace.errors import DeviceError
from mlpace.tiny import protocol as p
from mlpace.tiny.dut import DutClient
from mlpace.tiny.link import SerialLink
from mlpace.tiny.transcript import Transcript


def connect(port, baud=p.DEFAULT_BAUD, **kw):
    tr = Transcript()
    link = SerialLink(port, baud, tr, source=kw.pop("source", "dut"))
    return DutClient(link, command_timeout_s=kw.pop("timeout", 1.0), boot_wait_s=1.0, **kw), tr


def test_boot_name_profile_load_print_infer_round_trip(board):
    b = board("ic")
    dut, tr = connect(b.port)
    try:
        assert dut.boot() == p.MODE_PERFORMANCE
        assert "boot banner" in dut.mode_source
        dut.identify()
        assert (dut.name, dut.profile, dut.model) == ("mlpace simulated DUT", p.PROFILE_TEXT, "ic01")
        data = bytes((i * 7) % 256 for i in range(3072))
        dut.load(data)
        assert bytes(b.firmware.buffer) == data  # every hex chunk arrived intact
        printed = dut.command("db print 16 8")
        assert printed == ["m-buffer-" + "-".join(f"{x:02x}" for x in data[8:16]),
                           "m-buffer-" + "-".join(f"{x:02x}" for x in data[16:24])]
        reply = dut.infer(20, 5)
        assert reply.elapsed_us == round(20 * b.cost.inference_us)
        assert reply.results == [1.0 if i == data[0] % 10 else 0.0 for i in range(10)]
        assert dut.results() == reply.results
        with pytest.raises(DeviceError, match="rejected 'frobnicate': Unknown command: frobnicate"):
            dut.command("frobnicate")
    finally:
        dut.link.close()
    log = tr.lines()
    assert any(line.endswith('parser: Command "infer 20 5"') for line in log)
    assert any(line.endswith("dut: m-infer-done") for line in log)
    assert all(line[9] == " " and line[:9].replace(".", "").isdigit() for line in log)


def test_mode_probe_when_banner_was_missed(board):
    b = board("ic")
    first, _ = connect(b.port)
    first.boot()
    # Reading the banner off the pty consumes it; a client that starts later without a reset
    # must fall back to the timestamp probe. Simulate by reading with a zero boot wait.
    first.boot_wait_s = 0.0
    first.mode = None
    assert first.boot() == p.MODE_PERFORMANCE
    assert "reply to 'timestamp'" in first.mode_source
    first.link.close()


def test_energy_board_through_io_manager(board):
    b = board("kws", mode=p.MODE_ENERGY)
    dut, _ = connect(b.port, p.ENERGY_BAUD, via_io_manager=True, source="io")
    try:
        assert dut.boot() == p.MODE_ENERGY
        dut.identify()
        assert dut.model == "kws01"
        data = bytes(range(256)) * 2
        dut.load(data[:490])
        assert bytes(b.firmware.buffer) == data[:490]
        edges_before = len(b.trace.edges_us)
        reply = dut.infer(10, 1)
        assert reply.elapsed_us is None and len(reply.results) == 12
        assert len(b.trace.edges_us) == edges_before + 2
    finally:
        dut.link.close()


def test_baud_pacing_matches_the_line_rate(board):
    b = board("kws", mode=p.MODE_ENERGY, pace=True)  # 9600 baud: about 1 ms per byte
    dut, _ = connect(b.port, p.ENERGY_BAUD, via_io_manager=True, timeout=3.0)
    try:
        dut.boot()
        t0 = time.monotonic()
        lines = dut.command("name")
        elapsed = time.monotonic() - t0
    finally:
        dut.link.close()
    sent = len("dut name%")
    received = sum(len(s) + 2 for s in ["m-dut-passthrough(name)", "m-ready", "[dut]: " + lines[0], "[dut]: m-ready"])
    assert elapsed >= (sent + received) * 10 / 9600 * 0.95


def test_missing_port_is_a_clear_error(tmp_path):
    with pytest.raises(DeviceError, match="cannot open serial port .*plugged in"):
        SerialLink(str(tmp_path / "ttyNOPE"), 115200, Transcript())
