"""A party's preference profile: utility function, reservation value and discount factor.

One serialisable pydantic object. ``reservation`` is the utility of no agreement; ``discount``
``d`` in ``(0, 1]`` turns a utility ``u`` at relative time ``t`` in ``[0, 1]`` into ``u * d**t``
(the GENIUS convention); the reservation value is discounted the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from accord.model.outcome_space import OutcomeSpace
from accord.model.utility import BoundUtility, Utility
from accord.model.value_functions import Column

__all__ = ["BoundProfile", "Profile"]


class Profile(BaseModel):
    """What one party wants; private to that party until it chooses to reveal it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    utility: Utility
    reservation: float = Field(default=0.0, ge=0.0, le=1.0)
    discount: float = Field(default=1.0, gt=0.0, le=1.0)

    def bind(self, space: OutcomeSpace) -> BoundProfile:
        """Check the profile against ``space``; raises ``ValueError`` naming the problem."""
        return BoundProfile(self, self.utility.bind(space))


class BoundProfile:
    """A profile checked against one outcome space, with its whole-space utilities cached."""

    def __init__(self, profile: Profile, utility: BoundUtility) -> None:
        self.profile = profile
        self.utility = utility
        self.space = utility.space
        self._all: Column | None = None
        self._sorted: tuple[npt.NDArray[np.intp], Column] | None = None
        self._sorted_list: list[float] | None = None
        self._top: tuple[npt.NDArray[np.intp], Column] | None = None

    @property
    def reservation(self) -> float:
        return self.profile.reservation

    def of(self, outcome: Mapping[str, object]) -> float:
        """Undiscounted utility of one outcome."""
        return self.utility.of(outcome)

    def discounted(self, utility: float, t: float) -> float:
        """``utility`` discounted to relative time ``t`` in ``[0, 1]``."""
        return float(utility * self.profile.discount ** min(max(t, 0.0), 1.0))

    @property
    def all_utilities(self) -> Column:
        """Undiscounted utilities of every outcome of the space, in enumeration order."""
        if self._all is None:
            self._all = self.utility.whole_space()
            self._all.setflags(write=False)
        return self._all

    def sorted_outcomes(self) -> tuple[npt.NDArray[np.intp], Column]:
        """Enumeration indices sorted by increasing utility, and the sorted utilities (both
        read-only, computed once: a bound profile reused across negotiations sorts once).

        Equal utilities are ordered by enumeration index, so the order is the same on every
        machine (numpy's fast sorts may order ties differently from one CPU to another)."""
        if self._sorted is None:
            order, values = sort_by_value_then_index(self.all_utilities)
            order.setflags(write=False)
            values.setflags(write=False)
            self._sorted = order, values
        return self._sorted

    def sorted_top(self, count: int) -> tuple[npt.NDArray[np.intp], Column]:
        """The best ``count`` outcomes or more, as the last entries of
        :meth:`sorted_outcomes` (the same order, ties included: every outcome worth as much as
        the worst one returned is returned), without sorting the rest of the space: a
        strategy that concedes from the top looks at a few percent of a large space. Cached
        (the largest asked for); a full sort once a quarter of the space is asked for."""
        if self._sorted is not None:
            order, values = self._sorted
            return order[-count:], values[-count:]
        if self._top is not None and len(self._top[0]) >= count:
            return self._top
        values = self.all_utilities
        size = len(values)
        if count * 4 >= size:
            return self.sorted_outcomes()
        cut = np.partition(values, size - count)[size - count]  # the count-th best utility
        chosen = np.flatnonzero(values >= cut)  # in enumeration order, so ties stay in it
        if len(chosen) < count:  # only if a utility is NaN (no order): sort them all
            return self.sorted_outcomes()
        order = chosen[np.argsort(values[chosen], kind="stable")]
        top = values[order]
        order.setflags(write=False)
        top.setflags(write=False)
        self._top = order, top
        return self._top

    def sorted_utility_list(self) -> list[float]:
        """The sorted utilities of :meth:`sorted_outcomes` as a Python list, computed once (a
        shared list: do not modify it). ``bisect`` in it costs less than a numpy call."""
        if self._sorted_list is None:
            self._sorted_list = self.sorted_outcomes()[1].tolist()
        return self._sorted_list


def sort_by_value_then_index(values: Column) -> tuple[npt.NDArray[np.intp], Column]:
    """``argsort`` by ``(value, index)``: a quicksort, then each run of ties put in index
    order; falls back to a stable sort when ties are common."""
    order = np.argsort(values)
    ordered = values[order]
    ties = np.flatnonzero(ordered[1:] == ordered[:-1])
    if len(ties) > len(values) // 64:
        order = np.argsort(values, kind="stable")
        return order, values[order]
    if len(ties):
        # a run of ties spans positions [start, end]; consecutive tie positions join runs
        breaks = np.flatnonzero(np.diff(ties) != 1)
        starts = np.concatenate(([ties[0]], ties[breaks + 1]))
        ends = np.concatenate((ties[breaks], [ties[-1]])) + 2
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            order[start:end].sort()
    return order, ordered
