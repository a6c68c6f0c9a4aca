"""The audit's section on the partnership after the agreement (see
:mod:`accord.audit.lifecycle`), rendered by every format like the other sections."""

from __future__ import annotations

from accord.audit.lifecycle import LifecycleAudit
from accord.audit.sections import Part, Section, Table

__all__ = ["lifecycle_section"]


def _g(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def lifecycle_section(lifecycle: LifecycleAudit) -> Section:
    """The charter's history: versions, KPIs against target, alerts, findings."""
    versions = Table(
        ["version", "charter", "stage", "signed by", "refused", "silent", "in force", "opened by"],
        [
            [
                str(v.version),
                f"`{v.digest[:12]}`",
                v.stage or "-",
                ", ".join(v.signed) or "-",
                "; ".join(f"{p} ({r})" for p, r in v.refused.items()) or "-",
                ", ".join(v.silent) or "-",
                "yes" if v.in_force else "**no**",
                "-" if v.trigger is None else f"{v.trigger} {v.reference or ''}".strip(),
            ]
            for v in lifecycle.versions
        ],
        numeric={0},
    )
    parts: list[Part] = [versions]
    renegotiations = [
        f"version {v.version}: renegotiated as `{r.negotiation_id}`: "
        + (
            f"its audit is **{r.verdict}**; no party worse off than under the terms in force: "
            f"{'yes' if r.no_party_worse_off else '**no**'} ({r.note})"
            if r.found and r.verdict
            else r.note
        )
        for v in lifecycle.versions
        if (r := v.renegotiation) is not None
    ]
    if renegotiations:
        parts.append(renegotiations)
    periods = sorted({p.period for t in lifecycle.trajectories for p in t.points})
    if periods:
        parts.append(
            Table(
                ["KPI", "version", "whose gain", "target", "threshold"]
                + [f"p{k}" for k in periods],
                [
                    [t.kpi, str(t.version), t.scope, _g(t.target), _g(t.threshold)]
                    + [
                        next(
                            (
                                f"**{p.value:g}**" if p.breach else f"{p.value:g}"
                                for p in t.points
                                if p.period == k
                            ),
                            "-",
                        )
                        for k in periods
                    ]
                    for t in lifecycle.trajectories
                ],
                numeric=set(range(3, 5 + len(periods))),
            )
        )
    reports = lifecycle.reports
    accepted = sum(r.status == "accepted" for r in reports)
    parts.append(
        f"{len(reports)} reports: {accepted} accepted, "
        f"{sum(r.status == 'refused' for r in reports)} refused, "
        f"{sum(r.status == 'noise' for r in reports)} noise (not held against anybody); "
        f"{len(lifecycle.alerts)} alerts. A value in bold breached its threshold."
    )
    if lifecycle.alerts:
        parts.append(
            Table(
                ["alert", "version", "kind", "KPI", "period", "about", "supported", "handled by"],
                [
                    [
                        a.message_id,
                        str(a.version),
                        a.kind,
                        a.kpi or "-",
                        _g(a.period),
                        a.party or "-",
                        "yes" if a.supported else "**no**",
                        "-" if a.handled_by is None else f"version {a.handled_by}",
                    ]
                    for a in lifecycle.alerts
                ],
                numeric={1, 4},
            )
        )
    findings = [f"outside its role: {r}" for r in lifecycle.outside_role]
    findings += [
        f"breach not handled by a renegotiation: {b}" for b in lifecycle.unhandled_breaches
    ]
    findings += [f"the keeper: {p}" for p in lifecycle.keeper_problems]
    parts.append(findings or ["no report outside its role, and every alert as the log supports"])
    return Section("After the agreement", parts)
