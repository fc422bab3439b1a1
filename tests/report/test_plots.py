"""Readable axes: on a log axis spanning about a decade (where matplotlib labels minor ticks
by default) no two tick labels overlap and the labels are plain numbers."""

from __future__ import annotations

import numpy as np
import pytest

from mlpace.report.document import Figure, series
from mlpace.report.draw import draw
from mlpace.report.plots import latency_figure


def _visible_labels(ax):
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    lo, hi = sorted(ax.get_xlim())
    out = []
    for tick in ax.xaxis.get_major_ticks() + ax.xaxis.get_minor_ticks():
        label = tick.label1
        if label.get_visible() and label.get_text() and lo <= tick.get_loc() <= hi:
            out.append((label.get_text(), label.get_window_extent(renderer)))
    return out


def _assert_readable(ax):
    labels = _visible_labels(ax)
    assert 3 <= len(labels) <= 10, [t for t, _ in labels]
    boxes = sorted((b.x0, b.x1, t) for t, b in labels)
    for (a0, a1, ta), (b0, b1, tb) in zip(boxes, boxes[1:]):
        assert a1 <= b0, f"tick labels {ta!r} and {tb!r} overlap"
    for text, _ in labels:
        float(text.replace("\N{MINUS SIGN}", "-"))  # plain numbers, no mathtext like $2\\times10^{-2}$


@pytest.mark.parametrize("spread", [25.0, 60.0, 3000.0])
def test_latency_png_axes_are_readable(spread):
    import matplotlib.pyplot as plt

    lat = np.geomspace(20_000, 20_000 * spread, 5000)  # ns; wide enough for a log axis
    fig = latency_figure(lat, "t", {"p50": float(np.median(lat))})
    try:
        for ax in fig.axes:
            _assert_readable(ax)
    finally:
        plt.close(fig)


def test_report_figure_log_axis_is_readable():
    import matplotlib.pyplot as plt

    x = np.geomspace(0.015, 0.9, 50)
    fig = draw(Figure("cdf", "CDF", "step", "latency (ms)", "fraction", [series("CDF", x, np.linspace(0, 1, 50))],
                      x_log=True))
    try:
        _assert_readable(fig.axes[0])
    finally:
        plt.close(fig)
