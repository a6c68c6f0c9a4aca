"""Building a party's approver from its scenario entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.mandate.approvers import APPROVERS, Approver

if TYPE_CHECKING:
    from accord.scenarios.schema import PartySpec

__all__ = ["approver_for"]


def approver_for(party: PartySpec) -> Approver | None:
    """The approver ``party`` names, built with its parameters (``None`` if it names none)."""
    if party.approver is None:
        return None
    return APPROVERS.create(party.approver.name, party.approver.params)
