"""A party's outcomes sorted by its own utility, for strategies that pick offers by target.

Built once per negotiation with one vectorised evaluation and one sort; every pick afterwards
is a binary search, so no strategy loops over outcomes in Python.
"""

from __future__ import annotations

from accord.model import BoundProfile, Value

__all__ = ["OfferIndex"]


class OfferIndex:
    """Outcomes of ``profile``'s space in increasing order of ``profile``'s utility."""

    def __init__(self, profile: BoundProfile) -> None:
        self.space = profile.space
        self.order, self.utilities = profile.sorted_outcomes()
        self.best_utility = float(self.utilities[-1])
        self.worst_utility = float(self.utilities[0])
        self._outcomes: dict[int, dict[str, Value]] = {}

    def __len__(self) -> int:
        return len(self.order)

    def at_least(self, target: float) -> int:
        """Position (in sorted order) of the outcome with the lowest utility >= ``target``;
        the best outcome when none reaches it."""
        position = int(self.utilities.searchsorted(target - 1e-12, side="left"))
        return min(position, len(self.order) - 1)

    def outcome(self, position: int) -> dict[str, Value]:
        """The outcome at ``position`` in sorted order (a shared dict: do not modify it)."""
        outcome = self._outcomes.get(position)
        if outcome is None:
            outcome = self._outcomes[position] = self.space.outcome_at(int(self.order[position]))
        return outcome

    def utility(self, position: int) -> float:
        return float(self.utilities[position])

    def best(self) -> dict[str, Value]:
        return self.outcome(len(self.order) - 1)
