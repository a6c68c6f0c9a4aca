"""Mandates and human oversight: what an agent may agree to, and who signs off what."""

from accord.mandate.approvers import (
    APPROVERS,
    AlwaysApprove,
    AlwaysRefuse,
    ApprovalRequest,
    Approver,
    Decision,
)
from accord.mandate.model import Action, ApprovalRule, IssueLimit, Mandate, final_acceptance

__all__ = [
    "APPROVERS",
    "Action",
    "AlwaysApprove",
    "AlwaysRefuse",
    "ApprovalRequest",
    "ApprovalRule",
    "Approver",
    "Decision",
    "IssueLimit",
    "Mandate",
    "final_acceptance",
]
