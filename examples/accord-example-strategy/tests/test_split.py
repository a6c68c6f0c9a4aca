"""Tests of the example strategy, written with accord.testing: they name the strategy by its
entry-point name, so they run against the installed distribution."""

from __future__ import annotations

import pytest
from accord.errors import PluginError
from accord.testing import example_scenarios, play

SCENARIOS = example_scenarios("platform-isv", "spinout-licence", "mobility-data-alliance")
OPPONENTS = ("boulware", "conceder", "boa", "hardliner")


def test_it_plays_fair_against_the_builtins() -> None:
    games = play("split-the-difference", scenarios=SCENARIOS, opponents=OPPONENTS)
    assert {g.scenario for g in games} == {s.stem for s in SCENARIOS}
    games.assert_no_violations()
    games.assert_never_below_reservation()
    games.where(opponent="boulware").assert_agrees(at_least=0.75)
    games.where(opponent="conceder").assert_near_nash(within=0.35)


def test_a_higher_floor_is_respected() -> None:
    games = play(
        {"name": "split-the-difference", "params": {"floor": 0.6}},
        scenarios=example_scenarios("platform-isv"),
        opponents=("conceder",),
    )
    assert all(g.utility >= 0.6 for g in games if g.agreement)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(PluginError, match="step must be in"):
        play({"name": "split-the-difference", "params": {"step": 0}})
