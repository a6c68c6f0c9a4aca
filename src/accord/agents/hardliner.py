"""Hardliner: always offers its best outcome and accepts nothing less."""

from __future__ import annotations

from typing import ClassVar

from accord.agents.offer_index import OfferIndex
from accord.agents.strategy import AgentContext, Response, TurnState
from accord.model import Outcome

__all__ = ["Hardliner"]


class Hardliner:
    summary: ClassVar[str] = "Offers its best outcome every turn; accepts only that utility"
    index: OfferIndex
    ctx: AgentContext

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.index = OfferIndex(ctx.profile, ctx.allowed)

    def propose(self, state: TurnState) -> Outcome:
        return self.index.best()

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        if self.ctx.utility(offer) >= self.index.best_utility - 1e-12:
            return Response.ACCEPT
        return Response.REJECT

    def vote(self, state: TurnState, offer: Outcome) -> Response:
        """Votes as it would respond: for an offer it would accept."""
        return Response.ACCEPT if self.respond(state, offer) == Response.ACCEPT else Response.REJECT
