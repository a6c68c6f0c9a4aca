"""Outcome analysis: frontiers against brute force, reference points with known answers,
chunked scans equal to whole ones, continuous refinement, and ``accord analyze``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from accord.analysis import analyze_domain, analyze_scenario, pareto_indices
from accord.cli import app
from accord.errors import OutcomeSpaceTooLarge
from accord.model import BoundProfile, OutcomeSpace, Profile
from accord.scenarios import Scenario
from conftest import EXAMPLES


def brute_frontier(u: np.ndarray[Any, np.dtype[np.float64]]) -> list[int]:
    keep, seen = [], set()
    for i in range(len(u)):
        dominated = np.any(np.all(u >= u[i], axis=1) & np.any(u > u[i], axis=1))
        if not dominated and tuple(u[i]) not in seen:
            keep.append(i)
            seen.add(tuple(u[i]))
    return keep


@pytest.mark.parametrize("parties", [1, 2, 3, 4, 6])
def test_frontier_equals_brute_force(parties: int) -> None:
    rng = np.random.default_rng(parties)
    for _ in range(25):
        n = int(rng.integers(1, 400))
        ties = rng.integers(0, 5, size=(n, parties)).astype(float)  # many duplicates and ties
        assert pareto_indices(ties).tolist() == brute_frontier(ties)
        spread = rng.random((n, parties))
        assert pareto_indices(spread).tolist() == brute_frontier(spread)


def test_frontier_of_anti_correlated_utilities_keeps_nearly_everything() -> None:
    rng = np.random.default_rng(7)
    u = rng.random((2000, 3))
    u[:, 2] = 2 - u[:, 0] - u[:, 1] + 1e-3 * rng.random(2000)
    assert pareto_indices(u).tolist() == brute_frontier(u)


def pie(*, reservation_b: float = 0.0, b_points: list[list[float]] | None = None) -> Scenario:
    """One integer issue x in 0..10: a gets x/10, b gets its piecewise-linear value of x."""
    b_points = b_points or [[0, 1.0], [10, 0.0]]

    def party(name: str, points: list[list[float]], reservation: float) -> dict[str, Any]:
        return {
            "id": name,
            "organisation": name,
            "strategy": {"name": "boulware"},
            "profile": {
                "reservation": reservation,
                "utility": {
                    "type": "linear-additive",
                    "weights": {"x": 1.0},
                    "values": {"x": {"type": "piecewise-linear", "points": points}},
                },
            },
        }

    return Scenario.model_validate(
        {
            "name": "pie",
            "issues": [{"name": "x", "type": "integer", "min": 0, "max": 10}],
            "parties": [
                party("a", [[0, 0.0], [10, 1.0]], 0.0),
                party("b", b_points, reservation_b),
            ],
        }
    )


def test_splitting_a_pie_in_closed_form() -> None:
    analysis = analyze_scenario(pie())
    assert [p.outcome["x"] for p in analysis.pareto] == list(range(11))  # everything is optimal
    for point in (analysis.nash, analysis.kalai_smorodinsky, analysis.egalitarian):
        assert point is not None
        assert point.outcome == {"x": 5}
    assert analysis.max_welfare is not None
    assert analysis.max_welfare.outcome == {"x": 0}  # every sum is 1: the first outcome
    assert analysis.opposition == pytest.approx(0.5)  # (0.5, 0.5) is sqrt(0.5) from (1, 1)


def test_nash_kalai_smorodinsky_and_welfare_differ_where_theory_says() -> None:
    # b values x with 1 - 0.02x up to x=5 (0.9), then falls steeply to 0 at x=10
    analysis = analyze_scenario(pie(b_points=[[0, 1.0], [5, 0.9], [10, 0.0]]))
    assert analysis.nash is not None
    assert analysis.kalai_smorodinsky is not None
    assert analysis.max_welfare is not None
    assert analysis.nash.outcome == {"x": 5}  # 0.5 * 0.9 = 0.45 beats 0.6 * 0.72
    assert analysis.kalai_smorodinsky.outcome == {"x": 6}  # min(0.6, 0.72) beats min(0.5, 0.9)
    assert analysis.max_welfare.outcome == {"x": 5}  # 1.4 is the largest sum
    assert analysis.nash.utilities == {"a": pytest.approx(0.5), "b": pytest.approx(0.9)}


def test_kalai_smorodinsky_is_the_most_even_split_as_in_genius_and_negmas() -> None:
    # x=5 gives (0.5, 0.52): spread 0.02; x=6 gives (0.6, 0.51): a larger smallest gain (0.51)
    # but a spread of 0.09. KS takes the most even split, x=5; Nash and egalitarian take x=6.
    analysis = analyze_scenario(pie(b_points=[[0, 1.0], [5, 0.52], [6, 0.51], [10, 0.0]]))
    assert analysis.kalai_smorodinsky is not None
    assert analysis.kalai_smorodinsky.outcome == {"x": 5}
    assert analysis.egalitarian is not None
    assert analysis.egalitarian.outcome == {"x": 6}
    assert analysis.nash is not None
    assert analysis.nash.outcome == {"x": 6}  # 0.6 * 0.51 = 0.306 beats 0.5 * 0.52 = 0.26


def test_reservation_values_move_the_points_and_can_rule_every_outcome_out() -> None:
    # with b's reservation at 0.5, only x <= 5 is rational for b; a's ideal becomes 0.5
    analysis = analyze_scenario(pie(reservation_b=0.5))
    assert analysis.nash is not None
    assert analysis.nash.outcome["x"] in {2, 3}  # (x/10) * (0.5 - x/10) peaks at x = 2.5
    assert analysis.kalai_smorodinsky is not None
    # relative gains x/5 and (0.5 - x/10)/0.5 = 1 - x/5 meet at x = 2.5
    assert analysis.kalai_smorodinsky.outcome["x"] in {2, 3}
    assert analysis.max_welfare is not None
    assert analysis.max_welfare.outcome == {"x": 0}  # welfare ignores reservations
    hopeless = analyze_scenario(pie(reservation_b=1.0, b_points=[[0, 0.9], [10, 0.0]]))
    assert hopeless.nash is None
    assert hopeless.kalai_smorodinsky is None
    assert hopeless.egalitarian is None
    assert hopeless.max_welfare is not None


def profiles_of(scenario: Scenario) -> tuple[OutcomeSpace, dict[str, BoundProfile]]:
    space = scenario.outcome_space()
    return space, {p.id: p.profile.bind(space) for p in scenario.parties}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_a_chunked_scan_equals_a_whole_one(path: Any) -> None:
    from accord import load_scenario  # noqa: PLC0415

    space, profiles = profiles_of(load_scenario(path))
    whole = analyze_domain(space, profiles)
    chunked = analyze_domain(space, profiles, chunk=4999)
    assert chunked == whole


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_points_are_the_brute_force_optima_of_the_examples(path: Any) -> None:
    from accord import load_scenario  # noqa: PLC0415

    scenario = load_scenario(path)
    if not scenario.outcome_space().is_discrete:
        pytest.skip("continuous issues are refined off the grid")
    space, profiles = profiles_of(scenario)
    u = np.column_stack([p.all_utilities for p in profiles.values()])
    r = np.array([p.reservation for p in profiles.values()])
    analysis = analyze_domain(space, profiles)
    frontier = np.array([p.index for p in analysis.pareto])
    front = u[frontier]
    # nothing dominates a frontier point ...
    for row in front:
        assert not np.any(np.all(u >= row, axis=1) & np.any(u > row, axis=1))
    # ... every other outcome is dominated by, or equal to, one that comes no later
    for start in range(0, len(u), 2000):
        rows = u[start : start + 2000, None, :]
        ge = np.all(front[None, :, :] >= rows, axis=2)
        gt = np.any(front[None, :, :] > rows, axis=2)
        equal_earlier = ~gt & (frontier[None, :] <= np.arange(start, start + len(rows))[:, None])
        assert np.all(np.any(ge & (gt | equal_earlier), axis=1))
    ok = np.all(u >= r, axis=1)
    nash = np.where(ok, np.prod(u - r, axis=1), -np.inf)
    assert analysis.nash is not None
    assert analysis.nash.index == int(np.argmax(nash))
    welfare = u.sum(axis=1)
    assert analysis.max_welfare is not None
    assert analysis.max_welfare.index == int(np.argmax(welfare))
    gains = np.where(ok[:, None], u - r, -np.inf)
    assert analysis.egalitarian is not None
    assert analysis.egalitarian.index == int(np.argmax(gains.min(axis=1)))
    ideal = u[ok].max(axis=0)
    relative = (u - r) / np.where(ideal > r, ideal - r, 1.0)
    spread = np.where(ok, relative.max(axis=1) - relative.min(axis=1), np.inf)
    assert analysis.kalai_smorodinsky is not None  # the most even split on the frontier
    best = spread[frontier].min()
    assert spread[analysis.kalai_smorodinsky.index] == pytest.approx(best, abs=1e-12)


def test_continuous_issues_are_refined_between_grid_points() -> None:
    data = pie().model_dump(mode="json")
    data["issues"] = [{"name": "x", "type": "continuous", "min": 0, "max": 10, "grid": 4}]
    # b: 1 - x/10; the Nash point x = 5 lies between the grid points 3.33 and 6.67
    analysis = analyze_scenario(Scenario.model_validate(data))
    assert analysis.optimised
    assert analysis.nash is not None
    assert analysis.nash.index is None
    assert analysis.nash.outcome["x"] == pytest.approx(5.0, abs=1e-6)
    assert analysis.nash.utilities["a"] == pytest.approx(0.5, abs=1e-6)


def test_a_space_over_the_limit_is_refused_before_any_work() -> None:
    space, profiles = profiles_of(pie())
    with pytest.raises(OutcomeSpaceTooLarge, match="11 outcomes, more than the limit of 10"):
        analyze_domain(space, profiles, max_outcomes=10)


def test_profiles_must_be_given() -> None:
    with pytest.raises(ValueError, match="at least one party"):
        analyze_domain(pie().outcome_space(), {})


def test_accord_analyze_json_and_table(tmp_path: Any) -> None:
    path = EXAMPLES[0]
    runner = CliRunner()
    done = runner.invoke(app, ["analyze", str(path), "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert set(data) >= {"size", "pareto", "nash", "kalai_smorodinsky", "egalitarian"}
    assert data["max_welfare"]["utilities"].keys() == {p["id"] for p in _parties(path)}
    assert all(set(p) >= {"outcome", "utilities"} for p in data["pareto"])
    table = runner.invoke(app, ["analyze", str(path)])
    assert table.exit_code == 0
    assert "Pareto frontier" in table.stdout
    assert "nash" in table.stdout


def _parties(path: Any) -> list[dict[str, Any]]:
    import yaml  # noqa: PLC0415

    return list(yaml.safe_load(path.read_text())["parties"])


def test_profiles_with_reservations_are_kept(tmp_path: Any) -> None:
    profile = Profile.model_validate(
        {
            "reservation": 0.25,
            "utility": {
                "type": "linear-additive",
                "weights": {"x": 1.0},
                "values": {"x": {"type": "linear", "low": 0.0, "high": 1.0}},
            },
        }
    )
    space = pie().outcome_space()
    analysis = analyze_domain(space, {"solo": profile.bind(space)})
    assert analysis.reservations == {"solo": 0.25}
    assert [p.outcome for p in analysis.pareto] == [{"x": 10}]
