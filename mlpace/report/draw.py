"""Draw a :class:`~mlpace.report.document.Figure` with matplotlib (headless): SVG text for
HTML pages, PNG files for Markdown reports.

Axis rules that keep plots readable: units in every label; on a log axis, major ticks at
1-2-5 (narrow spans) or at decades only, printed as plain numbers, minor ticks unlabelled
(matplotlib's default minor labels on a narrow log span overlap into a smear); at most
~7 labels per axis.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from mlpace.report.document import Figure

PALETTE = ["#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb"]
_MARK_COLOURS = {"percentile": ["#228833", "#ccbb44", "#ee6677", "#aa3377"], "bound": ["#cc0000"],
                 "target": ["#000000"]}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "mlpace", "font.size": 9})
    import matplotlib.pyplot as plt

    return plt


def _plain_number(v: float, _pos=None) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        return f"{v:.0e}"
    return f"{v:g}"


def _log_axis(axis, lo: float, hi: float) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    decades = math.log10(hi / lo) if lo > 0 and hi > lo else 1.0
    subs = (1.0, 2.0, 5.0) if decades < 2.5 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs, numticks=8))
    axis.set_major_formatter(FuncFormatter(_plain_number))
    axis.set_minor_formatter(NullFormatter())


def _data_range(fig: Figure, axis: str) -> tuple[float, float]:
    vals = [v for s in fig.series for v in (s.x if axis == "x" else s.y) if v is not None and v > 0]
    vals += [m.value for m in fig.marks if m.axis == axis and m.value and m.value > 0]
    return (min(vals), max(vals)) if vals else (1.0, 10.0)


def draw(fig: Figure, width: float = 6.4, height: float = 3.4):
    """A matplotlib figure for ``fig`` (the caller closes it)."""
    plt = _plt()
    mfig, ax = plt.subplots(figsize=(width, height), constrained_layout=True)
    ax.set_title(fig.title, fontsize=10)
    for i, s in enumerate(fig.series):
        colour = "#b0b0b0" if s.style == "dim" else PALETTE[i % len(PALETTE)]
        x = np.asarray(s.x, dtype=np.float64)
        y = np.asarray(s.y, dtype=np.float64)
        if fig.kind == "histogram":
            if len(y):
                ax.stairs(y, x, fill=True, color=colour, alpha=0.85 if len(fig.series) == 1 else 0.45,
                          label=s.name)
        elif fig.kind == "bar":
            labels = s.labels or [str(j) for j in range(len(y))]
            pos = np.arange(len(y)) + i * 0.8 / max(1, len(fig.series))
            ax.bar(pos, y, width=0.8 / max(1, len(fig.series)), color=colour, label=s.name)
            ax.set_xticks(np.arange(len(y)), labels)
        elif fig.kind == "step":
            ax.step(x, y, where="post", color=colour, label=s.name, linewidth=1.4)
        elif fig.kind == "scatter":
            ax.plot(x, y, "o", markersize=3, color=colour, label=s.name)
        else:
            ax.plot(x, y, color=colour, label=s.name, linewidth=1.3, marker="o" if len(x) <= 30 else None,
                    markersize=3)
    counters: dict[str, int] = {}
    for m in fig.marks:
        colours = _MARK_COLOURS.get(m.kind, ["#555555"])
        c = colours[counters.get(m.kind, 0) % len(colours)]
        counters[m.kind] = counters.get(m.kind, 0) + 1
        style = "-" if m.kind == "bound" else "--"
        line = ax.axvline if m.axis == "x" else ax.axhline
        line(m.value, color=c, linestyle=style, linewidth=1.2 if m.kind == "bound" else 1.0, label=m.label)
    if fig.x_log:
        ax.set_xscale("log")
        _log_axis(ax.xaxis, *_data_range(fig, "x"))
    if fig.y_log:
        ax.set_yscale("log")
        _log_axis(ax.yaxis, *_data_range(fig, "y"))
    if not fig.x_log and fig.kind != "bar":
        from matplotlib.ticker import MaxNLocator

        whole = all(float(v).is_integer() for ser in fig.series for v in ser.x)  # windows, runs, attempts
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=whole))
    ax.set_xlabel(fig.x_label)
    ax.set_ylabel(fig.y_label)
    ax.grid(True, alpha=0.25, linewidth=0.6)
    if len(fig.series) > 1 or fig.marks:
        ax.legend(fontsize=7, loc="best", framealpha=0.8)
    return mfig


def to_svg(fig: Figure, width: float = 5.9, height: float = 3.3) -> str:
    """The figure as an ``<svg>`` element (text kept as text; no XML prolog)."""
    plt = _plt()
    mfig = draw(fig, width, height)
    buf = io.StringIO()
    mfig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "mlpace"})
    plt.close(mfig)
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def to_png(fig: Figure, path: Path, width: float = 6.4, height: float = 3.4, dpi: int = 110) -> Path:
    plt = _plt()
    mfig = draw(fig, width, height)
    mfig.savefig(path, dpi=dpi)
    plt.close(mfig)
    return Path(path)
