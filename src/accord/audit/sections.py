"""The audit report as sections, the one model every human-readable format renders.

:func:`sections` turns an :class:`~accord.audit.report.AuditReport` into titled sections of
paragraphs, bullet lists and tables, in the order docs/audit.md describes: the verdict,
integrity, outcome, process, violations, mandates (when a party had one), the partnership
after the agreement (when the log holds a charter), domain and policy.
Markdown (:mod:`~accord.audit.markdown`) and HTML (:mod:`~accord.audit.html`) render these
and nothing else, so a section cannot be in one format and missing from the other. Text may
hold two inline marks, ``**strong**`` and ```code```, which each format renders its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.audit.report import AuditReport

__all__ = ["HEADLINE", "Part", "Section", "Table", "sections"]

HEADLINE = {
    "fair": "FAIR: the policy holds",
    "breached": "BREACHED: the policy does not hold",
    "invalid-log": "INVALID LOG: the transcript does not verify",
}


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)
    """Columns aligned right."""


Part = str | list[str] | Table
"""A paragraph, a bullet list or a table."""


@dataclass(frozen=True)
class Section:
    title: str
    parts: list[Part]


def _f(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _yes(flag: bool | None, *, strong_no: bool = True) -> str:
    if flag is None:
        return "-"
    return "yes" if flag else ("**no**" if strong_no else "no")


def sections(report: AuditReport) -> list[Section]:
    """Every section of ``report``, in order."""
    found = [
        _verdict(report),
        _integrity(report),
        _outcome(report),
        _process(report),
        _violations(report),
    ]
    if mandates := _mandates(report):
        found.append(mandates)
    if report.lifecycle is not None:
        from accord.audit.lifecycle_sections import lifecycle_section  # noqa: PLC0415  # uses Table

        found.append(lifecycle_section(report.lifecycle))
    found += [_domain(report), _policy(report)]
    return found


def _verdict(report: AuditReport) -> Section:
    v = report.verdict
    parts: list[Part] = [f"**{HEADLINE[v.status]}** (exit code {v.exit_code})"]
    if v.breaches:
        parts.append([f"**{b.rule}**: {b.detail}" for b in v.breaches])
    if v.warnings:
        parts.append([f"warning: {w}" for w in v.warnings])
    parts.append(
        f"Negotiation `{report.negotiation_id}`, mechanism {report.mechanism}, ended by "
        f"`{report.reason}`; profiles {report.profiles_from}; log `{report.log}`."
    )
    return Section("Verdict", parts)


def _integrity(report: AuditReport) -> Section:
    i = report.integrity
    found = i.checkpoints_found or i.checkpoints
    checked = (
        f"{found} checkpoints"
        if i.checkpoints == found
        else f"{found} checkpoints, {i.checkpoints} of them verified"
    )
    items = [f"log valid: **{'yes' if i.ok else 'no'}** ({i.entries} entries, {checked})"]
    if i.first_problem:
        items.append(f"first problem: {i.first_problem}")
    items += [f"problem: {p}" for p in i.problems[1:50]]
    items += [f"note: {n}" for n in i.notes]
    return Section("Integrity", [items])


def _outcome(report: AuditReport) -> Section:
    o = report.outcome
    agreed = ", ".join(f"{k}={v}" for k, v in o.outcome.items()) if o.outcome else "none"
    standing = Table(
        ["party", "utility", "reservation", "gain", "rational"],
        [
            [p, _f(s.utility), _f(s.reservation), f"{s.gain:+.4f}", _yes(s.rational)]
            for p, s in o.parties.items()
        ],
        numeric={1, 2, 3},
    )
    measures = [
        f"individually rational: {_yes(o.individually_rational)}",
        (
            f"Pareto optimal: {_yes(o.pareto_optimal, strong_no=False)}; distance to the "
            f"frontier {_f(o.pareto_distance)}"
        ),
        *[f"distance to the {name} point: {_f(d)}" for name, d in o.distance_to.items()],
        f"welfare {_f(o.welfare)} of at most {_f(o.max_welfare)} ({o.welfare_share:.1%})",
        f"inequality of gains: Gini {_f(o.gini, 3)}, min/max ratio {_f(o.min_max_ratio, 3)}",
    ]
    return Section("Outcome", [f"agreement: {agreed}", standing, measures])


def _process(report: AuditReport) -> Section:
    p = report.process
    table = Table(
        [
            "party",
            "offers",
            "concession",
            "first concession",
            "others' gain",
            "messages",
            "refused",
            "median response ms",
            "violations",
        ],
        [
            [
                party,
                str(len(m.offers)),
                _f(m.concession),
                "-" if m.first_concession_round is None else str(m.first_concession_round),
                f"{m.others_gain_from_concessions:+.4f}",
                str(m.messages),
                str(m.refused_messages),
                _f(m.median_response_ms, 2),
                str(len(m.violations)),
            ]
            for party, m in p.parties.items()
        ],
        numeric={1, 2, 3, 4, 5, 6, 7, 8},
    )
    items = []
    if p.never_conceded:
        items.append(f"never conceded while others did: **{', '.join(p.never_conceded)}**")
    if p.response_time_ratio is not None:
        items.append(f"slowest/fastest median response: {p.response_time_ratio:.2f}x")
    items.append(f"every party saw the same information: {_yes(p.same_information)}")
    items += [f"information difference: {d}" for d in p.information_differences]
    items.append(f"noise (refused, held against nobody): {len(p.noise) or 'none'}")
    items += [f"noise: {n}" for n in p.noise[:50]]
    order = (
        f"Turn order {', '.join(p.turn_order)}; first offer by {p.first_mover or 'nobody'}; "
        f"{p.rounds} rounds."
    )
    return Section("Process", [order, table, items])


def _violations(report: AuditReport) -> Section:
    """Every protocol violation, by the party that signed it."""
    items = [
        f"**{party}**: {violation}"
        for party, m in report.process.parties.items()
        for violation in m.violations
    ]
    return Section("Violations", [items or ["none: every party kept to the protocol"]])


def _mandates(report: AuditReport) -> Section | None:
    """The mandate section, when some party committed to a mandate."""
    parties = {p: m for p, m in report.mandates.items() if m.committed or m.blocked}
    if not parties:
        return None
    table = Table(
        ["party", "revealed", "within mandate", "checked", "outside", "blocked", "approvals"],
        [
            [
                party,
                _yes(m.revealed, strong_no=False),
                _yes(m.within),
                str(m.checked),
                str(len(m.breaches)),
                str(len(m.blocked)),
                ", ".join(
                    f"{'approved' if a.approved else 'refused'} by {a.approver}"
                    for a in m.approvals
                )
                or "-",
            ]
            for party, m in parties.items()
        ],
        numeric={3, 4, 5},
    )
    items = []
    for party, m in parties.items():
        items += [
            f"{party} sent {b.message_id} (entry {b.entry}) outside its mandate: "
            + "; ".join(b.reasons)
            for b in m.breaches
        ]
        items += [
            f"{party}: blocked {b.action} (entry {b.entry}): " + "; ".join(b.reasons)
            for b in m.blocked
        ]
    return Section("Mandates", [table, items] if items else [table])


def _domain(report: AuditReport) -> Section:
    d = report.domain
    points = [
        f"{name}: " + ", ".join(f"{party} {u:.4f}" for party, u in point.utilities.items())
        for name, point in (
            ("Nash", d.nash),
            ("Kalai-Smorodinsky", d.kalai_smorodinsky),
            ("egalitarian", d.egalitarian),
            ("max welfare", d.max_welfare),
        )
        if point is not None
    ]
    summary = (
        f"{d.size:,} outcomes, {len(d.pareto):,} on the Pareto frontier, opposition "
        f"{d.opposition:.3f}."
    )
    return Section("Domain", [summary, points])


def _policy(report: AuditReport) -> Section:
    """The thresholds the verdict applied."""
    policy = report.verdict.policy.model_dump()
    rules = [f"`{name}`: {value}" for name, value in policy.items()]
    return Section(
        "Policy", ["The rules the verdict applied (docs/audit.md explains each):", rules]
    )
