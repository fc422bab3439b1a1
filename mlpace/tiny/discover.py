"""Find MLPerf Tiny devices: list serial ports (with USB VID:PID) and ask each ``name%``.

``serial.tools.list_ports`` finds USB-UARTs; ports it cannot see (the simulator's
pseudo-terminals, ``socket://`` bridges) are added with ``scan`` globs such as
``/dev/pts/7``. A probe opens the port, sends ``name%`` and waits a short time for
``m-name-<role>-[<name>]`` (role ``dut`` on a DUT, ``io`` on an interface board; lines
relayed by an interface board carry the ``[dut]: `` prefix). With ``monitors``, a port
that does not answer is also asked ``powershield`` at the LPM01A's 3686400 baud (role
``lpm01a``). Nothing is retried: a port that does not answer in time is listed as silent.
"""

from __future__ import annotations

import glob
import time
from dataclasses import dataclass

from mlpace.errors import ConfigError, DeviceError
from mlpace.tiny import protocol as p

PROBE_TIMEOUT_S = 2.0  # the energyrunner issue #6 advice: 2 s for a slow first answer


@dataclass
class Port:
    """One candidate port and what answered on it."""

    device: str
    vid_pid: str = ""
    description: str = ""
    role: str | None = None  # "dut" or "io" when something answered name%
    name: str | None = None
    error: str = ""

    @property
    def answered(self) -> bool:
        return self.name is not None


def list_ports(scan: list[str] | None = None) -> list[Port]:
    """USB/serial ports pyserial reports, plus the paths matching each ``scan`` glob."""
    from serial.tools import list_ports as lp

    out: dict[str, Port] = {}
    for info in sorted(lp.comports(), key=lambda i: i.device):
        vid_pid = f"{info.vid:04X}:{info.pid:04X}" if info.vid is not None and info.pid is not None else ""
        desc = info.description if info.description and info.description != "n/a" else ""
        out[info.device] = Port(info.device, vid_pid, desc)
    for pattern in scan or []:
        matches = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
        for path in matches:
            out.setdefault(path, Port(path, "", "scanned path"))
    return list(out.values())


def probe(port: Port, baud: int = p.DEFAULT_BAUD, timeout_s: float = PROBE_TIMEOUT_S) -> Port:
    """Send ``name%`` to ``port`` and record who answers (in place; also returned)."""
    from mlpace.tiny.link import SerialLink
    from mlpace.tiny.transcript import Transcript

    try:
        link = SerialLink(port.device, baud, Transcript(), source="probe")
    except DeviceError as exc:
        port.error = str(exc).split(";")[0]
        return port
    try:
        time.sleep(0.05)
        link.send("name")
        deadline = time.monotonic() + timeout_s
        while True:
            line = link.read_line(deadline, "an answer to 'name'")
            if line is None:
                port.error = "no answer to 'name%'" if link.bytes_received == 0 else (
                    f"answered, but not 'm-name-...' (last: {list(link.recent)[-1:]})")
                break
            if line.startswith(p.DUT_PREFIX):
                line = line[len(p.DUT_PREFIX):]
            parsed = p.parse_name(line)
            if parsed:
                port.role, port.name = parsed
                break
    except DeviceError as exc:
        port.error = str(exc).split(";")[0]
    finally:
        link.close()
    return port


def probe_lpm01a(port: Port, timeout_s: float = 0.5) -> Port:
    """Ask ``powershield`` at the LPM01A's baud; record ``lpm01a`` and its board id if it acks."""
    from mlpace.tiny.link import SerialLink
    from mlpace.tiny.monitors import lpm01a_protocol as lp
    from mlpace.tiny.transcript import Transcript

    try:
        link = SerialLink(port.device, lp.BAUD, Transcript(), source="probe")
    except DeviceError:
        return port
    try:
        link.send_line("", lp.EOL)  # end whatever partial line (e.g. our name%) the shield holds
        link.drain(quiet_s=0.05, max_s=0.3)
        link.send_line("powershield", lp.EOL)
        deadline = time.monotonic() + timeout_s
        acked = False
        while (line := link.read_line(deadline, "an answer to 'powershield'")) is not None:
            text = line.replace(lp.PROMPT, "").strip()
            if text == "ack powershield":
                acked = True
                port.role, port.name, port.error = "lpm01a", "STM32 LPM01A power shield", ""
            elif acked and text:
                port.name = f"STM32 LPM01A power shield ({text})"
                break
    except DeviceError:
        pass
    finally:
        link.close()
    return port


def discover(scan: list[str] | None = None, baud: int = p.DEFAULT_BAUD,
             timeout_s: float = PROBE_TIMEOUT_S, monitors: bool = False) -> list[Port]:
    """Every candidate port, probed one after the other (``monitors``: silent ones as LPM01A too)."""
    out = []
    for port in list_ports(scan):
        probe(port, baud, timeout_s)
        if monitors and not port.answered:
            probe_lpm01a(port, min(timeout_s, 0.5))
        out.append(port)
    return out


def pick(ports: list[Port], role: str, choose=None) -> Port:
    """The one port whose device answered with ``role``; with several, ``choose(ports)``
    decides (the CLI asks the user), else a ``ConfigError`` lists them."""
    fitting = [q for q in ports if q.role == role]
    if len(fitting) == 1:
        return fitting[0]
    what = "DUT" if role == "dut" else "IO manager (interface board)"
    if not fitting:
        tried = ", ".join(q.device for q in ports) or "none found"
        raise ConfigError(f"no {what} answered 'name%' (ports tried: {tried}); give --port, or --scan PATH for a "
                          "port pyserial does not list (e.g. the simulator's /dev/pts/N)")
    if choose is not None:
        return choose(fitting)
    listing = "; ".join(f"{q.device} ({q.name})" for q in fitting)
    raise ConfigError(f"{len(fitting)} devices answered as {what}: {listing}; choose one with --port")
