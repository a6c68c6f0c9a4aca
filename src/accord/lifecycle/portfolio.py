"""An organisation's portfolio of charters, and the constraints it puts on its next deal.

An organisation with several partnerships sees them together: for each run folder (a log
with a charter), the charter version in force, its partners, its terms and its KPIs' latest
values against target. Everything is read from the logs, which must verify, through the
audit's own check of them (:func:`accord.audit.lifecycle.lifecycle_audit`). The portfolio
then shows the exposure per partner.

A party's ``portfolio:`` in a scenario names those runs, and rules across them. An example
rule is "at most one charter with exclusivity ``category`` or ``full`` per category":

.. code-block:: yaml

    portfolio:
      runs: [../runs/nimbus, ../runs/stratus]
      rules:
        - {issue: exclusivity, values: [category, full], at_most: 1}

When the portfolio already holds ``at_most`` charters in force with one of those values
(counting only charters of the scenario's own ``category``, when it has one), the rule
forbids them in this negotiation: the party's mandate gains the values as ``forbidden``,
and its agent's runtime enforces that like any limit of its mandate. The party commits to
that mandate when it joins, and the audit checks what it sent against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from accord.errors import AccordError, InputError
from accord.mandate.model import IssueLimit, Mandate
from accord.model import Value

__all__ = [
    "Holding",
    "KpiStanding",
    "PortfolioRule",
    "PortfolioSpec",
    "holdings",
    "portfolio_mandate",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PortfolioRule(_Model):
    """At most ``at_most`` charters in force (this one included) may agree one of ``values``
    on ``issue`` (a categorical issue)."""

    issue: Annotated[str, Field(min_length=1)]
    values: list[Value] = Field(min_length=1)
    at_most: Annotated[int, Field(ge=0)]
    per_category: bool = True
    """Count only the charters of the scenario's own ``category`` (when it has one)."""


class PortfolioSpec(_Model):
    """The party's other partnerships, and the rules across them."""

    runs: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    """Run folders (each with a log holding a charter), relative to the scenario file."""
    rules: list[PortfolioRule] = Field(default_factory=list)


@dataclass(frozen=True)
class KpiStanding:
    """A KPI of a charter: its latest accepted value (under any version) against the target
    and threshold of the version in force."""

    name: str
    unit: str
    target: float
    threshold: float
    latest: float | None
    period: int | None
    breach: bool


@dataclass(frozen=True)
class Holding:
    """One charter of the organisation's portfolio, as its log shows it."""

    run: Path
    negotiation_id: str
    party: str
    """The organisation's party id in that charter."""
    partners: dict[str, str]
    """The other parties, by id, with their organisations."""
    category: str | None
    version: int
    in_force: bool
    terms: dict[str, JsonValue]
    kpis: list[KpiStanding] = field(default_factory=list)
    open_breaches: int = 0
    """Breach alerts that no later version of the charter handled."""


def holdings(runs: Sequence[Path], organisation: str) -> list[Holding]:
    """The charters of ``organisation`` in the logs of ``runs`` (its latest version each);
    raises :class:`InputError` naming a run that has no log, no charter, or a log that does
    not verify, and one that ``organisation`` is not a party of."""
    return [_holding(run, organisation) for run in runs]


def _holding(run: Path, organisation: str) -> Holding:
    from accord.audit.lifecycle import (  # noqa: PLC0415  # the audit imports this package
        charters_in,
        lifecycle_audit,
    )
    from accord.audit.transcript import load_transcript  # noqa: PLC0415

    try:
        transcript = load_transcript(run)
    except AccordError as exc:
        raise InputError(f"portfolio run {run}: {exc}") from None
    problems = transcript.verification.problems
    if problems:
        raise InputError(f"portfolio run {run}: its log does not verify: {problems[0]}")
    history = lifecycle_audit(transcript)
    if history is None or not history.versions:
        raise InputError(f"portfolio run {run}: its log holds no charter")
    latest = history.versions[-1]
    charter = next(c for c in charters_in(transcript) if c.digest == latest.digest)
    party = next((p for p, org in charter.organisations.items() if org == organisation), None)
    if party is None:
        raise InputError(
            f"portfolio run {run}: {organisation!r} is not among its organisations "
            f"{sorted(charter.organisations.values())}"
        )
    standings = []
    for t in history.trajectories:
        if t.version != latest.version:
            continue
        readings = [
            p for earlier in history.trajectories if earlier.kpi == t.kpi for p in earlier.points
        ]  # the latest reading, of an earlier version when this one has none yet
        last = readings[-1] if readings else None
        standings.append(
            KpiStanding(
                name=t.kpi,
                unit=t.unit,
                target=t.target,
                threshold=t.threshold,
                latest=None if last is None else last.value,
                period=None if last is None else last.period,
                breach=last is not None and last.breach,
            )
        )
    return Holding(
        run=run,
        negotiation_id=charter.negotiation_id,
        party=party,
        partners={p: o for p, o in charter.organisations.items() if p != party},
        category=charter.category,
        version=latest.version,
        in_force=latest.in_force,
        terms=dict(latest.terms),
        kpis=standings,
        open_breaches=sum(1 for a in history.alerts if a.kind == "breach" and not a.handled_by),
    )


def portfolio_mandate(
    mandate: Mandate | None,
    rules: Sequence[PortfolioRule],
    held: Sequence[Holding],
    category: str | None,
) -> tuple[Mandate | None, list[str]]:
    """``mandate`` with the values each of ``rules`` forbids given the charters ``held``, and
    why each was forbidden (empty when no rule binds)."""
    issues = dict(mandate.issues) if mandate is not None else {}
    reasons = []
    for rule in rules:
        counted = [
            h
            for h in held
            if h.in_force
            and h.terms.get(rule.issue) in rule.values
            and (not rule.per_category or category is None or h.category == category)
        ]
        if len(counted) < rule.at_most:
            continue
        limit = issues.get(rule.issue, IssueLimit())
        forbidden = tuple(dict.fromkeys([*limit.forbidden, *(str(v) for v in rule.values)]))
        issues[rule.issue] = limit.model_copy(update={"forbidden": forbidden})
        where = f" in category {category!r}" if rule.per_category and category else ""
        reasons.append(
            f"{rule.issue} may not be {rule.values}: the portfolio already holds "
            f"{len(counted)} charter(s) in force with it{where} (at most {rule.at_most}: "
            + ", ".join(h.negotiation_id for h in counted)
            + ")"
        )
    if not reasons:
        return mandate, []
    base = mandate or Mandate()
    return base.model_copy(update={"issues": issues}), reasons
