"""BOA: a strategy composed of a bidding strategy, an opponent model and an acceptance
condition.

Reference: T. Baarslag, K. Hindriks, M. Hendrikx, A. Dirkzwager, C. Jonker, "Decoupling
negotiating agents to explore the space of negotiation strategies", in Novel Insights in
Agent-based Complex Automated Negotiation, Springer, 2014.

The three components are small objects, each a ``typing.Protocol``:

- **bidding** (:class:`BiddingStrategy`): ``target(t)``, the utility to aim for at relative time
  ``t``; built-in ``time-dependent`` (Faratin's ``target(t)``, parameter ``e``);
- **opponent model** (:class:`OpponentModel`): ``observe(me, space, offers)`` and
  ``predict()`` (predicted opponent utility of every outcome, or ``None``); built-in
  ``frequency`` (one frequency model per opponent, predicting the least-pleased one) and
  ``none``;
- **acceptance** (:class:`~accord.agents.acceptance.AcceptanceCondition`): built-in ``next``,
  ``const``, ``time`` and ``combi``.

To bid, the strategy takes the outcomes whose utility to it lies between the target and the
target plus ``band``, and offers the one the opponent model predicts the opponents like best
(without a model: the lowest at or above the target). It accepts an offer when the acceptance
condition does and the offer is worth at least its reservation value. Components are named in
the scenario (``params: {bidding: {name: time-dependent, params: {e: 0.2}}, model: frequency,
acceptance: {name: combi, params: {T: 0.95}}}``) by built-in name or import path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from accord.agents.acceptance import (
    AcceptanceCondition,
    AcceptCombi,
    AcceptConst,
    AcceptNext,
    AcceptTime,
)
from accord.agents.frequency_model import OpponentModels
from accord.agents.offer_index import OfferIndex
from accord.agents.strategy import AgentContext, OfferEvent, Response, TurnState
from accord.model import Outcome, OutcomeSpace
from accord.plugins import load_import_path

__all__ = ["BOA", "BiddingStrategy", "NoModel", "OpponentModel", "TimeDependentBidding"]


@runtime_checkable
class BiddingStrategy(Protocol):
    def target(self, t: float, best: float, floor: float) -> float:
        """The utility to aim for at relative time ``t``, between ``floor`` and ``best``."""
        ...


@runtime_checkable
class OpponentModel(Protocol):
    def observe(self, me: str, space: OutcomeSpace, offers: Iterable[OfferEvent]) -> None: ...

    def predict(self) -> npt.NDArray[np.float64] | None: ...


class TimeDependentBidding:
    """Faratin's target: ``floor + (best - floor) * (1 - t ** (1 / e))``."""

    def __init__(self, *, e: float = 0.2) -> None:
        if not e > 0:
            raise ValueError(f"e must be > 0, got {e!r}")
        self.e = e

    def target(self, t: float, best: float, floor: float) -> float:
        return float(floor + (best - floor) * (1.0 - t ** (1.0 / self.e)))


class NoModel:
    """No opponent model: bids are chosen by own utility only."""

    def observe(self, me: str, space: OutcomeSpace, offers: Iterable[OfferEvent]) -> None:
        """Learns nothing."""

    def predict(self) -> npt.NDArray[np.float64] | None:
        return None


BIDDING: dict[str, type] = {"time-dependent": TimeDependentBidding}
MODELS: dict[str, type] = {"frequency": OpponentModels, "none": NoModel}
ACCEPTANCE: dict[str, type] = {
    "next": AcceptNext,
    "const": AcceptConst,
    "time": AcceptTime,
    "combi": AcceptCombi,
}


def _component(kind: str, table: Mapping[str, type], spec: object) -> Any:
    """Build a component from ``name`` or ``{name, params}``; names with ``:`` are import
    paths."""
    params: Mapping[str, Any] = {}
    if isinstance(spec, Mapping):
        name, params = str(spec.get("name")), spec.get("params") or {}
    else:
        name = str(spec)
    if ":" in name:
        factory = load_import_path(name)
    elif name in table:
        factory = table[name]
    else:
        raise ValueError(f"unknown {kind} {name!r}; known: {', '.join(sorted(table))}")
    return factory(**params)


class BOA:
    """A bidding strategy, an opponent model and an acceptance condition, composed."""

    summary: ClassVar[str] = (
        "BOA (Baarslag et al. 2014): bidding + opponent model + acceptance condition"
    )
    ctx: AgentContext
    index: OfferIndex

    def __init__(
        self,
        *,
        bidding: object = "time-dependent",
        model: object = "frequency",
        acceptance: object = "next",
        band: float = 0.05,
    ) -> None:
        if band < 0:
            raise ValueError(f"band must be >= 0, got {band!r}")
        self.bidding: BiddingStrategy = _component("bidding strategy", BIDDING, bidding)
        self.model: OpponentModel = _component("opponent model", MODELS, model)
        self.acceptance: AcceptanceCondition = _component("acceptance", ACCEPTANCE, acceptance)
        self.band = band

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.index = OfferIndex(ctx.profile, ctx.allowed)

    def _target(self, t: float) -> float:
        floor = max(self.ctx.reservation, self.index.worst_utility)
        return self.bidding.target(t, self.index.best_utility, floor)

    def _bid_position(self, t: float) -> int:
        """Position (in the offer index) of the outcome to bid at time ``t``."""
        target = self._target(t)
        low = self.index.at_least(target)
        self.model.observe(self.ctx.party_id, self.ctx.space, self.ctx.offers)
        predicted = self.model.predict()
        if predicted is None:
            return low
        high = int(self.index.utilities.searchsorted(target + self.band, side="right"))
        high = max(high, low + 1)
        candidates = self.index.order[low:high]
        return low + int(np.argmax(predicted[candidates]))

    def propose(self, state: TurnState) -> Outcome:
        return self.index.outcome(self._bid_position(state.relative_time))

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        utility = self.ctx.utility(offer)
        if utility < self.ctx.reservation:
            return Response.REJECT
        next_bid = self.index.utility(self._bid_position(state.relative_time))
        received = [e.utility for e in self.ctx.offers if e.party != self.ctx.party_id]
        if self.acceptance.accepts(utility, next_bid, state.relative_time, received):
            return Response.ACCEPT
        return Response.REJECT

    def vote(self, state: TurnState, offer: Outcome) -> Response:
        """Votes as it would respond."""
        return self.respond(state, offer)
