"""The audit report as Markdown: every section of :mod:`accord.audit.sections`, in order."""

from __future__ import annotations

from accord.audit.report import AuditReport
from accord.audit.sections import HEADLINE, Part, Table, sections

__all__ = ["HEADLINE", "render_markdown"]


def render_markdown(report: AuditReport) -> str:
    lines = [f"# Audit of {report.scenario or report.negotiation_id}", ""]
    for section in sections(report):
        lines += [f"## {section.title}", ""]
        for part in section.parts:
            lines += [*_part(part), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _part(part: Part) -> list[str]:
    if isinstance(part, str):
        return [part]
    if isinstance(part, Table):
        align = ["---:" if k in part.numeric else "---" for k in range(len(part.header))]
        return [
            "| " + " | ".join(part.header) + " |",
            "|" + "|".join(align) + "|",
            *["| " + " | ".join(row) + " |" for row in part.rows],
        ]
    return [f"- {item}" for item in part]
