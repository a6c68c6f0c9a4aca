"""Random: offers a random outcome at or above its reservation value; accepts such offers
with a fixed probability. Seeded by the scenario seed, so runs are reproducible."""

from __future__ import annotations

from typing import ClassVar

from accord.agents.offer_index import OfferIndex
from accord.agents.strategy import AgentContext, Response, TurnState
from accord.model import Outcome

__all__ = ["RandomStrategy"]


class RandomStrategy:
    summary: ClassVar[str] = "Random offers above its reservation value; seeded, reproducible"
    index: OfferIndex
    ctx: AgentContext

    def __init__(self, *, accept_probability: float = 0.5) -> None:
        if not 0.0 <= accept_probability <= 1.0:
            raise ValueError(f"accept_probability must be in [0, 1], got {accept_probability!r}")
        self.accept_probability = accept_probability

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.index = OfferIndex(ctx.profile, ctx.allowed)

    def propose(self, state: TurnState) -> Outcome:
        lowest = self.index.at_least(self.ctx.reservation)
        return self.index.outcome(int(self.ctx.rng.integers(lowest, len(self.index))))

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        if self.ctx.utility(offer) < self.ctx.reservation:
            return Response.REJECT
        if self.ctx.rng.random() < self.accept_probability:
            return Response.ACCEPT
        return Response.REJECT

    def vote(self, state: TurnState, offer: Outcome) -> Response:
        """Votes as it would respond: for an offer it would accept."""
        return Response.ACCEPT if self.respond(state, offer) == Response.ACCEPT else Response.REJECT
