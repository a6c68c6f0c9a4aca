"""Outcome metrics, checked against brute force over every outcome of a space."""

from __future__ import annotations

import math

import pytest

from accord.analysis import OutcomeMeter, analyze_domain, gini, outcome_metrics
from accord.model import BoundProfile, Value
from conftest import make_scenario


def test_every_metric_of_every_outcome_matches_brute_force() -> None:
    scenario = make_scenario("linear", "linear")  # 150 outcomes, two parties
    space = scenario.outcome_space()
    profiles: dict[str, BoundProfile] = {p.id: p.profile.bind(space) for p in scenario.parties}
    analysis = analyze_domain(space, profiles)
    meter = OutcomeMeter(profiles, analysis)
    ids = list(profiles)
    reservations = [profiles[p].reservation for p in ids]
    everything = [space.outcome_at(i) for i in range(space.cardinality)]
    vectors = [[profiles[p].of(o) for p in ids] for o in everything]
    frontier = [v for v in vectors if not any(w != v and at_least(w, v) for w in vectors)]
    most = max(sum(v) for v in vectors)
    assert analysis.nash is not None
    nash = [analysis.nash.utilities[p] for p in ids]

    for outcome, vector in zip([None, *everything], [reservations, *vectors], strict=True):
        metrics = meter(outcome)
        gains = [u - r for u, r in zip(vector, reservations, strict=True)]
        assert [metrics.parties[p].utility for p in ids] == pytest.approx(vector)
        assert metrics.agreement is (outcome is not None)
        dominated = any(dominates(w, vector) for w in vectors)
        assert metrics.pareto_optimal is (outcome is not None and not dominated)
        assert metrics.pareto_distance == pytest.approx(min(math.dist(vector, f) for f in frontier))
        assert metrics.distance_to["nash"] == pytest.approx(math.dist(vector, nash))
        assert metrics.welfare == pytest.approx(sum(vector))
        assert metrics.welfare_share == pytest.approx(sum(vector) / most)
        assert metrics.individually_rational is all(g >= -1e-12 for g in gains)
        low, high = sorted(max(g, 0.0) for g in gains)
        assert metrics.gini == pytest.approx((high - low) / (2 * (low + high)) if high else 0.0)
        assert metrics.min_max_ratio == pytest.approx(low / high if high else 1.0)
        assert metrics == outcome_metrics(profiles, analysis, outcome)  # the one-off form


def at_least(a: list[float], b: list[float]) -> bool:
    return all(x >= y for x, y in zip(a, b, strict=True))


def dominates(a: list[float], b: list[float]) -> bool:
    """``a`` is at least as good for all and better for one, beyond rounding (1e-12)."""
    pairs = list(zip(a, b, strict=True))
    return all(x >= y - 1e-12 for x, y in pairs) and any(x > y + 1e-12 for x, y in pairs)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], 0.0), ([0.0, 0.0], 0.0), ([1.0, 1.0, 1.0], 0.0), ([0.0, 1.0], 0.5), ([-2.0, 3.0], 0.5)],
)
def test_gini_of_known_distributions(values: list[float], expected: float) -> None:
    assert gini(values) == pytest.approx(expected)


def test_gini_of_three_amounts_by_the_mean_absolute_difference() -> None:
    values = [0.2, 0.5, 0.9]
    pairs = sum(abs(a - b) for a in values for b in values)
    assert gini(values) == pytest.approx(pairs / (2 * len(values) ** 2 * (sum(values) / 3)))


def test_no_agreement_puts_everybody_at_the_reservation_value() -> None:
    scenario = make_scenario("linear", "linear")
    space = scenario.outcome_space()
    profiles = {p.id: p.profile.bind(space) for p in scenario.parties}
    metrics = OutcomeMeter(profiles, analyze_domain(space, profiles))(None)
    outcome: dict[str, Value] | None = metrics.outcome
    assert outcome is None
    assert {p: s.gain for p, s in metrics.parties.items()} == dict.fromkeys(profiles, 0.0)
    assert (metrics.pareto_optimal, metrics.gini, metrics.min_max_ratio) == (False, 0.0, 1.0)
