"""The report document model: what a report says, independent of how it is drawn.

A :class:`Report` is a title, a verdict with its reasons, and ordered :class:`Section` s
of blocks: :class:`Text`, :class:`Table` and :class:`Figure`. A figure holds its data
(series of numbers, marks, axis labels and units), never pixels, so the same document
renders to HTML (inline SVG, :mod:`mlpace.report.html`), PNG, or JSON
(``mlpace report --json``) and rebuilds from that JSON offline
(:func:`Report.from_dict`).

This is the hook for other result kinds: a module that reads some results folder
(training, Tiny, ...) returns a ``Report`` built from these classes, and
``mlpace.report.html.write_html`` draws it. Example::

    from mlpace.report.document import Figure, Report, Section, Series, Table
    fig = Figure("throughput", "Throughput per window", "line", "window", "inferences/s",
                 [Series("throughput", x=[1, 2, 3], y=[101.0, 99.5, 100.2])])
    rep = Report("tiny", "ic on my-board", verdict="VALID",
                 sections=[Section("Performance", [Table(["window", "inf/s"], [[1, 101.0]]), fig])])

Figure kinds: ``line`` (x/y per series, drawn as lines), ``scatter`` (points),
``step`` (a CDF: x sorted, y cumulative fraction), ``histogram`` (``x`` = bin edges,
``y`` = counts, len(x) == len(y) + 1), ``bar`` (``labels`` with ``y``; ``x`` unused).
Values are plain floats already in the unit the axis label names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Union

import numpy as np

SCHEMA = "mlpace.report/1"
FIGURE_KINDS = ("line", "scatter", "step", "histogram", "bar")


@dataclass
class Series:
    name: str
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    labels: list[str] | None = None  # bar charts: one label per y value
    style: str = ""  # "" | "dim" (drawn grey) | "accent"


@dataclass
class Mark:
    """A reference line: a percentile, a bound, a target."""

    label: str
    value: float
    axis: Literal["x", "y"] = "x"
    kind: Literal["percentile", "bound", "target"] = "percentile"


@dataclass
class Figure:
    id: str
    title: str
    kind: str
    x_label: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    x_log: bool = False
    y_log: bool = False
    caption: str = ""
    type: str = "figure"

    def __post_init__(self):
        if self.kind not in FIGURE_KINDS:
            raise ValueError(f"figure {self.id!r}: kind {self.kind!r} not one of {', '.join(FIGURE_KINDS)}")


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]
    row_styles: list[str] | None = None  # per row: "" | "dim" | "good" | "bad"
    caption: str = ""
    type: str = "table"


@dataclass
class Text:
    paragraphs: list[str]
    style: str = ""  # "" | "note" | "bad" | "good" | "pre"
    type: str = "text"


Block = Union[Text, Table, Figure]


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    kind: str  # "inference" | "training" | "tiny" | "comparison" | "repeat" | ...
    title: str
    verdict: str | None = None  # "VALID" / "INVALID" / "PASS" / ... (None: no verdict)
    reasons: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    source: str = ""
    schema: str = SCHEMA

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]

    def to_dict(self) -> dict:
        return _plain(asdict(self))

    @classmethod
    def from_dict(cls, d: dict) -> "Report":
        if d.get("schema") != SCHEMA:
            raise ValueError(f"report schema {d.get('schema')!r} is not {SCHEMA!r}")
        sections = [Section(s["title"], [_block(b) for b in s["blocks"]]) for s in d["sections"]]
        return cls(kind=d["kind"], title=d["title"], verdict=d.get("verdict"), reasons=list(d.get("reasons", [])),
                   sections=sections, source=d.get("source", ""))


def _block(b: dict) -> Block:
    kind = b.get("type")
    if kind == "text":
        return Text(b["paragraphs"], b.get("style", ""))
    if kind == "table":
        return Table(b["columns"], b["rows"], b.get("row_styles"), b.get("caption", ""))
    if kind == "figure":
        fields = {k: v for k, v in b.items() if k not in ("series", "marks", "type")}
        return Figure(**fields, series=[Series(**s) for s in b["series"]], marks=[Mark(**m) for m in b["marks"]])
    raise ValueError(f"unknown report block type {kind!r}")


def _plain(obj):
    """numpy scalars/arrays -> JSON-native values (NaN/inf -> None)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_plain(v) for v in obj.tolist()]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if np.isfinite(f) else None
    return obj


def series(name: str, x, y, **kw) -> Series:
    """A series from arrays (numpy or lists), stored as plain lists of floats."""
    return Series(name, [float(v) for v in np.asarray(x, dtype=np.float64)],
                  [float(v) for v in np.asarray(y, dtype=np.float64)], **kw)
