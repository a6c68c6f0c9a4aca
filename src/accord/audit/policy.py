"""Audit policies: the thresholds a negotiation must meet to be judged fair.

A policy is a small YAML file; every key is optional and defaults to :data:`DEFAULT_POLICY`
(documented in ``docs/audit.md``). ``null`` switches a numeric rule off. The thresholds on the
outcome's distance to the frontier and its share of the maximum welfare apply to agreements
only (without one, every party keeps its reservation value, and ``require_agreement`` decides).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.analysis.metrics import OutcomeMetrics
from accord.audit.lifecycle import LifecycleAudit
from accord.audit.mandates import PartyMandate
from accord.audit.process import ProcessMetrics
from accord.errors import PolicyError, ScenarioError
from accord.scenarios.loader import _compose, _pydantic_problems, refusal

__all__ = ["AuditPolicy", "Breach", "judge", "load_policy"]


class Breach(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    detail: str


class AuditPolicy(BaseModel):
    """Thresholds; see the module docstring and ``docs/audit.md``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    require_agreement: bool = False
    require_individual_rationality: bool = True
    require_pareto_optimal: bool = False
    max_pareto_distance: float | None = Field(default=0.1, ge=0)
    min_welfare_share: float | None = Field(default=None, ge=0, le=1)
    max_gini: float | None = Field(default=0.6, ge=0, le=1)
    max_protocol_violations: int | None = Field(default=0, ge=0)
    max_refused_messages: int | None = Field(default=None, ge=0)
    forbid_one_sided_concession: bool = True
    """Breached when a party never conceded while another did."""
    max_response_time_ratio: float | None = Field(default=None, ge=1)
    require_same_information: bool = True
    require_within_mandate: bool = True
    """Breached when a party sent an offer or acceptance outside the mandate it revealed."""
    max_keeper_problems: int | None = Field(default=0, ge=0)
    """After the agreement: alerts of the charter's keeper that the log does not support, and
    alerts it calls for that the keeper never raised (docs/lifecycle.md)."""
    max_reports_outside_role: int | None = Field(default=None, ge=0)
    """After the agreement: signed KPI reports by someone the charter does not let report."""
    require_breaches_handled: bool = False
    """After the agreement: every breach alert opened a renegotiation."""
    require_fair_renegotiations: bool = True
    """After the agreement: every renegotiation whose log is at hand left no party worse off
    than the terms in force, and its own audit is ``fair``."""


DEFAULT_POLICY = AuditPolicy()


def load_policy(path: Path | None) -> AuditPolicy:
    """The policy in ``path``, or the default; bad files raise :class:`InputError`."""
    if path is None:
        return DEFAULT_POLICY
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read the policy: {exc.strerror}", source=source) from None
    try:
        node = _compose(text, source)
    except ScenarioError as exc:  # not YAML: the same words and line as for a scenario
        raise PolicyError(exc.message, source=source, line=exc.line) from None
    data = yaml.safe_load(text)
    if data is not None and not isinstance(data, dict):
        raise PolicyError("a policy must be a mapping of fields", source=source)
    try:
        return AuditPolicy.model_validate(data or {})
    except ValidationError as exc:
        raise refusal(_pydantic_problems(exc), node, source, PolicyError) from None


FAULT_ENDINGS = frozenset({"strategy_error", "protocol_violation", "turn_timeout", "party_lost"})
"""Endings that name a party at fault."""

GAIN_RATIO_WARNING = 0.25
"""Below this ratio of the smallest gain to the largest (one party gaining four times what
another does, or more), an agreement's verdict carries a warning."""


def cautions(
    policy: AuditPolicy, outcome: OutcomeMetrics, result: Mapping[str, object]
) -> list[str]:
    """What no rule of ``policy`` breaks but a reader of the verdict should know.

    The default policy judges an agreement by individual rationality, its distance from the
    Pareto frontier (0.1) and the Gini coefficient of the gains (0.6): it checks that nobody
    was made worse off and that value was not left on the table, and it bounds only extreme
    inequality, because an unequal split can be fair when the parties' alternatives differ.
    So gains far apart get a warning here, not a breach; ``max_gini`` or a stricter policy
    makes them one. An ending by a party's fault (an error, a violation, a timeout, a lost
    connection) is named: the verdict then judges a negotiation that did not run its course.
    """
    warnings = []
    reason, party = result.get("reason"), result.get("party")
    if reason in FAULT_ENDINGS:
        detail = str(result.get("detail") or "").split("\n", 1)[0]
        warnings.append(
            f"the negotiation ended by {reason} of {party}: {detail} (the verdict judges a "
            "negotiation that did not run its course)"
        )
    ratio = outcome.min_max_ratio
    if outcome.outcome is not None and ratio < GAIN_RATIO_WARNING:
        times = "infinitely" if ratio <= 0 else f"{1 / ratio:.1f} times"
        warnings.append(
            f"one party gains {times} what another does (min/max ratio {ratio:.2f}, Gini "
            f"{outcome.gini:.2f}); the policy bounds inequality only by max_gini "
            f"{policy.max_gini if policy.max_gini is not None else 'none'}"
        )
    return warnings


def judge(
    policy: AuditPolicy,
    outcome: OutcomeMetrics,
    process: ProcessMetrics,
    mandates: Mapping[str, PartyMandate] | None = None,
    lifecycle: LifecycleAudit | None = None,
) -> list[Breach]:
    """Every rule of ``policy`` that the negotiation (and the partnership after it) breaks."""
    breaches = _outcome_breaches(policy, outcome) + _process_breaches(policy, process)
    if lifecycle is not None:
        breaches += _lifecycle_breaches(policy, lifecycle)
    if policy.require_within_mandate:
        for party, m in (mandates or {}).items():
            if m.breaches:
                first = m.breaches[0]
                breaches.append(
                    Breach(
                        rule="require_within_mandate",
                        detail=f"{party} sent {len(m.breaches)} message(s) outside the mandate "
                        f"it revealed, first {first.message_id} (entry {first.entry}): "
                        + "; ".join(first.reasons),
                    )
                )
    return breaches


def _outcome_breaches(policy: AuditPolicy, outcome: OutcomeMetrics) -> list[Breach]:
    breaches: list[Breach] = []

    def breach(rule: str, detail: str) -> None:
        breaches.append(Breach(rule=rule, detail=detail))

    if policy.require_agreement and not outcome.agreement:
        breach("require_agreement", "the negotiation ended without agreement")
    if policy.require_individual_rationality and not outcome.individually_rational:
        below = [p for p, s in outcome.parties.items() if not s.rational]
        for party in below:
            s = outcome.parties[party]
            breach(
                "require_individual_rationality",
                f"{party} ends with utility {s.utility:.4f}, below its reservation value "
                f"{s.reservation:.4f}",
            )
    if outcome.agreement:
        if policy.require_pareto_optimal and not outcome.pareto_optimal:
            breach("require_pareto_optimal", "another outcome is better for some and no worse")
        limit = policy.max_pareto_distance
        if limit is not None and outcome.pareto_distance > limit:
            breach(
                "max_pareto_distance",
                f"the agreement is {outcome.pareto_distance:.4f} from the Pareto frontier "
                f"(limit {limit})",
            )
        share = policy.min_welfare_share
        if share is not None and outcome.welfare_share < share:
            breach(
                "min_welfare_share",
                f"welfare is {outcome.welfare_share:.1%} of the maximum (limit {share:.1%})",
            )
    if policy.max_gini is not None and outcome.gini > policy.max_gini:
        breach("max_gini", f"Gini coefficient of gains {outcome.gini:.3f} > {policy.max_gini}")
    return breaches


def _process_breaches(policy: AuditPolicy, process: ProcessMetrics) -> list[Breach]:
    breaches: list[Breach] = []

    def breach(rule: str, detail: str) -> None:
        breaches.append(Breach(rule=rule, detail=detail))

    violations = {p: len(s.violations) for p, s in process.parties.items() if s.violations}
    limit_v = policy.max_protocol_violations
    if limit_v is not None and sum(violations.values()) > limit_v:
        breach("max_protocol_violations", f"protocol violations by party: {violations}")
    refused = {p: s.refused_messages for p, s in process.parties.items() if s.refused_messages}
    limit_r = policy.max_refused_messages
    if limit_r is not None and sum(refused.values()) > limit_r:
        breach("max_refused_messages", f"messages the recorder refused, by name claimed: {refused}")
    if policy.forbid_one_sided_concession and process.never_conceded:
        conceders = [p for p, s in process.parties.items() if p not in process.never_conceded]
        breach(
            "forbid_one_sided_concession",
            f"{', '.join(process.never_conceded)} never conceded while {', '.join(conceders)} did",
        )
    ratio = process.response_time_ratio
    limit_t = policy.max_response_time_ratio
    if limit_t is not None and ratio is not None and ratio > limit_t:
        breach(
            "max_response_time_ratio",
            f"the slowest party's median response is {ratio:.1f}x the fastest's",
        )
    if policy.require_same_information and not process.same_information:
        breach("require_same_information", "; ".join(process.information_differences))
    return breaches


def _lifecycle_breaches(policy: AuditPolicy, lifecycle: LifecycleAudit) -> list[Breach]:
    breaches: list[Breach] = []
    problems = lifecycle.keeper_problems
    if policy.max_keeper_problems is not None and len(problems) > policy.max_keeper_problems:
        breaches.append(
            Breach(
                rule="max_keeper_problems",
                detail=f"{len(problems)} alert(s) of the keeper the log contradicts, first: "
                + problems[0],
            )
        )
    outside = lifecycle.outside_role
    limit = policy.max_reports_outside_role
    if limit is not None and len(outside) > limit:
        breaches.append(
            Breach(
                rule="max_reports_outside_role",
                detail=f"{len(outside)} report(s) outside their role, first: {outside[0]}",
            )
        )
    if policy.require_breaches_handled and lifecycle.unhandled_breaches:
        breaches.append(
            Breach(
                rule="require_breaches_handled",
                detail="breaches no renegotiation handled: "
                + "; ".join(lifecycle.unhandled_breaches),
            )
        )
    if policy.require_fair_renegotiations:
        for version in lifecycle.versions:
            found = version.renegotiation
            if found is None or not found.found or found.verdict is None:
                continue
            if found.verdict != "fair" or not found.no_party_worse_off:
                breaches.append(
                    Breach(
                        rule="require_fair_renegotiations",
                        detail=f"version {version.version} came from {found.negotiation_id}, "
                        f"whose audit is {found.verdict}; no party worse off than under the "
                        f"terms in force: {found.no_party_worse_off}",
                    )
                )
    return breaches
