"""A NegMAS user's own time-dependent negotiators: the counterparts of ``bench/plugin``.

Written the way a NegMAS user writes one (a ``SAONegotiator`` subclass with ``propose`` and
``respond``, the outcomes sorted by utility once, ``bisect`` afterwards), with the same rule as
accord's plug-in: offer the outcome worth the least at or above ``floor + (best - floor) *
(1 - t ** (1 / e))``, accept an offer worth at least the next offer and the reserved value.
Imported by ``negmas_tournament_side.py --custom`` under NegMAS's Python.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from typing import Any

from negmas import ResponseType
from negmas.sao import SAONegotiator


class UserTimeDependent(SAONegotiator):  # type: ignore[misc]  # NegMAS ships no types here
    e = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._outcomes: list[Any] | None = None
        self._utilities: list[float] = []
        self._floor = 0.0

    def _prepare(self) -> None:
        outcomes = list(self.nmi.outcome_space.enumerate_or_sample())
        utilities = [float(self.ufun(o)) for o in outcomes]
        order = sorted(range(len(outcomes)), key=utilities.__getitem__)
        self._outcomes = [outcomes[i] for i in order]
        self._utilities = [utilities[i] for i in order]
        reserved = self.ufun.reserved_value
        reserved = 0.0 if reserved is None or not math.isfinite(reserved) else float(reserved)
        self._floor = max(reserved, self._utilities[0])

    def _next(self, t: float) -> int:
        if self._outcomes is None:
            self._prepare()
        best = self._utilities[-1]
        target = self._floor + (best - self._floor) * (1.0 - t ** (1.0 / self.e))
        return min(bisect_left(self._utilities, target - 1e-12), len(self._utilities) - 1)

    def propose(self, state: Any, dest: str | None = None) -> Any:
        position = self._next(state.relative_time)
        assert self._outcomes is not None  # noqa: S101  # _next prepared them
        return self._outcomes[position]

    def respond(self, state: Any, source: str | None = None) -> ResponseType:
        offer = state.current_offer
        if offer is None:
            return ResponseType.REJECT_OFFER
        utility = float(self.ufun(offer))
        if utility >= self._utilities[self._next(state.relative_time)] and utility >= self._floor:
            return ResponseType.ACCEPT_OFFER
        return ResponseType.REJECT_OFFER


class UserBoulware(UserTimeDependent):
    e = 0.2


class UserConceder(UserTimeDependent):
    e = 2.0
