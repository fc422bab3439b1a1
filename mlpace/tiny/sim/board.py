"""A complete simulated board for one benchmark: DUT firmware with a real model, and in
energy mode the IO manager and energy monitor around it, each on its own pseudo-terminal.
"""

from __future__ import annotations

from mlpace.tiny import benchmarks
from mlpace.tiny import protocol as p
from mlpace.tiny.sim.cost import CostModel
from mlpace.tiny.sim.faults import FaultPlan
from mlpace.tiny.sim.firmware import Firmware, Model
from mlpace.tiny.sim.io_manager import IOManager
from mlpace.tiny.sim.lpm01a import SimulatedLPM01A
from mlpace.tiny.sim.monitor import MonitorFirmware
from mlpace.tiny.sim.power import PowerTrace, VirtualClock
from mlpace.tiny.sim.server import PtyServer


class SimulatedBoard:
    """Start with ``start()`` (or ``with``); hosts open ``port`` (and ``monitor_port``)."""

    def __init__(
        self,
        benchmark: str,
        *,
        mode: str = p.MODE_PERFORMANCE,
        baud: int | None = None,
        pace: bool = True,
        faults: FaultPlan | None = None,
        cost: CostModel | None = None,
        model: Model | None = None,
        seed: int = 0,
        monitor_rate_hz: float = 1000.0,
        noise_ma: float = 0.0,
        boot_delay_s: float = 0.05,
        io_manager: bool | None = None,
        counter_start_us: int = 0,
        monitor: str = "mlpace",
    ) -> None:
        if mode not in p.TIMESTAMP_MODES:
            raise ValueError(f"mode must be one of {p.TIMESTAMP_MODES}")
        self.bench = benchmarks.get(benchmark)
        self.mode = mode
        self.cost = cost or CostModel(macs=self.bench.macs)
        if model is None:
            from mlpace.tiny.models import TinyModel

            model = TinyModel(self.bench)
        self.clock = VirtualClock()
        self.trace = PowerTrace(self.cost.idle_ma, noise_ma=noise_ma, seed=seed)
        self.firmware = Firmware(model, self.bench.model_id, self.cost, mode=mode, clock=self.clock,
                                 trace=self.trace, seed=seed,
                                 counter_start_us=counter_start_us)
        energy = mode == p.MODE_ENERGY
        self.baud = baud or (p.ENERGY_BAUD if energy else p.DEFAULT_BAUD)
        # Energy firmware normally sits behind an IO manager; io_manager=False wires it
        # straight to the host (the classic mistake of running it under the performance runner).
        handler = IOManager(self.firmware) if (energy if io_manager is None else io_manager) else self.firmware
        self.server = PtyServer(handler, baud=self.baud, pace=pace, faults=faults, boot_delay_s=boot_delay_s,
                                on_boot=self.firmware.reset)
        self.monitor_server: PtyServer | SimulatedLPM01A | None = None
        if energy and monitor == "lpm01a":  # the STM32 power shield's own serial protocol
            self.monitor_server = SimulatedLPM01A(self.trace, self.clock)
        elif energy and monitor == "mlpace":
            firmware = MonitorFirmware(self.trace, self.clock, self.cost.voltage_v, monitor_rate_hz)
            self.monitor_server = PtyServer(firmware, pace=False, check_baud=False, boot_delay_s=0.0)
        elif energy and monitor != "joulescope":  # joulescope: a USB device, see tests' fake
            raise ValueError(f"monitor must be mlpace, lpm01a or joulescope, got {monitor!r}")

    @property
    def port(self) -> str:
        return self.server.port

    @property
    def monitor_port(self) -> str | None:
        return self.monitor_server.port if self.monitor_server else None

    def start(self) -> "SimulatedBoard":
        self.server.start()
        if self.monitor_server:
            self.monitor_server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
        if self.monitor_server:
            self.monitor_server.stop()

    def __enter__(self) -> "SimulatedBoard":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
