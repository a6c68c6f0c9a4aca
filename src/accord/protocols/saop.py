"""Stacked alternating offers (SAOP).

Reference: R. Aydogan, D. Festen, K. Hindriks, C. Jonker, "Alternating offers protocols for
multilateral negotiation", in Modern Approaches to Agent-based Complex Automated Negotiation,
Springer, 2017. For two parties it is Rubinstein's alternating offers.

Parties take turns in a fixed order. The first party must make an offer. Every later turn, the
party in turn answers the *standing offer* (the most recent one) by accepting it, making a new
offer (which replaces it and clears all acceptances) or, when allowed, ending the negotiation.
Agreement: every party other than the proposer has accepted the standing offer. A round is one
full cycle of turns; the negotiation ends at the deadline without agreement.

Request kinds sent: ``propose`` (no standing offer yet) and ``respond`` (with the standing offer).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import JsonValue

from accord.model import Value
from accord.protocols.actions import Accept, Ending, EndNegotiation, EndReason, Offer, Reject
from accord.protocols.mechanism import Mechanism
from accord.protocols.session import Session
from accord.wire import Performative, Request

__all__ = ["StackedAlternatingOffers"]

P = Performative
_PROPOSE = Request(kind="propose")


class StackedAlternatingOffers(Mechanism):
    """Turn order: ``order="scenario"`` (as the parties are listed) or ``"random"`` (shuffled
    with the scenario's seed). ``allow_end=False`` forbids walking away."""

    name: ClassVar[str] = "saop"
    summary: ClassVar[str] = (
        "Stacked alternating offers (Aydogan et al. 2017): accept, counter-offer or end, in turn"
    )
    requests: ClassVar[frozenset[str]] = frozenset({"propose", "respond"})

    def __init__(
        self,
        *,
        order: Literal["scenario", "random"] = "scenario",
        allow_end: bool = True,
    ) -> None:
        if order not in ("scenario", "random"):
            raise ValueError(f"order must be 'scenario' or 'random', got {order!r}")
        self.order = order
        self.allow_end = allow_end

    def turn_order(self, session: Session) -> list[str]:
        order = list(session.parties)
        if self.order == "random":
            np.random.default_rng(session.seed).shuffle(order)
        return order

    async def run(self, session: Session) -> Ending:
        order = self.turn_order(session)
        ending = {P.END} if self.allow_end else set()
        first, later = {P.OFFER, *ending}, {P.ACCEPT, P.OFFER, *ending}
        standing: dict[str, Value] | None = None
        proposer: str | None = None
        accepted: set[str] = set()
        turn = 0
        while True:
            if turn and turn % len(order) == 0:
                session.next_round()
            party = order[turn % len(order)]
            if standing is None:
                action = await session.ask(party, _PROPOSE, first)
            else:
                # the session checked the standing offer when it came
                request = Request.checked("respond", offer=standing, proposer=proposer)
                action = await session.ask(party, request, later)
            match action:
                case Offer(outcome):
                    standing, proposer, accepted = outcome, party, set()
                    announced: dict[str, JsonValue] = dict(outcome)
                    await session.inform({"event": "offer", "party": party, "outcome": announced})
                case Accept():
                    accepted.add(party)
                    await session.inform({"event": "accept", "party": party})
                    if len(accepted) == len(order) - 1:
                        return Ending(EndReason.AGREEMENT, agreement=standing)
                case EndNegotiation():
                    await session.inform({"event": "end", "party": party})
                    return Ending(EndReason.ENDED_BY_PARTY, party=party, detail="ended by party")
                case Reject():  # pragma: no cover - not in the allowed set, refused by session
                    raise AssertionError("reject is not allowed in SAOP")
            turn += 1
