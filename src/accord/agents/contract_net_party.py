"""A party in a contract net: bids for calls it can contribute to, awards bids that bring
missing capabilities, and negotiates the terms with another strategy.

The bidder bids when it has at least one required capability (its bid: the outcome it would
offer first under its terms strategy) and refuses otherwise. The initiator awards a bid that
brings a required capability not yet covered and is worth at least ``min_utility`` to it
(default 0: bids are opening positions, the terms are negotiated afterwards). Every other
request (``propose``, ``respond``, ``vote``, ...) and event goes to the
``terms`` strategy (any registered name, default ``linear``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

from accord.agents.strategy import AgentContext, Response, TurnState
from accord.model import Outcome

__all__ = ["ContractNetParty"]


class ContractNetParty:
    """Bids and awards by capability; ``terms`` (with ``terms_params``) negotiates after;
    ``min_utility``: the least an awarded bid must be worth to the initiator."""

    summary: ClassVar[str] = "Contract net: bids and awards by capability, then a terms strategy"
    ctx: AgentContext

    def __init__(
        self,
        *,
        terms: str = "linear",
        terms_params: Mapping[str, Any] | None = None,
        min_utility: float = 0.0,
    ) -> None:
        from accord.agents import STRATEGIES  # noqa: PLC0415  # the registry imports us

        self.min_utility = min_utility
        self.terms: Any = STRATEGIES.create(terms, terms_params or {})
        for method in ("propose", "respond", "vote"):
            inner = getattr(self.terms, method, None)
            if callable(inner):
                setattr(self, method, inner)

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.terms.on_start(ctx)

    def on_event(self, ctx: AgentContext, event: Mapping[str, Any]) -> None:
        hook = getattr(self.terms, "on_event", None)
        if callable(hook):
            hook(ctx, event)

    def bid(self, state: TurnState) -> Outcome | Response:
        requires = set(cast("list[str]", state.options.get("requires", [])))
        mine = set(cast("list[str]", state.options.get("capabilities", [])))
        if not requires & mine:
            return Response.REJECT
        return cast("Outcome", self.terms.propose(state))

    def award(self, state: TurnState) -> Response:
        requires = set(cast("list[str]", state.options.get("requires", [])))
        covered = set(cast("list[str]", state.options.get("covered", [])))
        brings = set(cast("list[str]", state.options.get("capabilities", [])))
        missing = requires - covered
        worth = state.offer is not None and self.ctx.utility(state.offer) >= self.min_utility
        return Response.ACCEPT if brings & missing and worth else Response.REJECT
