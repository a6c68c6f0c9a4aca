"""Relative tit-for-tat (Faratin, Sierra and Jennings, 1998), for any number of opponents.

The party concedes, as a fraction of its own utility range, as much as its opponents have
conceded to it: an opponent's concession is how much its latest offer improved on its first
one, in this party's utility, as a fraction of the room it had left. With several opponents
the party mirrors the least generous one. ``kindness`` adds a fixed extra concession so that
two tit-for-tat players do not deadlock at their opening offers.
"""

from __future__ import annotations

from typing import ClassVar

from accord.agents.offer_index import OfferIndex
from accord.agents.strategy import AgentContext, Response, TurnState
from accord.model import Outcome

__all__ = ["TitForTat"]


class TitForTat:
    summary: ClassVar[str] = "Relative tit-for-tat: mirrors the opponents' relative concession"
    index: OfferIndex
    ctx: AgentContext

    def __init__(self, *, kindness: float = 0.02) -> None:
        if not 0.0 <= kindness <= 1.0:
            raise ValueError(f"kindness must be in [0, 1], got {kindness!r}")
        self.kindness = kindness

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.index = OfferIndex(ctx.profile, ctx.allowed)
        self._first: dict[str, float] = {}
        self._latest: dict[str, float] = {}
        self._read = 0
        """How many of ``ctx.offers`` (which only grows) are in ``_first`` and ``_latest``."""

    def opponent_concession(self) -> float:
        """The smallest relative concession among opponents that have offered twice or more."""
        offers = self.ctx.offers
        for event in offers[self._read :]:
            if event.party != self.ctx.party_id:
                self._first.setdefault(event.party, event.utility)
                self._latest[event.party] = event.utility
        self._read = len(offers)
        best = self.index.best_utility
        first, latest = self._first, self._latest
        ratios = [
            max(0.0, latest[p] - first[p]) / (best - first[p]) if best > first[p] else 1.0
            for p in first
        ]
        return min(ratios, default=0.0)

    def target(self) -> float:
        floor = max(self.ctx.reservation, self.index.worst_utility)
        best = self.index.best_utility
        concession = min(1.0, self.opponent_concession() + self.kindness)
        return best - concession * (best - floor)

    def propose(self, state: TurnState) -> Outcome:
        return self.index.outcome(self.index.at_least(self.target()))

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        utility = self.ctx.utility(offer)
        if utility >= self.index.utility(self.index.at_least(self.target())) and (
            utility >= self.ctx.reservation
        ):
            return Response.ACCEPT
        return Response.REJECT
