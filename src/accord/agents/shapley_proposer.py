"""A coalition member that proposes and accepts divisions near the Shapley value.

For the coalition value division mechanism: it learns the game from the host's ``game``
event, computes the Shapley value (exact for small coalitions, sampled with its own seeded
generator for large ones), proposes it rounded to the issues' steps (largest remainders, so
the shares still add up to ``v(N)``), and accepts a division that gives it at least its
Shapley value less ``tolerance`` and at least its stand-alone value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, cast

from accord.agents.strategy import AgentContext, Response, TurnState
from accord.coalition import Game, shapley
from accord.model import Outcome

__all__ = ["ShapleyProposer"]


class ShapleyProposer:
    """Proposes the Shapley division; accepts within ``tolerance`` of its Shapley share."""

    summary: ClassVar[str] = "Coalition division: proposes the Shapley value, accepts near it"
    ctx: AgentContext

    def __init__(self, *, tolerance: float = 1.0) -> None:
        if tolerance < 0:
            raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
        self.tolerance = tolerance
        self.game: Game | None = None
        self.value: dict[str, float] = {}

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx

    def on_event(self, ctx: AgentContext, event: Mapping[str, Any]) -> None:
        if event.get("event") == "game":
            self.game = Game.from_spec(ctx.parties, cast("Mapping[str, Any]", event["game"]))
            self.value = shapley(self.game, rng=ctx.rng)

    def divide(self, state: TurnState) -> Outcome:
        if self.game is None:
            raise RuntimeError("asked to divide before the host announced the game")
        return _rounded(self.value, self.game.grand)

    def vote(self, state: TurnState, offer: Outcome) -> Response:
        if self.game is None:
            return Response.REJECT
        me = self.ctx.party_id
        share = float(cast("float", offer[me]))
        alone = self.game.standalone()[me]
        fair = share >= self.value[me] - self.tolerance and share >= alone
        return Response.ACCEPT if fair else Response.REJECT


def _rounded(value: Mapping[str, float], grand: float) -> dict[str, int]:
    """Integer shares adding up to ``grand`` (rounded), nearest to ``value``: floors, then
    the largest remainders get one more."""
    floors = {p: math.floor(v) for p, v in value.items()}
    left = round(grand) - sum(floors.values())
    by_remainder = sorted(value, key=lambda p: value[p] - floors[p], reverse=True)
    for p in by_remainder[: max(left, 0)]:
        floors[p] += 1
    return floors
