"""Reference points between grid points, for spaces with continuous issues.

A continuous issue enumerates as a grid, so the frontier and the points found on it are close
to, but not exactly at, the true optimum. :func:`refine` starts from the best grid point and
lets scipy's bounded Powell search (derivative-free: value functions may be piecewise) move the
continuous coordinates, the discrete ones staying where the grid put them. It keeps the result
only when it improves the point's criterion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from accord.analysis.report import Point
from accord.model import BoundProfile, ContinuousIssue, OutcomeSpace

__all__ = ["refine"]

Matrix = npt.NDArray[np.float64]
IMPROVEMENT = 1e-12


def refine(
    space: OutcomeSpace,
    profiles: Sequence[BoundProfile],
    ids: Sequence[str],
    start: Point,
    criterion: Callable[[Matrix], float],
) -> Point:
    """``start`` moved along the continuous issues to a better value of ``criterion`` (a
    function of the utility vector, larger is better), or ``start`` itself."""
    row = space.encode(start.outcome)
    free = [k for k, issue in enumerate(space.issues) if isinstance(issue, ContinuousIssue)]
    bounds = [
        (issue.min, issue.max) for issue in space.issues if isinstance(issue, ContinuousIssue)
    ]

    def utilities(x: Matrix) -> Matrix:
        candidate = row.copy()
        candidate[free] = np.clip(x, [b[0] for b in bounds], [b[1] for b in bounds])
        return np.array([p.utility(candidate)[0] for p in profiles], dtype=np.float64)

    def loss(x: Matrix) -> float:
        score = criterion(utilities(x))
        return -score if np.isfinite(score) else 1e300

    x0 = row[free]
    before = criterion(utilities(x0))
    from scipy.optimize import minimize  # noqa: PLC0415  # a third of a second to import

    found = minimize(loss, x0, method="Powell", bounds=bounds, options={"xtol": 1e-10})
    after = criterion(utilities(found.x))
    if not after > before + IMPROVEMENT:
        return start
    best = row.copy()
    best[free] = np.clip(found.x, [b[0] for b in bounds], [b[1] for b in bounds])
    return Point(
        outcome=space.decode(best),
        utilities=dict(zip(ids, utilities(best[free]).tolist(), strict=True)),
        index=None,
    )
