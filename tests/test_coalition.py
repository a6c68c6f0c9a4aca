"""Coalition value division: Shapley values and the core on textbook games, and the
coalition mechanism with four parties over memory and MQTT."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from accord import load_scenario
from accord.coalition import (
    EXACT_LIMIT,
    Game,
    core_check,
    exact_shapley,
    sampled_shapley,
    shapley,
)
from accord.errors import InputError, ScenarioError
from accord.runner import negotiate
from accord.wire import events_of
from buses import BUSES, BusName, bus_named
from conftest import ROOT

PORT = ROOT / "scenarios" / "coalition" / "smart-port-consortium.yaml"


def glove_game(left: int, right: int) -> Game:
    """v(S) = the number of pairs of gloves S can make."""
    players = [f"L{k}" for k in range(left)] + [f"R{k}" for k in range(right)]

    def value(mask: int) -> float:
        lefts = sum(1 for k in range(left) if mask >> k & 1)
        rights = sum(1 for k in range(left, left + right) if mask >> k & 1)
        return float(min(lefts, rights))

    return Game(players, value)


def airport_cost(costs: list[float]) -> Game:
    """The airport game (Littlechild and Owen 1973): a coalition pays for the runway its
    largest plane needs."""
    players = [f"p{k}" for k in range(len(costs))]
    return Game(players, lambda mask: max(c for k, c in enumerate(costs) if mask >> k & 1))


def airport_shapley(costs: list[float]) -> list[float]:
    """Littlechild and Owen's closed form: each runway segment is shared equally by the
    planes that need it (costs sorted increasing)."""
    n, shares, total, previous = len(costs), [], 0.0, 0.0
    for j, cost in enumerate(costs):
        total += (cost - previous) / (n - j)
        shares.append(total)
        previous = cost
    return shares


def test_glove_game_by_hand() -> None:
    game = glove_game(1, 2)  # one left glove, two right gloves
    value = exact_shapley(game)
    assert value == pytest.approx({"L0": 2 / 3, "R0": 1 / 6, "R1": 1 / 6})
    assert core_check(game, {"L0": 1, "R0": 0, "R1": 0}).in_core  # the core is this point
    check = core_check(game, value)
    assert check.in_core is False
    assert check.efficient
    assert check.blocking in {("L0", "R0"), ("L0", "R1")}
    assert check.excess == pytest.approx(1 / 6)


def test_airport_game_by_hand() -> None:
    costs = [8.0, 11.0, 13.0]
    value = exact_shapley(airport_cost(costs))
    # 8/3 each for the first segment; +3/2 for the two larger planes; +2 for the largest
    assert list(value.values()) == pytest.approx([8 / 3, 8 / 3 + 3 / 2, 8 / 3 + 3 / 2 + 2])
    assert list(value.values()) == pytest.approx(airport_shapley(costs))


def test_the_airport_savings_game_has_the_shapley_value_in_its_core() -> None:
    costs = [1.0, 2.0, 4.0, 4.0, 7.0, 9.0]
    cost = airport_cost(costs)
    alone = [cost.value(1 << k) for k in range(cost.n)]
    savings = Game(
        cost.players,
        lambda mask: sum(alone[k] for k in range(cost.n) if mask >> k & 1) - cost.value(mask),
    )
    value = exact_shapley(savings)
    expected = [c - s for c, s in zip(costs, airport_shapley(costs), strict=True)]
    assert list(value.values()) == pytest.approx(expected)
    assert core_check(savings, value).in_core  # concave cost game: the Shapley value is in it


def test_majority_game_has_an_empty_core() -> None:
    game = Game.from_values(["a", "b", "c"], {"a+b": 1, "a+c": 1, "b+c": 1, "a+b+c": 1})
    value = exact_shapley(game)
    assert value == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    for division in itertools.product([0, 0.5, 1], repeat=3):
        if sum(division) == 1:
            assert core_check(game, dict(zip("abc", division, strict=True))).in_core is False


def test_shapley_is_efficient_symmetric_and_additive_on_random_games() -> None:
    rng = np.random.default_rng(3)
    players = ["a", "b", "c", "d", "e"]
    one, two = rng.random(32), rng.random(32)
    g1 = Game(players, lambda mask: float(one[mask]))
    g2 = Game(players, lambda mask: float(two[mask]))
    both = Game(players, lambda mask: float(one[mask] + two[mask]))
    v1, v2, v12 = exact_shapley(g1), exact_shapley(g2), exact_shapley(both)
    assert sum(v1.values()) == pytest.approx(g1.grand)
    for p in players:
        assert v12[p] == pytest.approx(v1[p] + v2[p])


def test_sampling_stays_within_its_error_bound_on_a_large_airport_game() -> None:
    costs = sorted(np.random.default_rng(5).uniform(1, 100, size=30).round(1).tolist())
    game = airport_cost(costs)
    assert game.n > EXACT_LIMIT
    estimate = sampled_shapley(game, 3000, rng=np.random.default_rng(1), confidence=0.99)
    exact = airport_shapley(costs)
    misses = [
        p
        for p, truth in zip(game.players, exact, strict=True)
        if abs(estimate.value[p] - truth) > estimate.half_width[p]
    ]
    assert len(misses) <= 2  # 99% intervals: about 0.3 of 30 expected outside
    assert max(estimate.half_width.values()) < 0.05 * max(costs)
    assert (
        shapley(game, rng=np.random.default_rng(1), samples=3000) == estimate.value
    )  # large: sampled


def test_the_capability_model_values_coalitions_by_the_projects_they_can_staff() -> None:
    scenario = load_scenario(PORT)
    game = Game.from_spec([p.id for p in scenario.parties], scenario.mechanism.params["game"])
    assert game.standalone() == {"port": 3, "energy": 1, "software": 0, "university": 1}
    assert game.of(["port", "software"]) == 3 + 5  # cargo handling + berth-scheduling AI
    assert game.of(["port", "energy"]) == 3 + 1 + 4  # + shore power
    assert game.grand == 20
    for party in scenario.parties:  # reservation values are the stand-alone values
        assert party.profile.reservation == pytest.approx(game.of([party.id]) / 20)


def division_event(transcript: list[Any]) -> dict[str, Any]:
    (event,) = [e.body for e in events_of(transcript) if e.body.get("event") == "division"]
    return dict(event)


@pytest.mark.parametrize("bus_name", BUSES)
async def test_four_members_agree_a_division_near_the_shapley_value(bus_name: BusName) -> None:
    scenario = load_scenario(PORT)
    async with bus_named(bus_name) as bus:
        negotiation = await negotiate(scenario, bus=bus)
    result = negotiation.result
    assert result.reason == "agreement", result.detail
    assert result.violations == []
    assert result.rounds == 1
    report = division_event(negotiation.transcript)
    assert report["in_core"] is True
    assert report["shapley"] == pytest.approx(
        {"port": 53 / 6, "energy": 11 / 3, "software": 4.5, "university": 3.0}
    )
    assert result.outcome is not None
    assert sum(result.outcome.values()) == 20  # type: ignore[arg-type]
    for party, share in result.outcome.items():
        assert abs(share - report["shapley"][party]) <= 1
        assert report["over_standalone"][party] >= 0
    assert "in the core" in result.detail


@pytest.mark.parametrize("bus_name", BUSES)
async def test_an_inefficient_division_is_a_violation_naming_the_party(bus_name: BusName) -> None:
    scenario = load_scenario(PORT)
    parties = list(scenario.parties)
    parties[0] = parties[0].model_copy(
        update={
            "strategy": parties[0].strategy.model_copy(update={"name": "library_strategies:Greedy"})
        }
    )
    async with bus_named(bus_name) as bus:
        result = (await negotiate(scenario.model_copy(update={"parties": parties}), bus=bus)).result
    assert result.reason == "protocol_violation"
    assert result.responsible == "port"
    assert [(v.party, v.kind) for v in result.violations] == [("port", "inefficient_division")]
    assert "sum to 23" in result.violations[0].detail


async def test_issues_that_are_not_the_parties_shares_are_refused(tmp_path: Path) -> None:
    text = PORT.read_text().replace("  - name: university\n", "  - name: uni\n", 1)
    text = text.replace("          university: {type: linear", "          uni: {type: linear")
    text = text.replace("university: 0.0}", "uni: 0.0}").replace("university: 1.0}", "uni: 1.0}")
    path = tmp_path / "port.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match="one issue per party"):
        await negotiate(load_scenario(path))


def test_strategies_that_cannot_divide_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "port.yaml"
    path.write_text(
        PORT.read_text().replace("strategy: {name: shapley}", "strategy: {name: linear}", 1)
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "party 'port' cannot answer the ['divide'] requests that mechanism 'coalition'" in str(
        caught.value
    )
    path.write_text(
        PORT.read_text().replace("capabilities:\n        port", "capabilitiez:\n        port")
    )
    with pytest.raises(ScenarioError, match="a game needs 'values', or 'capabilities'"):
        load_scenario(path)


def test_exact_shapley_of_a_sixteen_player_game_is_quick() -> None:
    game = glove_game(7, 9)
    assert game.n == EXACT_LIMIT
    value = exact_shapley(game)
    assert sum(value.values()) == pytest.approx(7)
    assert math.isclose(value["L0"], value["L6"])
    assert value["L0"] > value["R0"]
