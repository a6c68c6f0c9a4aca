"""MiCRO: Minimal Concession in Reply to new Offers.

Reference: D. de Jonge, "An analysis of the linear bilateral ANAC domains using the MiCRO
benchmark strategy", IJCAI 2022.

MiCRO ranks its outcomes from best to worst and concedes one outcome at a time, but only in
reply to the opponent's concessions: it proposes a new outcome (the next in its ranking) only
while it has made no more distinct proposals than the opponent has made distinct offers;
otherwise it repeats one of its earlier proposals, chosen at random. It never proposes below
its reservation value, and accepts an offer worth at least the least it would propose next.

With several opponents it counts, for each, the distinct offers that opponent made, and replies
to the least forthcoming one (the smallest count), so it never concedes faster than the
hardest of its opponents; an opponent whose latest move was to accept the standing offer
(and who therefore makes no new offers) is left out of the count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from accord.agents.offer_index import OfferIndex
from accord.agents.strategy import AgentContext, Response, TurnState
from accord.model import Outcome

__all__ = ["MiCRO"]


class MiCRO:
    """Concedes one outcome per new distinct offer from its (least forthcoming) opponent."""

    summary: ClassVar[str] = "MiCRO (de Jonge 2022): one new proposal per new opponent offer"
    index: OfferIndex
    ctx: AgentContext

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.index = OfferIndex(ctx.profile, ctx.allowed)
        self.proposed = 0
        """How many distinct outcomes it has proposed (the best ``proposed`` of its ranking)."""
        self.lowest = self.index.at_least(max(ctx.reservation, self.index.worst_utility))
        self.accepting: set[str] = set()
        """Opponents whose latest move was an acceptance."""

    def on_event(self, ctx: AgentContext, event: Mapping[str, object]) -> None:
        party = event.get("party")
        if isinstance(party, str) and party != ctx.party_id:
            if event.get("event") == "accept":
                self.accepting.add(party)
            elif event.get("event") == "offer":
                self.accepting.discard(party)

    def _position(self, rank: int) -> int:
        """The position in the index of the outcome ranked ``rank`` from the best."""
        return len(self.index) - 1 - rank

    def opponent_offers(self) -> int:
        """Distinct offers of the least forthcoming opponent (0 until every one offered)."""
        seen: dict[str, set[tuple[tuple[str, object], ...]]] = {
            p: set() for p in self.ctx.opponents
        }
        for event in self.ctx.offers:
            if event.party in seen:
                seen[event.party].add(tuple(sorted(event.outcome.items())))
        counts = {p: len(s) for p, s in seen.items()}
        offering = [c for p, c in counts.items() if p not in self.accepting]
        return min(offering) if offering else max(counts.values(), default=0)

    def _may_concede(self) -> bool:
        next_position = self._position(self.proposed)
        return self.proposed <= self.opponent_offers() and next_position >= self.lowest

    def _threshold(self) -> float:
        """The least it would propose next: a new outcome if it may concede, else its
        lowest proposal so far."""
        rank = self.proposed if self._may_concede() else max(self.proposed - 1, 0)
        return self.index.utility(self._position(rank))

    def propose(self, state: TurnState) -> Outcome:
        if self._may_concede():
            self.proposed += 1
            return self.index.outcome(self._position(self.proposed - 1))
        rank = int(self.ctx.rng.integers(max(self.proposed, 1)))
        return self.index.outcome(self._position(rank))

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        utility = self.ctx.utility(offer)
        if utility >= self._threshold() and utility >= self.ctx.reservation:
            return Response.ACCEPT
        return Response.REJECT

    def vote(self, state: TurnState, offer: Outcome) -> Response:
        """Votes as it would respond."""
        return self.respond(state, offer)
