"""Device discovery: ports with USB VID:PID, what answers ``name%``, and ``tiny run`` without --port."""

import os

import pytest
from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo

from mlpace.cli import main
from mlpace.errors import ConfigError
from mlpace.tiny import protocol as p
from mlpace.tiny.discover import discover, pick


@pytest.fixture
def silent_port():
    """A pseudo-terminal nobody answers on."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    yield path
    os.close(master)


@pytest.fixture
def usb_ports(monkeypatch):
    """Make pyserial's port list return the given ports as USB devices (VID:PID of an ST-LINK)."""
    listed = []

    def comports(include_links=False):
        out = []
        for path in listed:
            info = ListPortInfo(path, skip_link_detection=True)
            info.vid, info.pid, info.description = 0x0483, 0x374B, "STM32 STLink"
            out.append(info)
        return out

    monkeypatch.setattr(list_ports, "comports", comports)
    return listed


def test_discover_lists_vid_pid_and_who_answers(board, silent_port, usb_ports):
    dut = board("ic")
    usb_ports.append(dut.port)
    found = {q.device: q for q in discover(scan=[silent_port], timeout_s=0.5)}
    assert found[dut.port].vid_pid == "0483:374B" and found[dut.port].description == "STM32 STLink"
    assert (found[dut.port].role, found[dut.port].name) == ("dut", "mlpace simulated DUT")
    assert found[silent_port].name is None and "no answer" in found[silent_port].error
    assert pick(list(found.values()), "dut").device == dut.port


def test_interface_board_answers_as_io_at_9600_and_the_lpm01a_as_a_monitor(board, usb_ports):
    io = board("kws", mode=p.MODE_ENERGY, monitor="lpm01a")
    found = {q.device: q for q in discover(scan=[io.port, io.monitor_port], baud=p.ENERGY_BAUD, timeout_s=1.0,
                                           monitors=True)}
    assert (found[io.port].role, found[io.port].name) == ("io", "mlpace simulated IO manager")
    shield = found[io.monitor_port]
    assert shield.role == "lpm01a" and shield.name == "STM32 LPM01A power shield (PowerShield present SIMLPM01A0000)"


def test_pick_refuses_none_and_several(board, silent_port, usb_ports):
    a, b = board("ic"), board("ic")
    ports = discover(scan=[a.port, b.port, silent_port], timeout_s=0.5)
    with pytest.raises(ConfigError, match=r"2 devices answered as DUT: .*choose one with --port"):
        pick(ports, "dut")
    with pytest.raises(ConfigError, match="no IO manager"):
        pick(ports, "io")


def test_cli_devices_and_run_without_port(board, silent_port, usb_ports, tmp_path, capsys):
    dut = board("ic")
    assert main(["tiny", "devices", "--scan", dut.port, "--scan", silent_port, "--timeout", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "dut: mlpace simulated DUT" in out and silent_port in out
    code = main(["tiny", "run", "-b", "ic", "--scan", dut.port, "--windows", "1",
                 "--min-window-s", "0.2", "--results-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"using {dut.port}: mlpace simulated DUT" in out and "Median throughput is" in out
    assert main(["tiny", "run", "-b", "ic", "--scan", silent_port, "--results-dir", str(tmp_path)]) == 2
    assert "no DUT answered 'name%'" in capsys.readouterr().err
