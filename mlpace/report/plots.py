"""Latency plots (matplotlib, headless): distribution and CDF with the reported percentiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def latency_plot(latencies_ns: np.ndarray, path: Path, title: str, marks: dict[str, float],
                 bound_ns: float | None = None) -> Path:
    """Histogram (log-scaled x when the spread is wide) and CDF of latencies, in ms."""
    import matplotlib.pyplot as plt

    fig = latency_figure(latencies_ns, title, marks, bound_ns)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def latency_figure(latencies_ns: np.ndarray, title: str, marks: dict[str, float], bound_ns: float | None = None):
    """The matplotlib figure behind :func:`latency_plot` (the caller closes it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lat_ms = np.asarray(latencies_ns, dtype=np.float64) / 1e6
    fig, (ax_h, ax_c) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    fig.suptitle(title)
    if len(lat_ms):
        lo, hi = max(lat_ms.min(), 1e-6), max(lat_ms.max(), 1e-6)
        log = hi / lo > 20
        bins = np.geomspace(lo, hi * 1.0001, 60) if log else 60
        ax_h.hist(lat_ms, bins=bins, color="#4477aa")
        if log:
            from mlpace.report.draw import _log_axis

            for ax in (ax_h, ax_c):  # plain-number 1-2-5 ticks: default minor labels overlap
                ax.set_xscale("log")
                _log_axis(ax.xaxis, lo, hi)
        # a CDF from at most 5000 points keeps big runs quick to draw
        step = max(1, len(lat_ms) // 5000)
        xs = lat_ms[::step]
        ax_c.plot(xs, np.linspace(0, 1, len(xs)), color="#4477aa")
        colours = ["#228833", "#ccbb44", "#ee6677", "#aa3377", "#66ccee", "#bbbbbb"]
        for (label, value), colour in zip(marks.items(), colours):
            for ax in (ax_h, ax_c):
                ax.axvline(value / 1e6, color=colour, linestyle="--", linewidth=1, label=label)
        if bound_ns and bound_ns / 1e6 <= 3 * hi:
            for ax in (ax_h, ax_c):
                ax.axvline(bound_ns / 1e6, color="red", linewidth=1.5, label="latency bound")
        elif bound_ns:  # far right of every sample: say so instead of squashing the plot
            ax_c.text(0.98, 0.5, f"latency bound {bound_ns / 1e6:g} ms\n(off the chart)",
                      transform=ax_c.transAxes, ha="right", color="red", fontsize=8)
        ax_c.legend(fontsize=7, loc="lower right")
    if len(lat_ms) and not log:
        from matplotlib.ticker import MaxNLocator

        for ax in (ax_h, ax_c):
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax_h.set_xlabel("latency (ms)")
    ax_h.set_ylabel("samples per bin")
    ax_c.set_xlabel("latency (ms)")
    ax_c.set_ylabel("fraction ≤ latency")
    return fig


def percentile_plot(percentiles: dict[float, int], path: Path, title: str, bound_ns: float | None = None) -> Path:
    """Bar chart of logged latency percentiles (when no per-sample latencies exist)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"p{p * 100:g}" for p in percentiles]
    values = [v / 1e6 for v in percentiles.values()]
    fig, ax = plt.subplots(figsize=(6, 3.4), constrained_layout=True)
    ax.bar(labels, values, color="#4477aa")
    if bound_ns and bound_ns / 1e6 <= 3 * max(values, default=0):
        ax.axhline(bound_ns / 1e6, color="red", linewidth=1.5, label="latency bound")
        ax.legend(fontsize=8)
    ax.set_ylabel("latency (ms)")
    ax.set_title(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
