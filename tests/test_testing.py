"""accord.testing: playing a strategy against the built-ins and asserting on the games."""

from __future__ import annotations

import pytest

from accord.errors import InputError, PluginError
from accord.testing import Games, example_scenarios, play
from conftest import ROOT, make_scenario

PLATFORM = example_scenarios("platform-isv")


def test_example_scenarios_are_the_repository_files() -> None:
    assert example_scenarios() == sorted((ROOT / "scenarios").glob("*.yaml"))
    assert PLATFORM == [ROOT / "scenarios" / "platform-isv.yaml"]
    with pytest.raises(InputError, match="no example scenario \\['nowhere'\\]"):
        example_scenarios("nowhere")


def test_every_seat_against_every_opponent_and_seed() -> None:
    games = play("linear", scenarios=PLATFORM, opponents=["conceder", "hardliner"], seeds=[1, 2])
    assert len(games) == 2 * 2 * 2  # seats x opponents x seeds
    assert {(g.seat, g.opponent, g.seed) for g in games} == {
        (seat, opponent, seed)
        for seat in ("platform", "isv")
        for opponent in ("conceder", "hardliner")
        for seed in (1, 2)
    }
    for game in games:
        assert game.scenario == "platform-isv"
        strategies = {p.id: p.strategy for p in game.result.parties}
        assert strategies[game.seat] == "linear"
        assert all(s == game.opponent for who, s in strategies.items() if who != game.seat)
    games.assert_no_violations()
    games.assert_never_below_reservation()
    conceder = games.where(opponent="conceder")
    assert len(conceder) == 4
    assert conceder.agreement_rate() == 1.0
    conceder.assert_agrees(at_least=1.0)
    distance = conceder.mean_distance_to("nash")
    assert distance is not None
    conceder.assert_near_nash(within=distance + 1e-9)
    assert games.where(opponent="hardliner").agreement_rate() == 0.0
    assert isinstance(games[1:3], Games)
    assert len(games[1:3]) == 2


def test_failed_assertions_name_the_games() -> None:
    games = play("linear", scenarios=PLATFORM, opponents=["hardliner"])
    with pytest.raises(AssertionError, match="at least 50% of 2 games, got 0%") as info:
        games.assert_agrees(at_least=0.5)
    assert "platform-isv seat 'isv' vs 'hardliner' seed 0: deadline" in str(info.value)
    with pytest.raises(AssertionError, match=r"mean distance to the nash point of at most 0\.01"):
        games.assert_near_nash(within=0.01)


def test_a_strategy_that_raises_is_a_violation() -> None:
    games = play("faulty:Raises", scenarios=PLATFORM, opponents=["conceder"])
    assert [g.fault is not None for g in games] == [True, True]
    with pytest.raises(AssertionError, match="2 of 2 games had one") as info:
        games.assert_no_violations()
    assert "seat 'platform' vs 'conceder'" in str(info.value)
    assert "strategy_error" in str(info.value)


def test_a_pushover_ends_below_its_reservation() -> None:
    scenario = make_scenario("linear", "linear")
    games = play("faulty:AcceptsAnything", scenarios=[scenario], opponents=["hardliner"])
    assert games.below_reservation()
    with pytest.raises(AssertionError, match="never to end below its reservation value"):
        games.assert_never_below_reservation()


def test_pairings_that_cannot_be_played_are_skipped() -> None:
    games = play("tit-for-tat", opponents=["conceder", "hill-climber"])  # every example
    scenarios = {g.scenario for g in games}
    assert "platform-isv" in scenarios
    assert "mobility-data-alliance" not in scenarios  # tit-for-tat cannot vote
    assert "mobility-data-alliance: 'tit-for-tat' cannot answer ['vote']" in games.skipped
    assert "platform-isv: opponent 'hill-climber' cannot answer ['propose', 'respond']" in (
        games.skipped
    )
    nothing = play("tit-for-tat", scenarios=example_scenarios("energy-community"))
    assert len(nothing) == 0
    with pytest.raises(AssertionError, match="no games were played: energy-community"):
        nothing.assert_no_violations()


def test_a_strategy_that_cannot_be_found_or_built_is_an_input_error() -> None:
    with pytest.raises(PluginError, match="unknown strategy 'nobody'"):
        play("nobody", scenarios=PLATFORM)
    with pytest.raises(PluginError, match="bad parameters"):
        play({"name": "time-dependent", "params": {"e": -1}}, scenarios=PLATFORM)


async def test_play_works_inside_a_running_event_loop() -> None:
    games = play({"name": "boulware"}, scenarios=PLATFORM, opponents=["conceder"])
    assert len(games) == 2
    games.assert_agrees(at_least=1.0)
