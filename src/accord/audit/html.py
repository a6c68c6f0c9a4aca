"""The audit report as one self-contained HTML page: every section of
:mod:`accord.audit.sections`, then the figures; the figures are embedded as PNG data
URIs and the JSON report as a ``<script type="application/json">``, so the file can be mailed
and opened anywhere without a network. A small script records on ``<body data-figures>`` how
many figures the browser decoded (tests read it from a real headless browser)."""

from __future__ import annotations

import base64
import re
from html import escape

from accord.audit.plots import concession_plot, kpi_plot, utility_space_plot
from accord.audit.report import AuditReport
from accord.audit.sections import Part, Table, sections

__all__ = ["render_html"]

STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em}
td.n{text-align:right}.verdict{padding:.8em 1em;border-radius:6px;font-size:1.2em}
.fair{background:#e3f6e3}.breached{background:#fde8c8}.invalid-log{background:#f9d0d0}
img{max-width:100%}
"""

SCRIPT = """
window.addEventListener('load', () => {
  const ok = [...document.images].filter(i => i.complete && i.naturalWidth > 0).length;
  document.body.dataset.figures = String(ok);
});
"""


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode()
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _inline(text: str) -> str:
    """Escaped ``text`` with the sections' two marks: ``**strong**`` and ```code```."""
    html = escape(text)
    html = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", html)


def _part(part: Part) -> str:
    if isinstance(part, str):
        return f"<p>{_inline(part)}</p>"
    if isinstance(part, Table):
        head = "".join(f"<th>{escape(h)}</th>" for h in part.header)
        body = "".join(
            "<tr>"
            + "".join(
                f'<td class="n">{_inline(c)}</td>'
                if k in part.numeric
                else f"<td>{_inline(c)}</td>"
                for k, c in enumerate(row)
            )
            + "</tr>"
            for row in part.rows
        )
        return f"<table><tr>{head}</tr>{body}</table>"
    return "<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in part) + "</ul>"


def render_html(report: AuditReport) -> str:
    title = f"Audit of {report.scenario or report.negotiation_id}"
    body = []
    for section in sections(report):
        slug = section.title.lower()
        content = "".join(_part(part) for part in section.parts)
        if section.title == "Verdict":
            status = report.verdict.status
            body.append(f'<div class="verdict {status}" id="verdict">{content}</div>')
        else:
            body.append(f'<h2 id="{slug}">{escape(section.title)}</h2>{content}')
    figures = _img(utility_space_plot(report), "utility space") + _img(
        concession_plot(report), "concession curves"
    )
    kpis = kpi_plot(report)
    if kpis is not None:
        figures += _img(kpis, "KPI trajectories against target and threshold")
    data = report.model_dump_json().replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{STYLE}</style></head>
<body data-figures="0">
<h1>{escape(title)}</h1>
{"".join(body)}
<h2 id="figures">Figures</h2>{figures}
<script type="application/json" id="report">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"""
