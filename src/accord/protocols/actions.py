"""The actions a party can answer a request with, as the mechanism sees them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from accord.model import Value

__all__ = ["Accept", "Action", "EndNegotiation", "EndReason", "Ending", "Offer", "Reject"]


@dataclass(frozen=True, slots=True)
class Offer:
    """The party proposes ``outcome`` (already validated against the outcome space)."""

    outcome: dict[str, Value]


@dataclass(frozen=True, slots=True)
class Accept:
    """The party accepts the offer in question."""


@dataclass(frozen=True, slots=True)
class Reject:
    """The party rejects the offer in question."""


@dataclass(frozen=True, slots=True)
class EndNegotiation:
    """The party walks away."""


Action = Offer | Accept | Reject | EndNegotiation


class EndReason(StrEnum):
    """Why a negotiation ended. Stable codes: they appear in ``result.json``."""

    AGREEMENT = "agreement"
    DEADLINE = "deadline"
    ENDED_BY_PARTY = "ended_by_party"
    PROTOCOL_VIOLATION = "protocol_violation"
    TURN_TIMEOUT = "turn_timeout"
    STRATEGY_ERROR = "strategy_error"
    PARTY_LOST = "party_lost"
    """A party's connection to the broker ended without a goodbye (its last will)."""
    NO_AGREEMENT = "no_agreement"
    """The mechanism's own rules ended it without agreement (nobody conceded, no offer was
    accepted by every party, ...)."""


@dataclass(frozen=True, slots=True)
class Ending:
    """How a mechanism's run ended: the agreement (if any), why, and who is responsible."""

    reason: EndReason
    agreement: dict[str, Value] | None = None
    party: str | None = None
    """The party that ended it, violated the protocol, timed out or failed."""
    detail: str = ""
    bound: tuple[str, ...] | None = None
    """The parties the agreement binds; ``None``: every party (a contract net binds only the
    initiator and the partners it awarded)."""
