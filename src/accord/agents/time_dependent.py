"""Time-dependent concession (Faratin, Sierra and Jennings, 1998).

The target utility falls from the best outcome's utility towards a floor as time passes:
``target(t) = floor + (best - floor) * (1 - t ** (1 / e))``. The exponent ``e`` names the
family: ``e < 1`` concedes late (Boulware), ``e = 1`` linearly, ``e > 1`` early (Conceder).
The strategy offers the outcome whose utility is the lowest at or above the target, and accepts
an offer worth at least what it would offer next (AC_next) and at least its reservation value.
"""

from __future__ import annotations

from typing import ClassVar

from accord.agents.offer_index import OfferIndex
from accord.agents.strategy import AgentContext, Response, TurnState
from accord.model import Outcome

__all__ = ["Boulware", "Conceder", "Linear", "TimeDependent"]


class TimeDependent:
    """``e``: concession exponent; ``floor``: lowest target (default: the reservation value)."""

    summary: ClassVar[str] = "Time-dependent concession, target falls as t**(1/e) (Faratin 1998)"
    index: OfferIndex
    ctx: AgentContext
    default_e: ClassVar[float] = 1.0

    def __init__(self, *, e: float | None = None, floor: float | None = None) -> None:
        self.e = self.default_e if e is None else float(e)
        if not self.e > 0:
            raise ValueError(f"e must be > 0, got {self.e!r}")
        self._floor = floor

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.index = OfferIndex(ctx.profile, ctx.allowed)

    def target(self, t: float) -> float:
        floor = self.ctx.reservation if self._floor is None else self._floor
        floor = max(floor, self.index.worst_utility)
        best = self.index.best_utility
        return float(floor + (best - floor) * (1.0 - t ** (1.0 / self.e)))

    def propose(self, state: TurnState) -> Outcome:
        return self.index.outcome(self.index.at_least(self.target(state.relative_time)))

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        utility = self.ctx.utility(offer)
        next_offer = self.index.utility(self.index.at_least(self.target(state.relative_time)))
        if utility >= next_offer and utility >= self.ctx.reservation:
            return Response.ACCEPT
        return Response.REJECT

    def vote(self, state: TurnState, offer: Outcome) -> Response:
        """Votes as it would respond: for an offer it would accept; ratifies a final draft
        (``options.ratify``) worth at least its reservation value, as the single-text
        voters do: refusing it would leave the party with its reservation value."""
        if state.options.get("ratify"):
            utility = self.ctx.utility(offer)
            return Response.ACCEPT if utility >= self.ctx.reservation else Response.REJECT
        return Response.ACCEPT if self.respond(state, offer) == Response.ACCEPT else Response.REJECT


class Boulware(TimeDependent):
    summary: ClassVar[str] = "Time-dependent, concedes late (e = 0.2)"
    default_e: ClassVar[float] = 0.2


class Linear(TimeDependent):
    summary: ClassVar[str] = "Time-dependent, concedes at a constant rate (e = 1)"
    default_e: ClassVar[float] = 1.0


class Conceder(TimeDependent):
    summary: ClassVar[str] = "Time-dependent, concedes early (e = 2)"
    default_e: ClassVar[float] = 2.0
