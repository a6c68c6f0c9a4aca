"""A party's outcomes sorted by its own utility, for strategies that pick offers by target.

Built once per negotiation with one vectorised evaluation and one sort; every pick afterwards
is a binary search, so no strategy loops over outcomes in Python.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np
import numpy.typing as npt

from accord.model import BoundProfile, Value

__all__ = ["OfferIndex"]

LIST_SEARCH_MAX = 1 << 14
"""Up to this many outcomes, picks search a Python list of the utilities with ``bisect``
(~0.3 µs) rather than the numpy array (~2 µs of call overhead); above it, making the list
(once per bound profile, which a tournament reuses) would cost more than the searches save."""


class OfferIndex:
    """Outcomes of ``profile``'s space in increasing order of ``profile``'s utility; with
    ``allowed`` (``ctx.allowed``: what the party's mandate lets it offer, by enumeration
    index), those outcomes only."""

    def __init__(self, profile: BoundProfile, allowed: npt.NDArray[np.bool_] | None = None) -> None:
        self.space = profile.space
        self.order, self.utilities = profile.sorted_outcomes()
        if allowed is not None:
            keep = allowed[self.order]
            self.order, self.utilities = self.order[keep], self.utilities[keep]
        self.best_utility = float(self.utilities[-1])
        self.worst_utility = float(self.utilities[0])
        self._outcomes: dict[int, dict[str, Value]] = {}
        self._list: list[float] | None = None
        if len(self.utilities) <= LIST_SEARCH_MAX:
            self._list = (
                profile.sorted_utility_list() if allowed is None else self.utilities.tolist()
            )

    def __len__(self) -> int:
        return len(self.order)

    def at_least(self, target: float) -> int:
        """Position (in sorted order) of the outcome with the lowest utility >= ``target``;
        the best outcome when none reaches it."""
        if self._list is not None:
            position = bisect_left(self._list, target - 1e-12)
        else:
            position = int(self.utilities.searchsorted(target - 1e-12, side="left"))
        return min(position, len(self.order) - 1)

    def outcome(self, position: int) -> dict[str, Value]:
        """The outcome at ``position`` in sorted order (a shared dict: do not modify it)."""
        outcome = self._outcomes.get(position)
        if outcome is None:
            outcome = self._outcomes[position] = self.space.outcome_at(int(self.order[position]))
        return outcome

    def utility(self, position: int) -> float:
        if self._list is not None:
            return self._list[position]
        return float(self.utilities[position])

    def best(self) -> dict[str, Value]:
        return self.outcome(len(self.order) - 1)
