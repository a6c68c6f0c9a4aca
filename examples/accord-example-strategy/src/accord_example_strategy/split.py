"""Split the difference: meet the opponents halfway, no faster than time allows, never below
a floor.

Each time it proposes, the strategy moves its target utility a fraction ``step`` of the way
towards what the least generous opponent's latest offer is worth to it, but no lower than a
limit that falls linearly in time from its best utility to ``floor`` (its reservation value
unless set higher), so a stubborn opponent cannot talk it down early; it offers the outcome
it likes least among those that reach the target. It accepts (or votes for) an offer worth
at least its target. It answers ``propose``, ``respond`` and ``vote``, so it plays stacked
alternating offers, multilateral voting and mediated single text.
"""

from __future__ import annotations

from typing import ClassVar

from accord.agents import AgentContext, OfferIndex, Response, TurnState
from accord.model import Outcome

__all__ = ["SplitTheDifference"]


class SplitTheDifference:
    """Split the difference: concedes ``step`` of the gap to the opponents' offers, each turn."""

    summary: ClassVar[str] = (
        "Example plug-in: meets the opponents halfway, no faster than time allows"
    )

    def __init__(self, *, step: float = 0.5, floor: float | None = None) -> None:
        if not 0.0 < step <= 1.0:
            raise ValueError(f"step must be in (0, 1], got {step!r}")
        if floor is not None and not 0.0 <= floor <= 1.0:
            raise ValueError(f"floor must be in [0, 1], got {floor!r}")
        self.step = step
        self.floor_param = floor

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.index = OfferIndex(ctx.profile)
        self.floor = max(ctx.reservation, self.index.worst_utility, self.floor_param or 0.0)
        self.target = self.index.best_utility

    def theirs(self) -> float | None:
        """What the least generous opponent's latest offer is worth to this party."""
        latest = {e.party: e.utility for e in self.ctx.offers if e.party != self.ctx.party_id}
        return min(latest.values(), default=None)

    def propose(self, state: TurnState) -> Outcome:
        theirs = self.theirs()
        if theirs is not None and theirs < self.target:
            best = self.index.best_utility
            limit = best - (best - self.floor) * state.relative_time
            self.target = max(limit, self.target - self.step * (self.target - theirs))
        return self.index.outcome(self.index.at_least(self.target))

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        utility = self.ctx.utility(offer)
        if utility >= self.target and utility >= self.floor:
            return Response.ACCEPT
        return Response.REJECT

    def vote(self, state: TurnState, offer: Outcome) -> Response:
        return self.respond(state, offer)
