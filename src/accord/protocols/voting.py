"""Multilateral voting: every party puts an offer on the table, every party votes on each.

Reference: R. Aydogan, D. Festen, K. Hindriks, C. Jonker, "Alternating offers protocols for
multilateral negotiation", in Modern Approaches to Agent-based Complex Automated Negotiation,
Springer, 2017 (the alternating multiple offers protocol, AMOP, of which this is the
simultaneous form used in ANAC multilateral leagues).

Each round has two phases:

1. **Offers.** Every party is asked for an offer (request kind ``propose``). Offers are
   simultaneous: the host announces them (``inform`` ``{"event": "offer", ...}``) only when it
   has all of them.
2. **Votes.** For each offer on the table, in turn order of its proposer, every other party
   votes (request kind ``vote``, the offer and its proposer in the request; answer ``accept``
   or ``reject``); the proposer counts as accepting its own offer. Every vote is announced
   (``{"event": "vote", "party", "proposer", "accept": bool}``).

If at least one offer was accepted by every party, the best of them is the agreement: with
``best="nash"`` (the default) the one with the greatest product of gains over the reservation
values, with ``best="welfare"`` the greatest sum of utilities (both need the profiles the
host holds; without them, and with ``best="first"``, the first in turn order). Otherwise the
next round begins; the negotiation ends at the deadline without agreement.

Request kinds sent: ``propose``, ``vote``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

import numpy as np
from pydantic import JsonValue

from accord.model import BoundProfile, Value
from accord.protocols.actions import Accept, Ending, EndReason, Offer
from accord.protocols.mechanism import Mechanism
from accord.protocols.session import Session
from accord.wire import Performative, Request

__all__ = ["MultilateralVoting"]

Best = Literal["nash", "welfare", "first"]


class MultilateralVoting(Mechanism):
    """``best``: how to choose among unanimously accepted offers (``nash``, ``welfare`` or
    ``first``)."""

    name: ClassVar[str] = "voting"
    summary: ClassVar[str] = (
        "Multilateral voting (AMOP, Aydogan et al. 2017): all offer, all vote on every offer"
    )
    requests: ClassVar[frozenset[str]] = frozenset({"propose", "vote"})

    def __init__(self, *, best: Best = "nash") -> None:
        if best not in ("nash", "welfare", "first"):
            raise ValueError(f"best must be 'nash', 'welfare' or 'first', got {best!r}")
        self.best = best

    async def run(self, session: Session) -> Ending:
        parties = session.parties
        while True:
            table: dict[str, dict[str, Value]] = {}
            for party in parties:
                action = await session.ask(party, Request(kind="propose"), {Performative.OFFER})
                if not isinstance(action, Offer):  # pragma: no cover - only offers are allowed
                    raise TypeError(f"expected an offer from {party!r}, got {action!r}")
                table[party] = action.outcome
            for party, outcome in table.items():
                await session.inform(
                    {"event": "offer", "party": party, "outcome": dict[str, JsonValue](outcome)}
                )
            unanimous = []
            for proposer, outcome in table.items():
                accepted = True
                for voter in parties:
                    if voter == proposer:
                        continue
                    request = Request(kind="vote", offer=outcome, proposer=proposer)
                    action = await session.ask(
                        voter, request, {Performative.ACCEPT, Performative.REJECT}
                    )
                    accepts = isinstance(action, Accept)
                    accepted = accepted and accepts
                    await session.inform(
                        {"event": "vote", "party": voter, "proposer": proposer, "accept": accepts}
                    )
                if accepted:
                    unanimous.append(proposer)
            if unanimous:
                chosen = self._choose(unanimous, table, session.profiles)
                return Ending(
                    EndReason.AGREEMENT,
                    agreement=table[chosen],
                    detail=f"the offer of {chosen!r}, accepted by every party",
                )
            session.next_round()

    def _choose(
        self,
        candidates: list[str],
        table: Mapping[str, dict[str, Value]],
        profiles: Mapping[str, BoundProfile] | None,
    ) -> str:
        if self.best == "first" or profiles is None or len(candidates) == 1:
            return candidates[0]
        scores = []
        for proposer in candidates:
            gains = [p.of(table[proposer]) - p.reservation for p in profiles.values()]
            if self.best == "nash":
                scores.append(float(np.prod(np.maximum(gains, 0.0))))
            else:
                scores.append(float(np.sum(gains)))
        return candidates[int(np.argmax(scores))]  # the first of equals
