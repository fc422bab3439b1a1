"""``mlpace tiny``: run MLPerf Tiny benchmarks on a board over serial, or on the simulator.

Commands only parse options, print progress and hand off to ``mlpace.tiny``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from mlpace.cli import app
from mlpace.errors import ConfigError

sub = typer.Typer(help="MLPerf Tiny host runner (serial protocol, performance/accuracy/energy) and simulated board.",
                  no_args_is_help=True)
app.add_typer(sub, name="tiny")
console = Console(stderr=False)


def _board(benchmark: str, mode: str, baud: Optional[int], pace: bool, jitter: float, macs_per_s: float,
           drop_rate: float = 0.0, garbage_rate: float = 0.0, hang_after: Optional[int] = None,
           hang_at_infer: Optional[int] = None, unplug_after: Optional[int] = None, seed: int = 0,
           noise_ma: float = 0.0, counter_start: int = 0, monitor: str = "mlpace"):
    from pydantic import ValidationError

    from mlpace.tiny import benchmarks
    from mlpace.tiny.sim.board import SimulatedBoard
    from mlpace.tiny.sim.cost import CostModel
    from mlpace.tiny.sim.faults import FaultPlan

    if mode not in ("performance", "energy"):
        raise ConfigError(f"simulator --mode must be performance or energy, got {mode!r}")
    if monitor not in ("mlpace", "lpm01a"):
        raise ConfigError(f"the simulator's --monitor is mlpace or lpm01a (a Joulescope is a USB device), "
                          f"got {monitor!r}")
    bench = benchmarks.get(benchmark)
    try:
        cost = CostModel(macs=bench.macs, macs_per_s=macs_per_s, jitter=jitter)
        faults = FaultPlan(drop_rate=drop_rate, garbage_rate=garbage_rate, hang_after=hang_after,
                           hang_at_infer=hang_at_infer, unplug_after=unplug_after, seed=seed)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"simulator option {'.'.join(map(str, err['loc']))!r}: {err['msg']}") from None
    return SimulatedBoard(bench.name, mode=mode, baud=baud, pace=pace, faults=faults, cost=cost, seed=seed,
                          noise_ma=noise_ma, counter_start_us=counter_start,
                          monitor=monitor)


@sub.command("simulate")
def simulate(
    benchmark: str = typer.Option(..., "--benchmark", "-b", help="ic, vww, kws or ad (or ic01, ...)"),
    mode: str = typer.Option("performance", help="firmware timestamp mode: performance or energy"),
    baud: Optional[int] = typer.Option(None, help="UART baud rate (default 115200; 9600 in energy mode)"),
    pace: bool = typer.Option(True, "--pace/--no-pace", help="pace bytes at the baud rate like a real UART"),
    jitter: float = typer.Option(0.01, help="relative std-dev of each inference's duration"),
    macs_per_s: float = typer.Option(50e6, help="simulated MCU speed in MAC/s (cost model)"),
    drop_rate: float = typer.Option(0.0, help="fault: probability each output byte is lost"),
    garbage_rate: float = typer.Option(0.0, help="fault: probability an output line is replaced by noise"),
    hang_after: Optional[int] = typer.Option(None, help="fault: stop answering after this many commands"),
    hang_at_infer: Optional[int] = typer.Option(None, help="fault: the k-th infer never finishes"),
    unplug_after: Optional[int] = typer.Option(None, help="fault: vanish from the bus after this many commands"),
    seed: int = typer.Option(0, help="seed of jitter, noise and faults"),
    counter_start: int = typer.Option(0, help="value of the DUT's 32-bit microsecond counter when the host first "
                                      "connects (e.g. 4290000000 wraps it about 5 s later)"),
    monitor: str = typer.Option("mlpace", help="energy mode: the simulated monitor's protocol, mlpace or lpm01a "
                                "(the STM32 power shield's)"),
) -> None:
    """Expose a simulated board on a pseudo-terminal and serve until Ctrl-C."""
    if not 0 <= counter_start < 2**32:
        raise ConfigError(f"--counter-start must be in 0..{2**32 - 1}, got {counter_start}")
    board = _board(benchmark, mode, baud, pace, jitter, macs_per_s, drop_rate, garbage_rate, hang_after,
                   hang_at_infer, unplug_after, seed, counter_start=counter_start, monitor=monitor)
    board.start()
    c = board.cost
    console.print(f"simulated {board.bench.model_id} board ({mode} firmware, {board.baud} baud)")
    console.print(f"  cost model: {c.inference_us / 1000:.3f} ms/inference → {c.throughput:.3f} inf./sec., "
                  f"{c.energy_uj:.3f} uJ/inf.")
    label = "IO manager port" if mode == "energy" else "DUT port"
    console.print(f"{label}: {board.port}")
    if board.monitor_port:
        console.print(f"energy monitor port: {board.monitor_port}")
    extra = f" --monitor-port {board.monitor_port}" if board.monitor_port else ""
    extra += f" --monitor {monitor}" if mode == "energy" and monitor != "mlpace" else ""
    console.print(f"try: mlpace tiny run --port {board.port}{extra} --benchmark {board.bench.name} --mode {mode}")
    console.print("Ctrl-C to stop.")
    try:
        board.server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        board.stop()


@sub.command("run")
def run_cmd(
    benchmark: str = typer.Option(..., "--benchmark", "-b", help="ic, vww, kws or ad (or ic01, ...)"),
    mode: str = typer.Option("performance", "--mode", "-m", help="performance, accuracy or energy"),
    port: Optional[str] = typer.Option(None, help="serial port of the DUT (or of the IO manager in energy mode)"),
    monitor_port: Optional[str] = typer.Option(None, help="serial port of the energy monitor (energy mode); "
                                               "joulescope: optional serial number"),
    monitor: str = typer.Option("mlpace", help="energy monitor: mlpace (the simulator's), lpm01a (STM32 power "
                                "shield), joulescope (JS110/JS220)"),
    monitor_voltage: float = typer.Option(3.0, help="DUT supply voltage the monitor sets (V)"),
    simulate: bool = typer.Option(False, "--simulate", help="start a simulated board and run against it"),
    baud: Optional[int] = typer.Option(None, help="baud rate (default 115200; 9600 in energy mode)"),
    system: Optional[str] = typer.Option(None, help="system name in the results tree (default: the name the "
                                         "device reports with 'name')"),
    results_dir: Path = typer.Option(Path("results"), help="root of results/<system>/<benchmark>/<mode>/<session>/"),
    windows: int = typer.Option(5, help="windows (official: 5)"),
    min_window_s: float = typer.Option(10.0, help="minimum window length in seconds (official: 10)"),
    n: Optional[int] = typer.Option(None, help="inferences per window (default: tuned automatically)"),
    warmups: Optional[int] = typer.Option(None, help="warm-up inferences W (default per benchmark)"),
    timeout: float = typer.Option(5.0, help="per-command timeout in seconds"),
    retries: int = typer.Option(2, help="retries of a command after a timeout or malformed reply"),
    dataset: Optional[Path] = typer.Option(None, help="folder with y_labels.csv and .bin files (official layout)"),
    max_files: Optional[int] = typer.Option(None, help="accuracy mode: use only the first N files"),
    sim_pace: bool = typer.Option(False, "--sim-pace/--no-sim-pace", help="with --simulate: pace at the baud rate"),
    scan: list[str] = typer.Option([], "--scan", help="without --port: also probe these paths/globs "
                                   "(e.g. the simulator's /dev/pts/N); repeatable"),
) -> None:
    """Run one benchmark in one mode and write a new session folder of the results tree."""
    from mlpace.tiny.runner import make_config, run

    if not simulate and not port:
        port = _find_port(mode, baud, scan)
    board = None
    if simulate:
        board = _board(benchmark, "energy" if mode == "energy" else "performance", baud, sim_pace, 0.01, 50e6,
                       monitor=monitor)
        board.start()
        port, monitor_port = board.port, board.monitor_port or monitor_port
        console.print(f"simulated board on {port}" + (f", energy monitor on {monitor_port}" if monitor_port else ""))
    try:
        config = make_config(benchmark=benchmark, mode=mode, port=port, monitor_port=monitor_port, baud=baud,
                             monitor=monitor, monitor_voltage_v=monitor_voltage,
                             system=system, results_dir=results_dir, windows=windows, min_window_s=min_window_s,
                             n=n, warmups=warmups, command_timeout_s=timeout, retries=retries, dataset_dir=dataset,
                             max_files=max_files)
        result = run(config, progress=_progress)
    finally:
        if board is not None:
            board.stop()
    _summary(result, config)


def _find_port(mode: str, baud: Optional[int], scan: list[str]) -> str:
    """No --port: probe the ports, take the only device that answers, else ask."""
    import sys

    from mlpace.tiny import protocol as p
    from mlpace.tiny.discover import discover, pick

    energy = mode == "energy"
    ports = discover(scan, baud or (p.ENERGY_BAUD if energy else p.DEFAULT_BAUD))

    def choose(fitting):
        if not sys.stdin.isatty():
            return pick(fitting, fitting[0].role or "dut")  # several: raises the listing error
        for i, q in enumerate(fitting, 1):
            console.print(f"  {i}: {q.device} {q.vid_pid} {q.name}")
        k = typer.prompt("which device", type=typer.IntRange(1, len(fitting)))
        return fitting[k - 1]

    found = pick(ports, "io" if energy else "dut", choose)
    console.print(f"using {found.device}: {found.name}")
    return found.device


@sub.command("devices")
def devices_cmd(
    scan: list[str] = typer.Option([], "--scan", help="also probe these paths or globs (e.g. /dev/pts/7); "
                                   "repeatable"),
    baud: int = typer.Option(115200, help="baud rate of the probe (9600 for energy-mode boards)"),
    timeout: float = typer.Option(2.0, help="seconds to wait for an answer per port"),
    monitors: bool = typer.Option(True, "--monitors/--no-monitors", help="also ask silent ports 'powershield' "
                                  "(an STM32 LPM01A energy monitor)"),
) -> None:
    """List serial ports (USB VID:PID) and what answers 'name%' (or 'powershield') on each."""
    from mlpace.tiny.discover import discover

    if timeout <= 0:
        raise ConfigError(f"--timeout must be > 0, got {timeout}")
    ports = discover(scan, baud, timeout, monitors=monitors)
    table = Table(title=f"serial ports (probed with name% at {baud} baud)")
    for col in ("port", "VID:PID", "description", "answers"):
        table.add_column(col, overflow="fold")
    for q in ports:
        answer = f"{q.role}: {q.name}" if q.answered else f"[dim]{q.error or 'silent'}[/dim]"
        table.add_row(q.device, q.vid_pid, q.description, answer)
    console.print(table)
    if not ports:
        console.print("no serial ports found; add --scan PATH for ports pyserial does not list")


def _progress(event: str, info: dict) -> None:
    if event == "connected":
        console.print(f"connected: {info['name']} running {info['model']} ({info['mode']} firmware)")
    elif event == "calibrated":
        console.print(f"calibration: N={info['n']} took {info['runtime_s']:.3f} s")
    elif event == "window":
        energy = f", {info['uj_per_inference']:.3f} uJ/inf." if info.get("uj_per_inference") is not None else ""
        console.print(f"window {info['index']}/{info['of']}: N={info['n']}, {info['runtime_s']:.3f} s, "
                      f"{info['throughput']:.3f} inf./sec.{energy}")
    elif event == "file" and (info["index"] % 50 == 0 or info["index"] == info["of"]):
        console.print(f"accuracy: {info['index']}/{info['of']} files")


def _summary(result, config) -> None:
    from mlpace.tiny.results import official_lines

    table = Table(title=f"{result.model_id} {result.mode}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    if result.median_throughput is not None:
        table.add_row("median throughput (inf./sec.)", f"{result.median_throughput:.3f}")
        table.add_row("latency (ms)", f"{result.latency_ms:.3f}")
    if result.median_uj_per_inference is not None:
        table.add_row("median energy (uJ/inf.)", f"{result.median_uj_per_inference:.3f}")
    if result.top1 is not None:
        table.add_row("top-1", f"{result.top1 * 100:.1f}%")
    if result.auc is not None:
        table.add_row("AUC", f"{result.auc:.3f}")
    if result.mode != "accuracy":
        table.add_row("compliant window rules", "yes" if result.compliant else "no")
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    for line in official_lines(result):  # the official result lines, exactly as in results.txt
        print(line, flush=True)
    console.print(f"results: {result.folder} (and {Path(result.folder).parent / 'latest'})", soft_wrap=True)


@sub.command("data")
def data_cmd(
    benchmark: str = typer.Option(..., "--benchmark", "-b", help="ic, vww, kws or ad"),
    out: Path = typer.Option(..., "--out", help="folder to write y_labels.csv and the .bin files into"),
) -> None:
    """Write a benchmark's embeddable accuracy set in the official file layout."""
    from mlpace.tiny import benchmarks, dataset

    bench = benchmarks.get(benchmark)
    samples = benchmarks.accuracy_samples(bench)
    dataset.write_dataset(bench, samples, out)
    console.print(f"wrote {len(samples)} files and {dataset.LABELS_FILE} to {out} ({bench.data_note})")


@sub.command("score")
def score_cmd(
    path: Path = typer.Argument(..., help="a log.txt (serial transcript), a results.txt, a run folder or a "
                                "results tree, from mlpace, the EEMBC runner/EnergyRunner or the mlcommons/tiny "
                                "runner"),
    mode: Optional[str] = typer.Option(None, help="performance, accuracy or energy (default: from the folder or log)"),
    benchmark: Optional[str] = typer.Option(None, "--benchmark", "-b",
                                            help="default: from m-model-[...] or the folder"),
    labels: Optional[Path] = typer.Option(None, help="y_labels.csv for accuracy (default: beside the log)"),
    write: bool = typer.Option(False, "--write", help="write the re-scored results.txt beside the log"),
    force: bool = typer.Option(False, "--force", help="with --write: replace an existing results.txt"),
) -> None:
    """Re-score a Tiny log or results folder and print the official result lines."""
    from mlpace.tiny.score import score_path, write_results_txt

    scores = score_path(path, mode=mode, benchmark=benchmark, labels=labels)
    bad = 0
    for s in scores:
        r = s.result
        head = f"{s.source} ({r.model_id} {r.mode}; {s.fmt or 'no figures'}"
        head += f"; {len(r.windows)} windows)" if r.mode != "accuracy" else f"; {r.files} files)"
        console.print(head, markup=False, highlight=False, soft_wrap=True)
        for line in s.lines:
            print(line, flush=True)
        for note in s.notes:
            console.print(f"  note: {note}", markup=False, highlight=False, soft_wrap=True)
        if r.mode != "accuracy" and r.windows and not r.compliant:
            console.print(f"  note: not MLPerf-compliant windows ({len(r.windows)} windows, shortest "
                          f"{min(w.runtime_s for w in r.windows):.3f} s; 5 of >= 10 s required)",
                          markup=False, soft_wrap=True)
        diffs = s.disagreements()
        if s.reported:
            if diffs:
                bad += 1
                for d in diffs:
                    console.print(f"  [red]DIFFERS[/red] from results.txt: {d}")
            else:
                console.print("  matches the figures in results.txt")
        if write:
            console.print(f"  wrote {write_results_txt(s, force=force)}")
    if bad:
        raise typer.Exit(1)
