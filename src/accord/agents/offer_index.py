"""A party's outcomes sorted by its own utility, for strategies that pick offers by target.

Built once per negotiation with one vectorised evaluation and one sort; every pick afterwards
is a binary search, so no strategy loops over outcomes in Python. On a large space only the
best outcomes are sorted at first (:meth:`~accord.model.BoundProfile.sorted_top`), and more
as picks go further down: a strategy conceding from the top looks at a few percent of it.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np
import numpy.typing as npt

from accord.model import BoundProfile, Value
from accord.model.value_functions import Column

__all__ = ["OfferIndex"]

LIST_SEARCH_MAX = 1 << 14
"""Up to this many outcomes, the whole space is sorted at once and picks search a Python list
of the utilities with ``bisect`` (~0.3 µs) rather than the numpy array (~2 µs of call
overhead). Above it, only the best outcomes are sorted (at least :data:`TOP_SHARE` of them),
twice as many each time a pick needs more."""

TOP_SHARE = 64
"""On a large space, the first sort takes the best ``1 / TOP_SHARE`` of the outcomes."""


class OfferIndex:
    """Outcomes of ``profile``'s space in increasing order of ``profile``'s utility; with
    ``allowed`` (``ctx.allowed``: what the party's mandate lets it offer, by enumeration
    index), those outcomes only. Positions count from the worst outcome (0) to the best
    (``len(index) - 1``), whether or not the worst ones have been sorted yet."""

    _top_order: npt.NDArray[np.intp]
    """Enumeration indices of the best outcomes sorted so far, by increasing utility."""
    _top_list: list[float]
    """Their utilities."""
    _start: int
    """The position of the first of them."""

    def __init__(self, profile: BoundProfile, allowed: npt.NDArray[np.bool_] | None = None) -> None:
        self.space = profile.space
        self._profile = profile
        self._outcomes: dict[int, dict[str, Value]] = {}
        self._full: tuple[npt.NDArray[np.intp], Column] | None = None
        all_utilities = profile.all_utilities
        self._size = len(all_utilities)
        if allowed is not None:
            order, utilities = profile.sorted_outcomes()
            keep = allowed[order]
            self._full = order[keep], utilities[keep]
            self._size = len(self._full[0])
            self._set_top(*self._full)
        elif self._size <= LIST_SEARCH_MAX:
            self._full = profile.sorted_outcomes()
            self._top_order = self._full[0]
            self._top_list = profile.sorted_utility_list()
            self._start = 0
        else:
            self._set_top(*profile.sorted_top(max(1, self._size // TOP_SHARE)))
        self.best_utility = self._top_list[-1]
        self.worst_utility = self._top_list[0] if self._start == 0 else float(all_utilities.min())

    def _set_top(self, order: npt.NDArray[np.intp], utilities: Column) -> None:
        """Keep the sorted best outcomes ``order`` (positions from ``_start`` on)."""
        self._top_order = order
        self._top_list = utilities.tolist()
        self._start = self._size - len(order)

    def _extend(self) -> None:
        """Sort twice as many of the best outcomes (all, past a quarter of the space)."""
        self._set_top(*self._profile.sorted_top(2 * len(self._top_order)))

    def __len__(self) -> int:
        return self._size

    @property
    def order(self) -> npt.NDArray[np.intp]:
        """Enumeration indices of every outcome, by increasing utility (sorts them all)."""
        return self._sorted_all()[0]

    @property
    def utilities(self) -> Column:
        """The utilities of :attr:`order` (sorts them all)."""
        return self._sorted_all()[1]

    def _sorted_all(self) -> tuple[npt.NDArray[np.intp], Column]:
        if self._full is None:
            self._full = self._profile.sorted_outcomes()
        return self._full

    def at_least(self, target: float) -> int:
        """Position (in sorted order) of the outcome with the lowest utility >= ``target``;
        the best outcome when none reaches it."""
        floor = target - 1e-12
        while True:
            found = bisect_left(self._top_list, floor)
            if found or self._start == 0:
                return min(self._start + found, self._size - 1)
            self._extend()  # the answer may lie below what is sorted yet

    def outcome(self, position: int) -> dict[str, Value]:
        """The outcome at ``position`` in sorted order (a shared dict: do not modify it)."""
        outcome = self._outcomes.get(position)
        if outcome is None:
            while position < self._start:
                self._extend()
            index = int(self._top_order[position - self._start])
            outcome = self._outcomes[position] = self.space.outcome_at(index)
        return outcome

    def utility(self, position: int) -> float:
        while position < self._start:
            self._extend()
        return self._top_list[position - self._start]

    def best(self) -> dict[str, Value]:
        return self.outcome(self._size - 1)
