"""The ``Strategy`` protocol: what a strategy author writes.

A strategy is a small class that answers requests; it never touches the bus. The agent runtime
calls its methods in this order (every hook but the request methods is optional):

1. ``on_start(ctx)`` once, when the host sends ``start``;
2. for every request, the method named by the request kind: ``propose(state)`` or
   ``respond(state, offer)`` (for ``respond``, a ``REJECT`` is followed by ``propose`` to get
   the counter-offer), ``vote(state, offer)`` (accept or reject ``offer``; mechanisms that
   vote: multilateral voting, mediated single text, monotonic concession) or, for any other
   kind ``K``, ``K(state)``; ``on_event(ctx, event)`` for every event the host announces, in
   order, each before the request (or result) that follows it, whichever party that asks;
3. ``on_end(ctx, result)`` once, when the host sends ``result``.

Methods may be plain or ``async``. An exception, an answer that is not an outcome, or a
method that runs past the turn timeout ends the negotiation with this party named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from accord.model import BoundProfile, Outcome, OutcomeSpace, Value

__all__ = [
    "AgentContext",
    "OfferEvent",
    "Proposer",
    "Responder",
    "Response",
    "Strategy",
    "TurnState",
    "Voter",
]


class Response(StrEnum):
    """A strategy's answer to an offer."""

    ACCEPT = "accept"
    REJECT = "reject"
    END = "end"


class OfferEvent:
    """An offer some party made, as every party saw it; ``utility`` (to this party) is
    computed on first use, so strategies that never look pay nothing for it."""

    __slots__ = ("_profile", "_utility", "outcome", "party", "round")

    def __init__(
        self, round_: int, party: str, outcome: dict[str, Value], profile: BoundProfile
    ) -> None:
        self.round = round_
        self.party = party
        self.outcome = outcome
        self._profile = profile
        self._utility: float | None = None

    @property
    def utility(self) -> float:
        if self._utility is None:
            self._utility = self._profile.of(self.outcome)
        return self._utility

    def __repr__(self) -> str:
        return f"OfferEvent(round={self.round}, party={self.party!r}, outcome={self.outcome!r})"


@dataclass(slots=True)
class AgentContext:
    """Everything a strategy may know about its negotiation. Read-only by convention."""

    party_id: str
    parties: tuple[str, ...]
    mechanism: str
    space: OutcomeSpace
    profile: BoundProfile
    rng: np.random.Generator
    rounds: int | None
    seconds: float | None
    offers: list[OfferEvent] = field(default_factory=list)
    """Every offer made so far, by anybody, in order."""
    allowed: npt.NDArray[np.bool_] | None = None
    """Under a mandate, which outcomes (by enumeration index) it lets the party offer
    (:func:`accord.mandate.allowed.allowed_outcomes`); ``OfferIndex(ctx.profile, ctx.allowed)``
    picks among those. ``None`` without a mandate that limits outcomes."""

    @property
    def opponents(self) -> tuple[str, ...]:
        return tuple(p for p in self.parties if p != self.party_id)

    @property
    def reservation(self) -> float:
        return self.profile.reservation

    def utility(self, outcome: Outcome) -> float:
        """This party's (undiscounted) utility of ``outcome``. The offer a party is asked to
        answer is usually the last one announced, whose utility is then computed only once."""
        offers = self.offers
        if offers and (last := offers[-1]).outcome == outcome:
            return last.utility
        return self.profile.of(outcome)


class TurnState(NamedTuple):
    """What the strategy is asked, and when (immutable; a named tuple: one is made per turn,
    and a frozen dataclass cost five times as much to make)."""

    round: int
    relative_time: float
    """Elapsed fraction of the deadline, 0 at the start and 1 at the end."""
    kind: str
    offer: dict[str, Value] | None
    proposer: str | None
    options: Mapping[str, Any]


@runtime_checkable
class Strategy(Protocol):
    """Every strategy has ``on_start``; which request methods it has says what it can answer."""

    def on_start(self, ctx: AgentContext) -> None: ...


@runtime_checkable
class Proposer(Protocol):
    def propose(self, state: TurnState) -> Outcome | None:
        """An outcome to offer, or ``None`` to end the negotiation."""
        ...


@runtime_checkable
class Responder(Protocol):
    def respond(self, state: TurnState, offer: Outcome) -> Response:
        """Accept, reject (a ``propose`` call follows) or end."""
        ...


@runtime_checkable
class Voter(Protocol):
    def vote(self, state: TurnState, offer: Outcome) -> Response:
        """Accept or reject ``offer`` (``END`` walks away where the mechanism allows it)."""
        ...
