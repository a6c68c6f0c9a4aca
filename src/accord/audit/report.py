"""The audit report (its JSON form is a stable, versioned schema: ``docs/audit.schema.json``)
and :func:`audit`, which builds it from a transcript.

The verdict's exit codes, as ``accord audit`` uses them: 0 when the policy holds, 3 when it is
breached, 1 when the log is invalid (whatever the policy says).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.analysis import DomainAnalysis, analyze_domain
from accord.analysis.metrics import OutcomeMetrics, outcome_metrics
from accord.audit.lifecycle import LifecycleAudit, lifecycle_audit
from accord.audit.mandates import PartyMandate, mandate_audit
from accord.audit.policy import AuditPolicy, Breach, cautions, judge
from accord.audit.process import ProcessMetrics, process_metrics
from accord.audit.transcript import Transcript
from accord.model import Value

__all__ = ["SCHEMA_VERSION", "AuditReport", "Integrity", "Verdict", "audit"]

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Integrity(_Model):
    ok: bool
    entries: int
    checkpoints: int
    """Checkpoints that verify."""
    checkpoints_found: int = 0
    """Checkpoint records in the log, whether they verify or not."""
    first_problem: str | None
    problems: list[str]
    notes: list[str]


class Verdict(_Model):
    status: Literal["fair", "breached", "invalid-log"]
    exit_code: Literal[0, 1, 3]
    policy: AuditPolicy
    breaches: list[Breach]
    warnings: list[str] = Field(default_factory=list)
    """What a reader of a ``fair`` verdict should know that no rule of the policy breaks:
    an ending by a party's fault, gains far apart (see :func:`~accord.audit.policy.cautions`)."""


class AuditReport(_Model):
    schema_version: Literal[1] = 1
    negotiation_id: str
    scenario: str | None
    mechanism: str | None
    log: str
    profiles_from: Literal["revealed", "scenario"]
    reason: str | None
    """Why the negotiation ended, as the host's result says; ``None`` if it never ended."""
    outcome: OutcomeMetrics
    domain: DomainAnalysis
    process: ProcessMetrics
    integrity: Integrity
    verdict: Verdict
    mandates: dict[str, PartyMandate] = Field(default_factory=dict)
    """Per party: whether what it sent stayed within its revealed mandate, its blocked
    attempts and its approval decisions."""
    lifecycle: LifecycleAudit | None = None
    """The partnership after the agreement, when the log holds its charter (docs/lifecycle.md):
    every version, the reports, the alerts, the KPI trajectories, the renegotiations."""


def audit(transcript: Transcript, policy: AuditPolicy) -> AuditReport:
    """Judge ``transcript`` against ``policy``."""
    space = transcript.space
    profiles = {p: transcript.profiles[p].bind(space) for p in transcript.parties}
    domain = analyze_domain(space, profiles)
    result = transcript.result or {}
    agreement = result.get("agreement")
    outcome: dict[str, Value] | None = (
        {str(k): v for k, v in agreement.items() if isinstance(v, str | int | float)}
        if isinstance(agreement, dict)
        else None
    )
    outcome_section = outcome_metrics(profiles, domain, outcome)
    process = process_metrics(transcript, profiles)
    mandates = mandate_audit(transcript, profiles)
    verification = transcript.verification
    integrity = Integrity(
        ok=verification.ok,
        entries=verification.entries,
        checkpoints=verification.checkpoints,
        checkpoints_found=verification.checkpoints_found,
        first_problem=str(verification.problems[0]) if verification.problems else None,
        problems=[str(p) for p in verification.problems],
        notes=list(verification.notes),
    )
    lifecycle = lifecycle_audit(transcript)
    breaches = judge(policy, outcome_section, process, mandates, lifecycle)
    warnings = cautions(policy, outcome_section, result)
    if lifecycle is not None:  # what no rule of the policy judges, a reader should know
        if policy.max_keeper_problems is None:
            warnings += [f"after the agreement: {p}" for p in lifecycle.keeper_problems]
        if policy.max_reports_outside_role is None:
            warnings += [f"a report outside its role: {r}" for r in lifecycle.outside_role]
    if not integrity.ok:
        verdict = Verdict(
            status="invalid-log", exit_code=1, policy=policy, breaches=breaches, warnings=warnings
        )
    elif breaches:
        verdict = Verdict(
            status="breached", exit_code=3, policy=policy, breaches=breaches, warnings=warnings
        )
    else:
        verdict = Verdict(status="fair", exit_code=0, policy=policy, breaches=[], warnings=warnings)
    scenario, mechanism, reason = (
        transcript.start.get("scenario"),
        transcript.start.get("mechanism"),
        result.get("reason"),
    )
    return AuditReport(
        negotiation_id=transcript.negotiation_id,
        scenario=scenario if isinstance(scenario, str) else None,
        mechanism=mechanism if isinstance(mechanism, str) else None,
        log=transcript.log.name,
        profiles_from=transcript.profile_source,
        reason=reason if isinstance(reason, str) else None,
        outcome=outcome_section,
        domain=domain,
        process=process,
        integrity=integrity,
        verdict=verdict,
        mandates=mandates,
        lifecycle=lifecycle,
    )
