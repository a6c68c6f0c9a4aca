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

import math
from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict

from accord.analysis.report import DomainAnalysis
from accord.model import BoundProfile, Value

__all__ = ["OutcomeMeter", "OutcomeMetrics", "PartyStanding", "gini", "outcome_metrics"]


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
    x = sorted(v if v > 0.0 else 0.0 for v in values)
    n, total = len(x), sum(x)
    if n == 0 or total <= 0:
        return 0.0
    ranked = sum(rank * v for rank, v in enumerate(x, start=1))
    return (2 * ranked) / (n * total) - (n + 1) / n


class OutcomeMeter:
    """The metrics of outcomes of one domain, for one set of bound profiles. What does not
    depend on the outcome (the Pareto frontier as an array, the reference points, the best
    welfare) is prepared once: a tournament measures an outcome of the same domain after
    every negotiation. Per-party arithmetic is plain Python: with two or three parties,
    numpy's overhead per call, not the arithmetic, was most of the time (0.11-0.15 ms an
    outcome before, ~0.06 ms now, most of it building the pydantic result)."""

    def __init__(self, profiles: Mapping[str, BoundProfile], analysis: DomainAnalysis) -> None:
        self._profiles = dict(profiles)
        self._ids = ids = list(profiles)
        self._reservations = [float(profiles[p].reservation) for p in ids]
        front = [[pt.utilities[p] for p in ids] for pt in analysis.pareto]
        self._front = np.array(front, dtype=np.float64).reshape(len(front), len(ids))
        points = (
            ("nash", analysis.nash),
            ("kalai_smorodinsky", analysis.kalai_smorodinsky),
            ("egalitarian", analysis.egalitarian),
        )
        self._points = [
            (name, [point.utilities[p] for p in ids]) for name, point in points if point is not None
        ]
        best = analysis.max_welfare
        self._max_welfare = float(sum(best.utilities.values())) if best is not None else 0.0

    def __call__(self, outcome: Mapping[str, Value] | None) -> OutcomeMetrics:
        """Metrics of ``outcome`` (``None``: no agreement, every party at its reservation)."""
        ids, reservations = self._ids, self._reservations
        if outcome is None:
            utilities = list(reservations)
        else:
            utilities = [float(self._profiles[p].of(outcome)) for p in ids]
        gains = [u - r for u, r in zip(utilities, reservations, strict=True)]
        front = self._front
        dominated, distance = False, 0.0
        if len(front):
            point = np.array(utilities)
            dominated = bool(
                np.any(
                    np.all(front >= point - 1e-12, axis=1) & np.any(front > point + 1e-12, axis=1)
                )
            )
            distance = float(np.sqrt(((front - point) ** 2).sum(axis=1)).min())
        distances = {
            name: math.sqrt(sum((t - u) ** 2 for t, u in zip(target, utilities, strict=True)))
            for name, target in self._points
        }
        welfare = sum(utilities)
        positive = [g if g > 0.0 else 0.0 for g in gains]
        ratio = min(positive) / max(positive) if max(positive) > 0 else 1.0
        max_welfare = self._max_welfare
        return OutcomeMetrics(
            agreement=outcome is not None,
            outcome=dict(outcome) if outcome is not None else None,
            parties={
                p: PartyStanding(utility=u, reservation=r, gain=g, rational=g >= -1e-12)
                for p, u, r, g in zip(ids, utilities, reservations, gains, strict=True)
            },
            individually_rational=all(g >= -1e-12 for g in gains),
            pareto_optimal=outcome is not None and not dominated,
            pareto_distance=distance,
            distance_to=distances,
            welfare=welfare,
            max_welfare=max_welfare,
            welfare_share=welfare / max_welfare if max_welfare > 0 else 0.0,
            gini=gini(gains),
            min_max_ratio=ratio,
        )


def outcome_metrics(
    profiles: Mapping[str, BoundProfile],
    analysis: DomainAnalysis,
    outcome: Mapping[str, Value] | None,
) -> OutcomeMetrics:
    """Metrics of ``outcome`` (``None``: no agreement, every party at its reservation); for
    many outcomes of one domain, make an :class:`OutcomeMeter` once."""
    return OutcomeMeter(profiles, analysis)(outcome)
