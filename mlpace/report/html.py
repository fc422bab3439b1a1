"""Render a :class:`~mlpace.report.document.Report` as one self-contained HTML page.

No scripts, no external fetches: figures are inline SVG drawn by matplotlib
(:mod:`mlpace.report.draw`), styles are inline CSS. Any module that builds a ``Report``
(inference runs, training results, Tiny results, comparisons) gets its page from
:func:`write_html`; see :mod:`mlpace.report.document` for the section/figure model.
"""

from __future__ import annotations

import html
from pathlib import Path

from mlpace.report.document import Figure, Report, Table, Text
from mlpace.report.draw import to_svg

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;
max-width:1320px;padding:16px 24px;color:#222;background:#fff}
h1{font-size:1.45em;margin:.2em 0 .4em}h2{font-size:1.15em;margin:1.4em 0 .5em;border-bottom:1px solid #ddd;
padding-bottom:.2em}
.verdict{display:inline-block;padding:.15em .7em;border-radius:4px;font-weight:700;color:#fff;background:#666}
.verdict.good{background:#228833}.verdict.bad{background:#cc3311}
ul.reasons li{margin:.2em 0}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:.92em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.dim td{color:#999}tr.good td{background:#eef7ee}tr.bad td{background:#fbeaea}
caption{caption-side:bottom;text-align:left;color:#666;font-size:.88em;padding-top:.3em}
figure{margin:.6em 1em 1.2em 0;display:inline-block;vertical-align:top;max-width:100%}
figure svg{max-width:100%;height:auto}
figcaption{color:#555;font-size:.88em;max-width:640px}
p.note{color:#555;font-size:.92em}p.bad{color:#cc3311}p.good{color:#228833}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:.88em}
footer{margin-top:2em;color:#888;font-size:.85em}
"""

_GOOD = {"VALID", "PASS", "PASSED", "SIGNIFICANT IMPROVEMENT"}
_BAD = {"INVALID", "FAIL", "FAILED", "INCOMPLETE"}


def _cell(v) -> tuple[str, bool]:
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalar
        v = v.item()
    if v is None:
        return "-", False
    if isinstance(v, bool):
        return ("yes" if v else "NO"), False
    if isinstance(v, int):
        return f"{v:,}", True
    if isinstance(v, float):
        return (f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.1f}"), True
    return html.escape(str(v)), False


def _table(t: Table) -> str:
    out = ["<table>"]
    if t.caption:
        out.append(f"<caption>{html.escape(t.caption)}</caption>")
    out.append("<tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in t.columns) + "</tr>")
    styles = t.row_styles or [""] * len(t.rows)
    for row, style in zip(t.rows, styles):
        cells = []
        for v in row:
            text, num = _cell(v)
            cells.append(f'<td class="num">{text}</td>' if num else f"<td>{text}</td>")
        cls = f' class="{html.escape(style)}"' if style else ""
        out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _figure(f: Figure) -> str:
    svg = to_svg(f)
    cap = f"<figcaption>{html.escape(f.caption)}</figcaption>" if f.caption else ""
    return f'<figure id="fig-{html.escape(f.id)}" class="plot">{svg}{cap}</figure>'


def _text(t: Text) -> str:
    if t.style == "pre":
        return "<pre>" + html.escape("\n".join(t.paragraphs)) + "</pre>"
    cls = f' class="{t.style}"' if t.style else ""
    return "\n".join(f"<p{cls}>{html.escape(p)}</p>" for p in t.paragraphs)


def render_html(report: Report) -> str:
    """The page as a string."""
    from mlpace import __version__

    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{html.escape(report.title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{html.escape(report.title)}</h1>"]
    if report.verdict:
        v = report.verdict.upper()
        cls = "good" if v in _GOOD else "bad" if v in _BAD else ""
        if report.kind == "comparison":  # "significant: ... (worse)" / "no significant difference"
            cls = "bad" if "(WORSE)" in v else "good" if v.startswith("SIGNIFICANT") else ""
        parts.append(f'<p>Result: <span class="verdict {cls}" id="verdict">{html.escape(report.verdict)}</span></p>')
    if report.reasons:
        parts.append('<ul class="reasons">' + "".join(f"<li>{html.escape(r)}</li>" for r in report.reasons) + "</ul>")
    for section in report.sections:
        parts.append(f"<section><h2>{html.escape(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, Figure):
                parts.append(_figure(block))
            elif isinstance(block, Table):
                parts.append(_table(block))
            else:
                parts.append(_text(block))
        parts.append("</section>")
    src = f"Source: {html.escape(report.source)}. " if report.source else ""
    parts.append(f"<footer>{src}Written by mlpace {html.escape(__version__)} "
                 f"(report schema {html.escape(report.schema)}).</footer></body></html>")
    return "\n".join(parts)


def write_html(report: Report, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(render_html(report), encoding="utf-8")
    return path
