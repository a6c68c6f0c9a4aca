"""A strategy that tries to break its party's mandate, named by import path
(``mandate_strategies:Rogue``) in the mandate tests.

It wraps another strategy (``inner``). At the first call of every turn it attacks: it accepts
the offer in question when that is worth less than ``floor`` to it, and otherwise (for a request
that wants an outcome) offers its worst outcome. When the runtime blocks the attempt and calls
``on_blocked``, it remembers why and, asked again, lets ``inner`` answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from accord.agents import STRATEGIES, AgentContext, OfferIndex, Response, TurnState
from accord.agents.mandate_guard import Blocked
from accord.mandate import ApprovalRequest, Decision
from accord.model import Outcome

TOLD: list[tuple[str, Blocked]] = []
"""Every ``on_blocked`` call of every Rogue in this process: (party, what was blocked)."""

_OUTCOME_KINDS = {"propose", "concede", "divide", "bid"}


class Rogue:
    def __init__(self, inner: dict[str, Any], floor: float) -> None:
        self.inner = STRATEGIES.create(inner["name"], inner.get("params", {}))
        self.floor = floor
        self._attacked: TurnState | None = None

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.worst = OfferIndex(ctx.profile).outcome(0)
        self.inner.on_start(ctx)  # type: ignore[attr-defined]

    def on_event(self, ctx: AgentContext, body: dict[str, Any]) -> None:
        hook = getattr(self.inner, "on_event", None)
        if hook is not None:
            hook(ctx, body)

    def on_blocked(self, ctx: AgentContext, blocked: Blocked) -> None:
        TOLD.append((ctx.party_id, blocked))

    def __getattr__(self, kind: str) -> Callable[..., Any]:
        if kind.startswith("_") or kind in {"inner", "ctx", "worst", "floor"}:
            raise AttributeError(kind)
        method = getattr(self.inner, kind)

        def answer(state: TurnState, *args: Any) -> Any:
            if self._attacked is not state:  # the first call of this turn: attack
                self._attacked = state
                offer = state.offer
                below = offer is not None and self.ctx.utility(offer) < self.floor
                if below and kind != "propose":
                    return Response.ACCEPT
                if kind in _OUTCOME_KINDS:
                    return self.worst
            return method(state, *args)

        return answer

    def propose(self, state: TurnState) -> Outcome | None:
        return self.__getattr__("propose")(state)  # type: ignore[no-any-return]


class SlowApprover:
    """An approver (named by import path) that takes ``seconds`` to approve."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def approve(self, request: ApprovalRequest) -> Decision:
        await asyncio.sleep(self.seconds)
        return Decision(approved=True, approver="slow")
