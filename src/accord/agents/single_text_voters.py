"""Voters for the mediated single-text protocol (Klein et al. 2003).

Both compare the mediator's proposal with the current draft (``state.options["draft"]``), and
ratify a final draft (``state.options["ratify"]``) worth at least their reservation value.

- ``hill-climber`` accepts a change only if it is no worse for itself: a change every party
  accepts is then a Pareto improvement, so mediation climbs, but it can stop at a local
  optimum.
- ``annealer`` also accepts a change for the worse with probability ``exp(-loss / T)``, the
  temperature ``T`` falling linearly from ``temperature`` to 0 over the negotiation; Klein et
  al. show annealing parties reach contracts of higher social welfare.
"""

from __future__ import annotations

import math
from typing import ClassVar, cast

from accord.agents.strategy import AgentContext, Response, TurnState
from accord.model import Outcome

__all__ = ["Annealer", "HillClimber"]


class HillClimber:
    """Accepts a change of the draft that does not make it worse for itself."""

    summary: ClassVar[str] = "Single text: votes for every change that is no worse for it"
    ctx: AgentContext

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx

    def vote(self, state: TurnState, offer: Outcome) -> Response:
        utility = self.ctx.utility(offer)
        if state.options.get("ratify"):
            return Response.ACCEPT if utility >= self.ctx.reservation else Response.REJECT
        draft = cast("Outcome", state.options.get("draft", offer))
        loss = self.ctx.utility(draft) - utility
        return Response.ACCEPT if self.accepts(loss, state.relative_time) else Response.REJECT

    def accepts(self, loss: float, relative_time: float) -> bool:
        return loss <= 1e-12


class Annealer(HillClimber):
    """Accepts a change for the worse with probability ``exp(-loss / T)``."""

    summary: ClassVar[str] = "Single text: simulated annealing voter (Klein et al. 2003)"

    def __init__(self, *, temperature: float = 0.2) -> None:
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        self.temperature = temperature

    def accepts(self, loss: float, relative_time: float) -> bool:
        if loss <= 1e-12:
            return True
        t = self.temperature * (1.0 - relative_time)
        return t > 0 and float(self.ctx.rng.random()) < math.exp(-loss / t)
