"""Approvers: who signs off an action the mandate reserves for a person.

An approver is any object with ``async approve(request) -> Decision`` (a ``typing.Protocol``).
The runtime calls it within the turn's remaining time and treats a timeout, or an approver
that raises, as a refusal. Built-ins: ``terminal`` (:mod:`accord.mandate.terminal`),
``always-approve`` and ``always-refuse`` (for tests and simulations). Others are found by
entry point (group ``accord.approvers``) or import path (``package.module:Class``), as
strategies are (:mod:`accord.plugins`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from accord.mandate.model import Action, Mandate
from accord.model import Value
from accord.plugins import Registry

__all__ = [
    "APPROVERS",
    "AlwaysApprove",
    "AlwaysRefuse",
    "ApprovalRequest",
    "Approver",
    "Decision",
]


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """What an approver is asked to sign off."""

    negotiation_id: str
    party: str
    action: Action
    outcome: Mapping[str, Value]
    utility: float | None
    """The party's own utility of the outcome."""
    reservation: float
    round: int
    kind: str
    """The kind of request the action answers (``propose``, ``respond``, ``vote``, ...)."""
    reasons: tuple[str, ...]
    """Why the mandate wants approval for it."""
    mandate: Mandate
    timeout: float
    """Seconds the approver has before the turn runs out (then it counts as a refusal)."""
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """An approver's answer: whether, who, and why."""

    approved: bool
    approver: str
    """Who decided (a person's name, a system's id), as the approver reports it."""
    reason: str = ""


@runtime_checkable
class Approver(Protocol):
    async def approve(self, request: ApprovalRequest) -> Decision: ...


class AlwaysApprove:
    """Approves everything (for tests and simulations)."""

    def __init__(self, who: str = "always-approve") -> None:
        self.who = who

    async def approve(self, request: ApprovalRequest) -> Decision:
        return Decision(approved=True, approver=self.who, reason="approves everything")


class AlwaysRefuse:
    """Refuses everything (for tests and simulations)."""

    def __init__(self, who: str = "always-refuse") -> None:
        self.who = who

    async def approve(self, request: ApprovalRequest) -> Decision:
        return Decision(approved=False, approver=self.who, reason="refuses everything")


def _terminal(**params: Any) -> Approver:
    from accord.mandate.terminal import TerminalApprover  # noqa: PLC0415  # only when used

    return TerminalApprover(**params)


_terminal.__doc__ = "Asks a person at the terminal: shows the outcome, its utility, the mandate."

APPROVERS: Registry[Approver] = Registry(
    "approver",
    "approvers",
    "accord.approvers",
    {"terminal": _terminal, "always-approve": AlwaysApprove, "always-refuse": AlwaysRefuse},
)
"""Approvers by name: built-ins, entry points (``accord.approvers``) and import paths."""
