"""The outcomes a mandate lets its party offer, over the whole outcome space at once.

A strategy that picks offers from an :class:`~accord.agents.OfferIndex` built with
``ctx.allowed`` moves among these only: under a mandate it concedes to the best outcome the
mandate allows instead of offering, again and again, one the runtime blocks. The mask covers
what depends on the outcome (the issue limits, ``min_utility``); the mechanism and deadline
limits hold for every outcome alike, and the runtime's guard still checks every offer.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from accord.mandate.model import Mandate
from accord.model import BoundProfile

__all__ = ["allowed_outcomes"]


def allowed_outcomes(mandate: Mandate, profile: BoundProfile) -> npt.NDArray[np.bool_] | None:
    """For each outcome of ``profile``'s space (in enumeration order), whether ``mandate``'s
    issue limits and ``min_utility`` let the party offer it; ``None`` when they limit none
    (or would leave nothing: the guard then says why each offer is blocked)."""
    space = profile.space
    names = {issue.name: k for k, issue in enumerate(space.issues)}
    limited = [(names[name], limit) for name, limit in mandate.issues.items() if name in names]
    if not limited and mandate.min_utility is None:
        return None
    mask = np.ones(space.cardinality, dtype=np.bool_)
    if limited:
        indices = space.indices
        for k, limit in limited:
            issue = space.issues[k]
            per_value = np.array(
                [limit.breach(issue.name, issue.at(i)) is None for i in range(issue.cardinality)],
                dtype=np.bool_,
            )
            mask &= per_value[indices[:, k]]
    if mandate.min_utility is not None:
        mask &= profile.all_utilities >= mandate.min_utility
    return mask if mask.any() else None
