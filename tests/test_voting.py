"""Multilateral voting (AMOP-style) with four parties, over memory and MQTT."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from accord import load_scenario
from accord.analysis import analyze_scenario
from accord.errors import ScenarioError
from accord.model import Value
from accord.protocols import MultilateralVoting
from accord.runner import negotiate
from accord.wire import EVENTS, Performative, events_of
from buses import BUSES, BusName, bus_named
from conftest import ROOT, make_scenario

ALLIANCE = ROOT / "scenarios" / "mobility-data-alliance.yaml"
ACCEPTS_ALL = "library_strategies:AcceptsAll"


@pytest.mark.parametrize("bus_name", BUSES)
async def test_four_parties_adopt_a_charter_everybody_voted_for(bus_name: BusName) -> None:
    scenario = load_scenario(ALLIANCE)
    assert len(scenario.parties) == 4
    async with bus_named(bus_name) as bus:
        negotiation = await negotiate(scenario, bus=bus)
    result = negotiation.result
    assert result.reason == "agreement", result.detail
    assert result.violations == []
    for party in result.parties:
        assert party.utility >= party.reservation
    events = [e.body for e in events_of(negotiation.transcript)]
    last_round = events[-(4 + 4 * 3) :]
    offers = {b["party"]: b["outcome"] for b in last_round if b["event"] == "offer"}
    votes = [b for b in last_round if b["event"] == "vote"]
    assert len(offers) == 4
    assert len(votes) == 12  # every party votes on the three offers of the others
    winners = [p for p, outcome in offers.items() if outcome == result.outcome]
    assert winners
    assert all(v["accept"] for v in votes if v["proposer"] == winners[0])


async def test_offers_are_simultaneous_and_every_vote_is_announced() -> None:
    negotiation = await negotiate(load_scenario(ALLIANCE))
    transcript = negotiation.transcript
    first_inform = next(i for i, e in enumerate(transcript) if EVENTS in e.body)
    offers = [e.sender for e in transcript[:first_inform] if e.performative is Performative.OFFER]
    assert offers == ["transport", "ridehail", "bikeshare", "telecom"]
    requests = [e.body["kind"] for e in transcript if e.performative is Performative.REQUEST]
    assert set(requests) == {"propose", "vote"}
    assert requests.count("vote") == 3 * requests.count("propose")


@pytest.mark.parametrize("best", ["welfare", "first"])
async def test_the_best_unanimous_offer_wins(best: str) -> None:
    base = load_scenario(ALLIANCE)
    parties = [
        p.model_copy(update={"strategy": p.strategy.model_copy(update={"name": ACCEPTS_ALL})})
        for p in base.parties
    ]
    mechanism = base.mechanism.model_copy(update={"params": {"best": best}})
    scenario = base.model_copy(update={"parties": parties, "mechanism": mechanism})
    negotiation = await negotiate(scenario)
    result = negotiation.result
    assert result.reason == "agreement"
    assert result.rounds == 1
    space = scenario.outcome_space()
    profiles = {p.id: p.profile.bind(space) for p in scenario.parties}
    offers = {
        str(e.body["party"]): cast("dict[str, Value]", e.body["outcome"])
        for e in events_of(negotiation.transcript)
        if e.body["event"] == "offer"
    }

    def welfare(outcome: dict[str, Value]) -> float:
        return sum(p.of(outcome) for p in profiles.values())

    best_welfare = max(offers, key=lambda party: welfare(offers[party]))
    assert best_welfare != "transport"
    winner = best_welfare if best == "welfare" else "transport"
    assert result.outcome == offers[winner]


def test_the_nash_choice_takes_the_greatest_product_of_gains() -> None:
    scenario = load_scenario(ALLIANCE)
    space = scenario.outcome_space()
    profiles = {p.id: p.profile.bind(space) for p in scenario.parties}
    nash = analyze_scenario(scenario).nash
    assert nash is not None
    other = dict(nash.outcome, term_years=3)
    table = {"transport": other, "ridehail": nash.outcome, "telecom": other}
    chosen = MultilateralVoting(best="nash")._choose(list(table), table, profiles)
    assert chosen == "ridehail"
    chosen = MultilateralVoting(best="first")._choose(list(table), table, profiles)
    assert chosen == "transport"


@pytest.mark.parametrize("bus_name", BUSES)
async def test_walking_out_of_a_vote_is_a_violation_naming_the_party(bus_name: BusName) -> None:
    scenario = make_scenario(
        "library_strategies:AcceptsAll",
        "library_strategies:WalksOutOfTheVote",
        "library_strategies:AcceptsAll",
        "library_strategies:AcceptsAll",
        parties=4,
        name="voting",
    )
    async with bus_named(bus_name) as bus:
        result = (await negotiate(scenario, bus=bus)).result
    assert result.reason == "protocol_violation"
    assert result.responsible == "seller"
    assert [(v.party, v.kind) for v in result.violations] == [("seller", "unexpected_action")]


async def test_without_a_unanimous_offer_it_runs_to_the_deadline() -> None:
    scenario = make_scenario("hardliner", "hardliner", "boulware", parties=3, name="voting")
    result = (await negotiate(scenario)).result
    assert result.reason == "deadline"
    assert result.rounds == 20


def test_a_strategy_that_cannot_vote_is_refused_naming_party_and_request(tmp_path: Path) -> None:
    text = ALLIANCE.read_text().replace(
        "strategy: {name: boulware}", "strategy: {name: tit-for-tat}"
    )
    path = tmp_path / "alliance.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "parties[3].strategy.name"
    assert "party 'telecom' cannot answer the ['vote'] requests that mechanism 'voting'" in str(
        caught.value
    )
