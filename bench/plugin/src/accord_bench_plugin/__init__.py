"""Time-dependent concession, written as a researcher writes their own strategy: a small class
against accord's public API (``accord.agents``), installed as a plug-in by its entry points.

accord runs every strategy that is not its own as a plug-in (inline, under the watchdog), so
the benchmarks time with these what a user's own strategy costs. Their NegMAS counterparts,
written the same way against NegMAS's API, are in ``bench/negmas_custom.py``.
"""

from __future__ import annotations

from typing import ClassVar

from accord.agents import AgentContext, OfferIndex, Response, TurnState
from accord.model import Outcome

__all__ = ["Boulware", "Conceder", "TimeDependent"]


class TimeDependent:
    """Offers the outcome worth the least at or above ``floor + (best - floor) * (1 -
    t ** (1 / e))``; accepts an offer worth at least its next offer and its reservation."""

    summary: ClassVar[str] = "A user's time-dependent strategy (the benchmarks' plug-in)"
    e: ClassVar[float] = 1.0

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.index = OfferIndex(ctx.profile)
        self.floor = max(ctx.reservation, self.index.worst_utility)

    def _next(self, t: float) -> int:
        best = self.index.best_utility
        return self.index.at_least(self.floor + (best - self.floor) * (1.0 - t ** (1.0 / self.e)))

    def propose(self, state: TurnState) -> Outcome:
        return self.index.outcome(self._next(state.relative_time))

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        utility = self.ctx.utility(offer)
        if utility >= self.index.utility(self._next(state.relative_time)) and (
            utility >= self.ctx.reservation
        ):
            return Response.ACCEPT
        return Response.REJECT


class Boulware(TimeDependent):
    e: ClassVar[float] = 0.2


class Conceder(TimeDependent):
    e: ClassVar[float] = 2.0
