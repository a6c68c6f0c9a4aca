"""The monotonic concession protocol with the Zeuthen strategy, over memory and MQTT."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accord import load_scenario
from accord.analysis import analyze_scenario
from accord.errors import ScenarioError
from accord.result import NegotiationResult
from accord.runner import negotiate
from accord.scenarios import Scenario
from accord.wire import Performative, events_of
from buses import BUSES, BusName, bus_named
from conftest import ROOT, make_scenario

JOINT_VENTURE = ROOT / "scenarios" / "joint-venture-zeuthen.yaml"


def as_mcp(scenario: Scenario, *strategies: str) -> Scenario:
    """``scenario`` under the monotonic concession protocol, every party (or the given ones,
    in order) playing the given strategies (default: Zeuthen)."""
    parties = [
        p.model_copy(
            update={"strategy": p.strategy.model_copy(update={"name": name, "params": {}})}
        )
        for p, name in zip(
            scenario.parties, strategies or ["zeuthen"] * len(scenario.parties), strict=True
        )
    ]
    deadline = scenario.mechanism.deadline.model_copy(update={"rounds": 500})
    mechanism = scenario.mechanism.model_copy(
        update={"name": "mcp", "params": {}, "deadline": deadline}
    )
    return scenario.model_copy(update={"parties": parties, "mechanism": mechanism})


def nash_product(result: NegotiationResult) -> float:
    return float(np.prod([p.utility - p.reservation for p in result.parties]))


def best_nash_product(scenario: Scenario) -> float:
    analysis = analyze_scenario(scenario)
    assert analysis.nash is not None
    reservations = {p.id: p.profile.reservation for p in scenario.parties}
    return float(np.prod([u - reservations[p] for p, u in analysis.nash.utilities.items()]))


@pytest.mark.parametrize("bus_name", BUSES)
async def test_the_joint_venture_reaches_the_nash_bargaining_outcome(bus_name: BusName) -> None:
    scenario = load_scenario(JOINT_VENTURE)
    async with bus_named(bus_name) as bus:
        negotiation = await negotiate(scenario, bus=bus)
    result = negotiation.result
    assert result.reason == "agreement", result.detail
    assert result.violations == []
    assert nash_product(result) == pytest.approx(best_nash_product(scenario), abs=1e-12)
    analysis = analyze_scenario(scenario)
    assert analysis.nash is not None
    assert result.outcome == analysis.nash.outcome


@pytest.mark.parametrize(
    "domain", ["test-deal", "platform-isv.yaml", "joint-venture-zeuthen.yaml", "reservations"]
)
async def test_two_zeuthen_parties_reach_the_nash_product_on_known_domains(domain: str) -> None:
    if domain == "test-deal":
        scenario = as_mcp(make_scenario())
    elif domain == "reservations":  # uneven reservation values move the Nash point
        base = make_scenario()
        parties = [
            base.parties[0].model_copy(
                update={"profile": base.parties[0].profile.model_copy(update={"reservation": 0.5})}
            ),
            base.parties[1],
        ]
        scenario = as_mcp(base.model_copy(update={"parties": parties}))
    else:
        scenario = as_mcp(load_scenario(ROOT / "scenarios" / domain))
    result = (await negotiate(scenario)).result
    assert result.reason == "agreement", result.detail
    assert nash_product(result) == pytest.approx(best_nash_product(scenario), abs=1e-12)
    for party in result.parties:
        assert party.utility > party.reservation


async def test_proposals_are_simultaneous_and_concessions_monotonic() -> None:
    scenario = load_scenario(JOINT_VENTURE)
    negotiation = await negotiate(scenario)
    transcript = negotiation.transcript
    found = list(events_of(transcript))
    kinds = [e.body.get("event") for e in found]
    carrier = found[kinds.index("offer")].message_id  # the host envelope that carried it
    first_inform_offer = next(i for i, e in enumerate(transcript) if e.message_id == carrier)
    offers_before = [
        e for e in transcript[:first_inform_offer] if e.performative is Performative.OFFER
    ]
    assert len(offers_before) == 2  # both proposals are in before either is announced
    assert kinds.index("profiles") < kinds.index("offer")
    space = scenario.outcome_space()
    profiles = {p.id: p.profile.bind(space) for p in scenario.parties}
    by_party: dict[str, list[float]] = {"hospitals": [], "startup": []}
    for event in events_of(transcript):
        if event.body.get("event") == "offer":
            party = str(event.body["party"])
            other = "startup" if party == "hospitals" else "hospitals"
            by_party[party].append(profiles[other].of(event.body["outcome"]))  # type: ignore[arg-type]
    for party, worth_to_other in by_party.items():
        assert worth_to_other == sorted(worth_to_other), party  # never backwards
        assert len(worth_to_other) > 10


@pytest.mark.parametrize("bus_name", BUSES)
async def test_a_backward_concession_is_a_violation_naming_the_party(bus_name: BusName) -> None:
    scenario = as_mcp(make_scenario(), "zeuthen", "library_strategies:GoesBack")
    async with bus_named(bus_name) as bus:
        result = (await negotiate(scenario, bus=bus)).result
    assert result.reason == "protocol_violation"
    assert result.responsible == "seller"
    assert [(v.party, v.kind) for v in result.violations] == [("seller", "backward_concession")]
    assert "less than its previous one" in result.violations[0].detail
    assert result.violations[0].message_id is not None


async def test_when_nobody_concedes_it_ends_in_the_conflict_deal() -> None:
    scenario = as_mcp(
        make_scenario(), "library_strategies:StandsStill", "library_strategies:StandsStill"
    )
    result = (await negotiate(scenario)).result
    assert result.reason == "no_agreement"
    assert "nobody conceded" in result.detail
    assert result.rounds == 2
    assert [p.utility for p in result.parties] == [0.2, 0.2]


def test_a_strategy_that_cannot_concede_is_refused_naming_party_and_request(
    tmp_path: Path,
) -> None:
    text = JOINT_VENTURE.read_text()
    text = text.replace("strategy: {name: zeuthen}", "strategy: {name: boulware}", 1)
    path = tmp_path / "jv.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "parties[0].strategy.name"
    assert "party 'hospitals' cannot answer the ['concede'] requests that mechanism 'mcp'" in str(
        caught.value
    )
