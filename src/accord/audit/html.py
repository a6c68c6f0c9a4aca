"""The audit report as one self-contained HTML page: the figures are embedded as PNG data
URIs and the JSON report as a ``<script type="application/json">``, so the file can be mailed
and opened anywhere without a network. A small script records on ``<body data-figures>`` how
many figures the browser decoded (tests read it from a real headless browser)."""

from __future__ import annotations

import base64
from html import escape

from accord.audit.markdown import HEADLINE
from accord.audit.plots import concession_plot, utility_space_plot
from accord.audit.report import AuditReport

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


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{escape(c)}</td>' for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def render_html(report: AuditReport) -> str:
    v = report.verdict
    o = report.outcome
    title = f"Audit of {report.scenario or report.negotiation_id}"
    breaches = "".join(f"<li><b>{escape(b.rule)}</b>: {escape(b.detail)}</li>" for b in v.breaches)
    integrity = (
        f"<p>log valid: <b>{'yes' if report.integrity.ok else 'no'}</b> "
        f"({report.integrity.entries} entries, {report.integrity.checkpoints} checkpoints)</p>"
    )
    if report.integrity.first_problem:
        integrity += f"<p>first problem: {escape(report.integrity.first_problem)}</p>"
    integrity += "".join(f"<p>note: {escape(n)}</p>" for n in report.integrity.notes)
    agreement = ", ".join(f"{k}={val}" for k, val in o.outcome.items()) if o.outcome else "none"
    standing = _table(
        ["party", "utility", "reservation", "gain", "rational"],
        [
            [p, f"{s.utility:.4f}", f"{s.reservation:.4f}", f"{s.gain:+.4f}", str(s.rational)]
            for p, s in o.parties.items()
        ],
    )
    measures = _table(
        ["measure", "value"],
        [
            ["individually rational", str(o.individually_rational)],
            ["Pareto optimal", str(o.pareto_optimal)],
            ["distance to the frontier", f"{o.pareto_distance:.4f}"],
            *[[f"distance to {n}", f"{d:.4f}"] for n, d in o.distance_to.items()],
            ["welfare share", f"{o.welfare_share:.1%}"],
            ["Gini of gains", f"{o.gini:.3f}"],
            ["min/max gain ratio", f"{o.min_max_ratio:.3f}"],
        ],
    )
    process = _table(
        ["party", "offers", "concession", "first concession", "messages", "refused", "median ms"],
        [
            [
                party,
                str(len(p.offers)),
                f"{p.concession:.4f}",
                str(p.first_concession_round if p.first_concession_round is not None else "-"),
                str(p.messages),
                str(p.refused_messages),
                f"{p.median_response_ms:.2f}" if p.median_response_ms is not None else "-",
            ]
            for party, p in report.process.parties.items()
        ],
    )
    never = ", ".join(report.process.never_conceded) or "nobody"
    figures = _img(utility_space_plot(report), "utility space") + _img(
        concession_plot(report), "concession curves"
    )
    data = report.model_dump_json().replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{STYLE}</style></head>
<body data-figures="0">
<h1>{escape(title)}</h1>
<div class="verdict {v.status}" id="verdict">{escape(HEADLINE[v.status])} (exit code {v.exit_code})
<ul>{breaches}</ul></div>
<p>Negotiation <code>{escape(report.negotiation_id)}</code>, mechanism
{escape(str(report.mechanism))}, ended by <code>{escape(str(report.reason))}</code>;
profiles {report.profiles_from}.</p>
<h2>Integrity</h2>{integrity}
<h2>Outcome</h2><p>agreement: {escape(agreement)}</p>{standing}{measures}
<h2>Process</h2><p>Turn order {escape(", ".join(report.process.turn_order))}; first offer by
{escape(str(report.process.first_mover))}; never conceded while others did: {escape(never)};
same information for every party: {report.process.same_information}; noise (refused, held
against nobody): {len(report.process.noise)} envelope(s).</p>{process}
<h2>Figures</h2>{figures}
<script type="application/json" id="report">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"""
