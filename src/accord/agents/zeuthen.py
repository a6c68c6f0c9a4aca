"""The Zeuthen strategy for the monotonic concession protocol.

References: F. Zeuthen, *Problems of Monopoly and Economic Warfare*, 1930; J. C. Harsanyi,
"Approaches to the bargaining problem before and after the theory of games", Econometrica 24,
1956; J. S. Rosenschein and G. Zlotkin, *Rules of Encounter*, MIT Press, 1994.

A party's *willingness to risk conflict* is ``(g_i(own) - g_i(other)) / g_i(own)``, with
``g`` the gain over the reservation value: the share of its gain it would lose by accepting
the other's proposal. The party with less to lose (the smaller risk) concedes; on a tie both
do. Harsanyi showed that comparing risks is comparing Nash products: party ``i`` risks less
exactly when the product of every party's gains at its own proposal is no larger than at the
other's. A party that must concede concedes *just enough*: to the deal it likes best among
those whose Nash product beats every other proposal's (so that somebody else must concede
next) and that leave nobody worse off than its previous proposal (monotonic). When no deal
beats them it moves to the best other proposal for it, which is then agreed. With two parties
both playing it, the agreement maximises the Nash product (Harsanyi 1956).

It needs every party's profile, which the monotonic concession protocol announces (the
``profiles`` event); with more than two parties the party whose proposal has the smallest
Nash product concedes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, cast

import numpy as np
import numpy.typing as npt

from accord.agents.strategy import AgentContext, TurnState
from accord.model import BoundProfile, Outcome, Profile, Value

__all__ = ["Zeuthen"]

EPSILON = 1e-12


class Zeuthen:
    """Concedes when its risk of conflict is the smaller, just enough to shift the burden."""

    summary: ClassVar[str] = (
        "Zeuthen strategy (Rosenschein & Zlotkin 1994): who risks less concedes, just enough"
    )
    ctx: AgentContext

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.order: list[str] = [ctx.party_id]
        self.bound: list[BoundProfile] = [ctx.profile]
        self.gains: npt.NDArray[np.float64] | None = None
        """Gains over reservation: one column per party in ``order``, one row per outcome."""

    def on_event(self, ctx: AgentContext, event: Mapping[str, object]) -> None:
        if event.get("event") != "profiles":
            return
        profiles = cast("Mapping[str, object]", event.get("profiles"))
        others = [p for p in ctx.parties if p != ctx.party_id and p in profiles]
        self.bound = [ctx.profile]
        self.bound += [Profile.model_validate(profiles[p]).bind(ctx.space) for p in others]
        self.order = [ctx.party_id, *others]
        self.gains = np.column_stack([b.all_utilities - b.reservation for b in self.bound])
        rational = np.all(self.gains > 0, axis=1)
        self.products = np.where(rational, np.prod(self.gains, axis=1), -np.inf)

    def propose(self, state: TurnState) -> Outcome:
        """The deal it likes best (the best Nash product among equals)."""
        if self.gains is None:
            return self.ctx.space.outcome_at(int(np.argmax(self.ctx.profile.all_utilities)))
        return self.ctx.space.outcome_at(self._best(np.ones(len(self.gains), dtype=bool)))

    def concede(self, state: TurnState) -> Outcome:
        proposals = cast("Mapping[str, dict[str, Value]]", state.options["proposals"])
        mine = proposals[self.ctx.party_id]
        if self.gains is None:
            return mine  # no profiles: cannot weigh risks, so never concedes
        products = {party: self._product(outcome) for party, outcome in proposals.items()}
        others = [p for p in proposals if p != self.ctx.party_id]
        if products[self.ctx.party_id] > min(products[p] for p in others) + EPSILON:
            return mine  # somebody risks less: it concedes, not us
        previous = self._gains(mine)
        monotonic = np.all(self.gains[:, 1:] >= previous[1:] - EPSILON, axis=1)
        shifts = monotonic & (self.products > max(products[p] for p in others) + EPSILON)
        if shifts.any():
            return self.ctx.space.outcome_at(self._best(shifts))
        acceptable = [
            proposals[p] for p in others if np.all(self._gains(proposals[p])[1:] >= previous[1:])
        ]
        if not acceptable:
            return mine
        return max(acceptable, key=self.ctx.utility)

    def _gains(self, outcome: Outcome) -> npt.NDArray[np.float64]:
        """Every party's gain (in ``order``) from ``outcome``."""
        return np.array([b.of(outcome) - b.reservation for b in self.bound])

    def _product(self, outcome: Outcome) -> float:
        gains = self._gains(outcome)
        return float(np.prod(gains)) if bool(np.all(gains > 0)) else -np.inf

    def _best(self, allowed: npt.NDArray[np.bool_]) -> int:
        """Among ``allowed`` outcomes: the best for this party, then the best Nash product,
        then the first in enumeration order."""
        own = np.where(allowed, self.ctx.profile.all_utilities, -np.inf)
        top = own >= own.max() - EPSILON
        products = np.where(top, self.products, -np.inf)
        if np.isfinite(products.max()):
            return int(np.argmax(products))
        return int(np.argmax(top))
