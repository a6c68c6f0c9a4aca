"""Reference points of a negotiation domain, chosen among its Pareto frontier.

With ``u`` a party's utility and ``r`` its reservation value (its utility of no agreement),
the gain of an outcome is ``u - r``; an outcome is individually rational when no party's gain
is negative. Over the individually rational frontier points:

* **Nash** bargaining point: the largest product of gains (Nash 1950);
* **Kalai-Smorodinsky** point: the most even *relative* gains, each party's gain divided by
  its best possible gain ``ideal - r`` (Kalai and Smorodinsky 1975), that is the smallest
  spread (largest minus smallest relative gain): on a discrete frontier, the point nearest the
  line from the reservation values to the ideal point, as GENIUS and NegMAS choose it. The
  ideal point is each party's best individually rational utility; a party whose ideal is its
  reservation value counts as fully satisfied;
* **egalitarian** point: the largest smallest gain (Kalai 1977);

and over the whole frontier, the **maximum-welfare** point: the largest sum of utilities.
Every maximum is over the frontier, whose points are in enumeration order, so ties go to the
outcome that comes first. A domain without individually rational outcomes has no Nash, KS or
egalitarian point (``None``).

**Opposition** (Baarslag et al.): the smallest distance from an outcome to the ideal point
(every party at its own best utility), divided by ``sqrt(parties)`` to lie in ``[0, 1]``:
0 when one outcome is best for everybody.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = [
    "egalitarian",
    "ideal_point",
    "kalai_smorodinsky",
    "max_welfare",
    "nash",
    "opposition",
    "rational",
]

Matrix = npt.NDArray[np.float64]
Vector = npt.NDArray[np.float64]


def rational(frontier: Matrix, reservations: Vector) -> npt.NDArray[np.bool_]:
    """Which frontier points give every party at least its reservation value."""
    return np.asarray(np.all(frontier >= reservations, axis=1), dtype=np.bool_)


def _best(scores: Vector, allowed: npt.NDArray[np.bool_]) -> int | None:
    if not allowed.any():
        return None
    masked = np.where(allowed, scores, -np.inf)
    return int(np.argmax(masked))


def nash(frontier: Matrix, reservations: Vector) -> int | None:
    """Position in ``frontier`` of the Nash bargaining point."""
    return _best(np.prod(frontier - reservations, axis=1), rational(frontier, reservations))


def ideal_point(frontier: Matrix, reservations: Vector) -> Vector | None:
    """Each party's best utility among the individually rational frontier points."""
    allowed = rational(frontier, reservations)
    if not allowed.any():
        return None
    return np.asarray(frontier[allowed].max(axis=0), dtype=np.float64)


def kalai_smorodinsky(
    frontier: Matrix, reservations: Vector, ideal: Vector | None = None
) -> int | None:
    """Position in ``frontier`` of the Kalai-Smorodinsky point; ``ideal`` defaults to
    :func:`ideal_point` (NegMAS takes each party's best utility over all outcomes instead)."""
    if ideal is None:
        ideal = ideal_point(frontier, reservations)
    if ideal is None:
        return None
    span = ideal - reservations
    safe = np.where(span > 0, span, 1.0)
    relative = np.where(span > 0, (frontier - reservations) / safe, 1.0)
    spread = relative.max(axis=1) - relative.min(axis=1)
    return _best(-spread, rational(frontier, reservations))


def egalitarian(frontier: Matrix, reservations: Vector) -> int | None:
    """Position in ``frontier`` of the egalitarian point."""
    return _best((frontier - reservations).min(axis=1), rational(frontier, reservations))


def max_welfare(frontier: Matrix) -> int | None:
    """Position in ``frontier`` of the maximum-welfare point."""
    return _best(frontier.sum(axis=1), np.ones(len(frontier), dtype=bool))


def opposition(frontier: Matrix) -> float:
    """Opposition of the domain, in ``[0, 1]`` (the nearest outcome to the ideal point is
    always on the frontier)."""
    if not len(frontier):
        return 0.0
    ideal = frontier.max(axis=0)
    distance = np.sqrt(((ideal - frontier) ** 2).sum(axis=1)).min()
    return float(distance / math.sqrt(frontier.shape[1]))
