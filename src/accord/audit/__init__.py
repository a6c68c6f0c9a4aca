"""The fairness auditor: reads a verified transcript and the revealed profiles, measures the
outcome and the process, and judges them against a policy (see ``docs/audit.md``)."""

from accord.audit.policy import DEFAULT_POLICY, AuditPolicy, Breach, load_policy
from accord.audit.process import ProcessMetrics
from accord.audit.report import AuditReport, audit
from accord.audit.transcript import AuditError, Transcript, load_reveal, load_transcript

__all__ = [
    "DEFAULT_POLICY",
    "AuditError",
    "AuditPolicy",
    "AuditReport",
    "Breach",
    "ProcessMetrics",
    "Transcript",
    "audit",
    "load_policy",
    "load_reveal",
    "load_transcript",
]
