"""The audit report as Markdown: the verdict first, then integrity, outcome and process."""

from __future__ import annotations

from accord.audit.report import AuditReport

__all__ = ["render_markdown"]

HEADLINE = {
    "fair": "FAIR: the policy holds",
    "breached": "BREACHED: the policy does not hold",
    "invalid-log": "INVALID LOG: the transcript does not verify",
}


def _f(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render_markdown(report: AuditReport) -> str:
    lines = [
        f"# Audit of {report.scenario or report.negotiation_id}",
        "",
        f"**Verdict: {HEADLINE[report.verdict.status]}** (exit code {report.verdict.exit_code})",
        "",
    ]
    lines += [f"- **{b.rule}**: {b.detail}" for b in report.verdict.breaches]
    if report.verdict.breaches:
        lines.append("")
    lines += [
        (
            f"Negotiation `{report.negotiation_id}`, mechanism {report.mechanism}, ended by "
            f"`{report.reason}`; profiles {report.profiles_from}; log `{report.log}`."
        ),
        "",
        "## Integrity",
        "",
        (
            f"- log valid: **{'yes' if report.integrity.ok else 'no'}** "
            f"({report.integrity.entries} entries, {report.integrity.checkpoints} checkpoints)"
        ),
    ]
    if report.integrity.first_problem:
        lines.append(f"- first problem: {report.integrity.first_problem}")
    lines += [f"- note: {n}" for n in report.integrity.notes]
    o = report.outcome
    lines += [
        "",
        "## Outcome",
        "",
        "agreement: "
        + (", ".join(f"{k}={v}" for k, v in o.outcome.items()) if o.outcome else "none"),
        "",
        "| party | utility | reservation | gain | rational |",
        "|---|---:|---:|---:|---|",
    ]
    for party, s in o.parties.items():
        lines.append(
            f"| {party} | {_f(s.utility)} | {_f(s.reservation)} | {s.gain:+.4f} | "
            f"{'yes' if s.rational else '**no**'} |"
        )
    lines += [
        "",
        f"- individually rational: {'yes' if o.individually_rational else '**no**'}",
        (
            f"- Pareto optimal: {'yes' if o.pareto_optimal else 'no'}; distance to the "
            f"frontier {_f(o.pareto_distance)}"
        ),
    ]
    lines += [f"- distance to the {name} point: {_f(d)}" for name, d in o.distance_to.items()]
    lines += [
        f"- welfare {_f(o.welfare)} of at most {_f(o.max_welfare)} ({o.welfare_share:.1%})",
        f"- inequality of gains: Gini {_f(o.gini, 3)}, min/max ratio {_f(o.min_max_ratio, 3)}",
        "",
        "## Process",
        "",
        (
            f"Turn order {', '.join(report.process.turn_order)}; first offer by "
            f"{report.process.first_mover or 'nobody'}; {report.process.rounds} rounds."
        ),
        "",
        (
            "| party | offers | concession | first concession | others' gain | messages | "
            "refused | median response ms | violations |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for party, p in report.process.parties.items():
        lines.append(
            f"| {party} | {len(p.offers)} | {_f(p.concession)} | "
            f"{p.first_concession_round if p.first_concession_round is not None else '-'} | "
            f"{p.others_gain_from_concessions:+.4f} | {p.messages} | {p.refused_messages} | "
            f"{_f(p.median_response_ms, 2)} | {'; '.join(p.violations) or '-'} |"
        )
    lines.append("")
    if report.process.never_conceded:
        lines.append(
            f"- never conceded while others did: **{', '.join(report.process.never_conceded)}**"
        )
    if report.process.response_time_ratio is not None:
        lines.append(
            f"- slowest/fastest median response: {report.process.response_time_ratio:.2f}x"
        )
    lines.append(
        "- every party saw the same information: "
        + ("yes" if report.process.same_information else "**no**")
    )
    lines += [f"  - {d}" for d in report.process.information_differences]
    noise = report.process.noise
    lines.append(f"- noise (refused, held against nobody): {len(noise) or 'none'}")
    lines += [f"  - {n}" for n in noise[:50]]
    lines += _mandates(report)
    d = report.domain
    lines += [
        "",
        "## Domain",
        "",
        (
            f"{d.size:,} outcomes, {len(d.pareto):,} on the Pareto frontier, opposition "
            f"{d.opposition:.3f}."
        ),
        "",
    ]
    return "\n".join(lines) + "\n"


def _mandates(report: AuditReport) -> list[str]:
    """The mandate section, when some party committed to a mandate."""
    parties = {p: m for p, m in report.mandates.items() if m.committed or m.blocked}
    if not parties:
        return []
    lines = [
        "",
        "## Mandates",
        "",
        "| party | revealed | within mandate | checked | outside | blocked | approvals |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for party, m in parties.items():
        within = "-" if m.within is None else ("yes" if m.within else "**no**")
        decisions = ", ".join(
            f"{'approved' if a.approved else 'refused'} by {a.approver}" for a in m.approvals
        )
        lines.append(
            f"| {party} | {'yes' if m.revealed else 'no'} | {within} | {m.checked} | "
            f"{len(m.breaches)} | {len(m.blocked)} | {decisions or '-'} |"
        )
    lines.append("")
    for party, m in parties.items():
        lines += [
            f"- {party} sent {b.message_id} (entry {b.entry}) outside its mandate: "
            + "; ".join(b.reasons)
            for b in m.breaches
        ]
        lines += [
            f"- {party}: blocked {b.action} (entry {b.entry}): " + "; ".join(b.reasons)
            for b in m.blocked
        ]
    return lines
