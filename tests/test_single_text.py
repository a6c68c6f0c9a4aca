"""Mediated single-text negotiation with four parties, over memory and MQTT."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, cast

import pytest

from accord import load_scenario
from accord.errors import ScenarioError
from accord.model import Value
from accord.runner import Negotiation, negotiate
from accord.scenarios import Scenario
from accord.wire import events_of
from buses import BUSES, BusName, bus_named
from conftest import ROOT

COMMUNITY = ROOT / "scenarios" / "energy-community.yaml"


def variant(strategy: str | None = None, **params: Any) -> Scenario:
    """The energy community with every member playing ``strategy`` and extra mechanism
    ``params``."""
    base = load_scenario(COMMUNITY)
    parties = base.parties
    if strategy is not None:
        parties = [
            p.model_copy(update={"strategy": p.strategy.model_copy(update={"name": strategy})})
            for p in parties
        ]
    mechanism = base.mechanism.model_copy(update={"params": base.mechanism.params | params})
    return base.model_copy(update={"parties": parties, "mechanism": mechanism})


def events(negotiation: Negotiation) -> list[dict[str, Any]]:
    return [e.body for e in events_of(negotiation.transcript)]


def drafts(negotiation: Negotiation) -> list[dict[str, Value]]:
    return [
        cast("dict[str, Value]", b["outcome"]) for b in events(negotiation) if b["event"] == "draft"
    ]


@pytest.mark.parametrize("bus_name", BUSES)
async def test_four_members_ratify_the_mediated_draft(bus_name: BusName) -> None:
    scenario = load_scenario(COMMUNITY)
    assert len(scenario.parties) == 4
    async with bus_named(bus_name) as bus:
        negotiation = await negotiate(scenario, bus=bus)
    result = negotiation.result
    assert result.reason == "agreement", result.detail
    assert result.violations == []
    assert result.outcome == drafts(negotiation)[-1]
    for party in result.parties:
        assert party.utility >= party.reservation
    # a proposal becomes the draft exactly when all four members voted for it
    body = events(negotiation)
    for k, event in enumerate(body):
        if event["event"] != "proposal":
            continue
        votes = body[k + 1 : k + 5]
        assert [v["event"] for v in votes] == ["vote"] * 4
        adopted = k + 5 < len(body) and body[k + 5]["event"] == "draft"
        assert adopted == all(v["accept"] for v in votes)
        if adopted:
            assert body[k + 5]["outcome"] == event["outcome"]


async def test_hill_climbers_only_make_pareto_improvements() -> None:
    scenario = variant("hill-climber")
    negotiation = await negotiate(scenario)
    space = scenario.outcome_space()
    profiles = [p.profile.bind(space) for p in scenario.parties]
    history = drafts(negotiation)
    assert len(history) >= 3  # some changes were made
    for before, after in itertools.pairwise(history):
        assert all(p.of(after) >= p.of(before) for p in profiles)
        assert any(p.of(after) > p.of(before) for p in profiles)


async def test_the_mediator_is_pluggable_by_import_path() -> None:
    scenario = variant("hill-climber", mediator="library_mediators:Sweeps")
    negotiation = await negotiate(scenario)
    proposals = [b["outcome"] for b in events(negotiation) if b["event"] == "proposal"]
    assert [p["term_years"] for p in proposals[:3]] == [6, 7, 8]  # it steps the last issue
    assert negotiation.result.rounds == 150


async def test_patience_stops_mediation_early() -> None:
    negotiation = await negotiate(variant("hill-climber", patience=5))
    body = events(negotiation)
    tail = [b["event"] for b in body if b["event"] in {"proposal", "draft"}]
    assert tail[-5:] == ["proposal"] * 5
    assert negotiation.result.rounds < 150


async def test_a_broken_mediator_ends_the_negotiation_without_crashing_it() -> None:
    result = (await negotiate(variant(mediator="library_mediators:Breaks"))).result
    assert result.reason == "no_agreement"
    assert "the mediator failed" in result.detail
    assert result.responsible is None


async def test_a_member_that_will_not_ratify_is_named() -> None:
    scenario = variant("hill-climber")
    parties = list(scenario.parties)
    parties[2] = parties[2].model_copy(
        update={
            "strategy": parties[2].strategy.model_copy(
                update={"name": "library_strategies:NeverRatifies"}
            )
        }
    )
    result = (await negotiate(scenario.model_copy(update={"parties": parties}))).result
    assert result.reason == "no_agreement"
    assert "not ratified by [" in result.detail
    assert "'heating'" in result.detail


def test_unknown_mediators_and_voters_that_cannot_vote_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "community.yaml"
    path.write_text(COMMUNITY.read_text().replace("random-mutation", "simulated-mediator"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "mechanism.name"
    assert "unknown mediator 'simulated-mediator'" in str(caught.value)
    path.write_text(
        COMMUNITY.read_text().replace(
            "strategy: {name: annealer}", "strategy: {name: tit-for-tat}", 1
        )
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "party 'municipality' cannot answer the ['vote'] requests" in str(caught.value)


async def test_annealers_reach_more_welfare_than_hill_climbers() -> None:
    """Klein et al.'s finding, on the example over six seeds: hill-climbers stop at a local
    optimum, annealers accept early losses and end higher."""

    async def welfare(strategy: str) -> float:
        total = 0.0
        for seed in range(6):
            result = (await negotiate(variant(strategy), seed=seed)).result
            total += sum(p.utility for p in result.parties)
        return total / 6

    hill, anneal = await welfare("hill-climber"), await welfare("annealer")
    assert anneal > hill + 0.2, (hill, anneal)
