"""Analyse a domain: scan its outcome space in chunks, keep the Pareto frontier, pick the
reference points; for continuous issues, refine the points by optimisation.

Memory is bounded by one chunk of utilities plus the frontier, whatever the size of the space:
a space that fits in one chunk uses each profile's cached whole-space utilities (the fast
outer-sum path); a larger one is evaluated ``chunk`` outcomes at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt

from accord.analysis import points
from accord.analysis.continuous import refine
from accord.analysis.frontier import FrontierBuilder
from accord.analysis.report import DomainAnalysis, Point
from accord.logs import get_logger
from accord.model import BoundProfile, OutcomeSpace

__all__ = ["CHUNK", "analyze_domain"]

log = get_logger(__name__)

CHUNK = 1 << 20
"""Outcomes evaluated at once when a space is scanned in pieces."""

Matrix = npt.NDArray[np.float64]


def analyze_domain(
    space: OutcomeSpace,
    profiles: Mapping[str, BoundProfile],
    *,
    chunk: int = CHUNK,
    max_outcomes: int | None = None,
) -> DomainAnalysis:
    """The frontier and reference points of ``space`` for the parties ``profiles`` (bound to
    ``space``). Refuses spaces beyond ``max_outcomes`` (default: the space's own limit)."""
    if len(profiles) < 1:
        raise ValueError("an analysis needs at least one party")
    size = space.check_size(max_outcomes)
    ids = list(profiles)
    bound = [profiles[i] for i in ids]
    reservations = np.array([p.reservation for p in bound], dtype=np.float64)

    builder = FrontierBuilder(len(ids))
    if size <= chunk:
        table = np.column_stack([p.all_utilities for p in bound])
        builder.add(table, np.arange(size, dtype=np.int64))
    else:
        for start in range(0, size, chunk):
            rows = space.rows(start, start + chunk)
            table = np.column_stack([p.utility(rows) for p in bound])
            builder.add(table, np.arange(start, start + len(rows), dtype=np.int64))
    front, index = builder.utilities, builder.index

    def at(position: int | None) -> Point | None:
        if position is None:
            return None
        return Point(
            outcome=space.outcome_at(int(index[position])),
            utilities=dict(zip(ids, front[position].tolist(), strict=True)),
            index=int(index[position]),
        )

    chosen: dict[str, Point | None] = {
        "nash": at(points.nash(front, reservations)),
        "kalai_smorodinsky": at(points.kalai_smorodinsky(front, reservations)),
        "egalitarian": at(points.egalitarian(front, reservations)),
        "max_welfare": at(points.max_welfare(front)),
    }
    optimised = False
    if not space.is_discrete:
        objectives = _objectives(front, reservations)
        for name, point in chosen.items():
            if point is not None:
                better = refine(space, bound, ids, point, objectives[name])
                optimised = optimised or better is not point
                chosen[name] = better
    return DomainAnalysis(
        size=size,
        parties=ids,
        reservations=dict(zip(ids, reservations.tolist(), strict=True)),
        pareto=[p for p in map(at, range(len(index))) if p is not None],
        nash=chosen["nash"],
        kalai_smorodinsky=chosen["kalai_smorodinsky"],
        egalitarian=chosen["egalitarian"],
        max_welfare=chosen["max_welfare"],
        opposition=points.opposition(front),
        optimised=optimised,
    )


def _objectives(front: Matrix, reservations: Matrix) -> dict[str, Callable[[Matrix], float]]:
    """Each point's criterion as a function of a utility vector (``-inf`` when irrational)."""
    ideal = points.ideal_point(front, reservations)
    span = (ideal if ideal is not None else reservations + 1.0) - reservations
    span = np.where(span > 0, span, 1.0)

    def guarded(score: Callable[[Matrix], float]) -> Callable[[Matrix], float]:
        def scored(u: Matrix) -> float:
            return score(u) if bool(np.all(u >= reservations)) else -np.inf

        return scored

    return {
        "nash": guarded(lambda u: float(np.prod(u - reservations))),
        "kalai_smorodinsky": guarded(lambda u: float(((u - reservations) / span).min())),
        "egalitarian": guarded(lambda u: float((u - reservations).min())),
        "max_welfare": lambda u: float(u.sum()),
    }
