"""Outcome metrics: how good, and how fairly shared, the result of a negotiation is.

Computed from the domain analysis (:mod:`accord.analysis`) and each party's undiscounted
utility of the agreement (its reservation value without one). ``accord run`` writes the same
metrics into ``result.json``; ``accord audit`` reports them.

* ``individually_rational``: no party ends below its reservation value;
* ``pareto_optimal``: no outcome is at least as good for everybody and better for somebody;
* ``pareto_distance``: Euclidean distance in utility space to the nearest frontier point;
* ``distance_to`` ``nash`` / ``kalai_smorodinsky`` / ``egalitarian``: Euclidean distances to
  those points' utility vectors (absent when the domain has no such point);
* ``welfare_share``: the sum of utilities over the largest possible sum;
* ``gini``: the Gini coefficient of the gains (0: equal gains; negative gains count as 0);
* ``min_max_ratio``: the smallest gain over the largest (1: equal; 0 when one gained nothing).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict

from accord.analysis.report import DomainAnalysis, Point
from accord.model import BoundProfile, Value

__all__ = ["OutcomeMetrics", "PartyStanding", "gini", "outcome_metrics"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PartyStanding(_Model):
    utility: float
    reservation: float
    gain: float
    rational: bool


class OutcomeMetrics(_Model):
    """The outcome section of an audit, and the ``metrics`` of ``result.json``."""

    agreement: bool
    outcome: dict[str, Value] | None
    parties: dict[str, PartyStanding]
    individually_rational: bool
    pareto_optimal: bool
    pareto_distance: float
    distance_to: dict[str, float]
    welfare: float
    max_welfare: float
    welfare_share: float
    gini: float
    min_max_ratio: float


def gini(values: list[float]) -> float:
    """Gini coefficient of non-negative amounts (negative ones count as 0); 0 when all are
    equal or all are 0."""
    x = np.sort(np.clip(np.asarray(values, dtype=np.float64), 0.0, None))
    n, total = len(x), float(x.sum())
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * x).sum()) / (n * total) - (n + 1) / n)


def outcome_metrics(
    profiles: Mapping[str, BoundProfile],
    analysis: DomainAnalysis,
    outcome: Mapping[str, Value] | None,
) -> OutcomeMetrics:
    """Metrics of ``outcome`` (``None``: no agreement, every party at its reservation)."""
    ids = list(profiles)
    reservations = np.array([profiles[p].reservation for p in ids])
    if outcome is None:
        utilities = reservations.copy()
    else:
        utilities = np.array([profiles[p].of(outcome) for p in ids])
    gains = utilities - reservations
    front = np.array([[pt.utilities[p] for p in ids] for pt in analysis.pareto])
    dominated = bool(
        len(front)
        and np.any(
            np.all(front >= utilities - 1e-12, axis=1) & np.any(front > utilities + 1e-12, axis=1)
        )
    )
    distance = float(np.sqrt(((front - utilities) ** 2).sum(axis=1)).min()) if len(front) else 0.0

    def to(point: Point | None) -> float | None:
        if point is None:
            return None
        target = np.array([point.utilities[p] for p in ids])
        return float(np.sqrt(((target - utilities) ** 2).sum()))

    distances = {
        name: d
        for name, d in (
            ("nash", to(analysis.nash)),
            ("kalai_smorodinsky", to(analysis.kalai_smorodinsky)),
            ("egalitarian", to(analysis.egalitarian)),
        )
        if d is not None
    }
    best = analysis.max_welfare
    max_welfare = float(sum(best.utilities.values())) if best is not None else 0.0
    welfare = float(utilities.sum())
    positive = np.clip(gains, 0.0, None)
    ratio = float(positive.min() / positive.max()) if positive.max() > 0 else 1.0
    return OutcomeMetrics(
        agreement=outcome is not None,
        outcome=dict(outcome) if outcome is not None else None,
        parties={
            p: PartyStanding(
                utility=float(u), reservation=float(r), gain=float(g), rational=bool(g >= -1e-12)
            )
            for p, u, r, g in zip(ids, utilities, reservations, gains, strict=True)
        },
        individually_rational=bool(np.all(gains >= -1e-12)),
        pareto_optimal=outcome is not None and not dominated,
        pareto_distance=distance,
        distance_to=distances,
        welfare=welfare,
        max_welfare=max_welfare,
        welfare_share=welfare / max_welfare if max_welfare > 0 else 0.0,
        gini=gini(gains.tolist()),
        min_max_ratio=ratio,
    )
