"""Stacked alternating offers options (turn order, walking away) and the check that every
strategy can answer every request its mechanism sends, over the memory bus and MQTT."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord import load_scenario
from accord.errors import ScenarioError
from accord.protocols import StackedAlternatingOffers
from accord.runner import negotiate
from accord.wire import Performative
from buses import BUSES, BusName, bus_named
from conftest import ROOT, make_scenario

CONSORTIUM = ROOT / "scenarios" / "research-consortium.yaml"


@pytest.mark.parametrize("bus_name", BUSES)
async def test_walking_away_is_a_violation_when_the_mechanism_forbids_it(
    bus_name: BusName,
) -> None:
    scenario = make_scenario("linear", "faulty:EndsAtOnce", params={"allow_end": False})
    async with bus_named(bus_name) as bus:
        result = (await negotiate(scenario, bus=bus)).result
    assert result.reason == "protocol_violation"
    assert result.responsible == "seller"
    assert [(v.party, v.kind) for v in result.violations] == [("seller", "unexpected_action")]
    assert "'end'" in result.violations[0].detail


@pytest.mark.parametrize("bus_name", BUSES)
async def test_the_consortium_takes_turns_in_its_seeded_random_order(
    bus_name: BusName,
) -> None:
    scenario = load_scenario(CONSORTIUM)
    async with bus_named(bus_name) as bus:
        negotiation = await negotiate(scenario, bus=bus)
    requests = [e.to for e in negotiation.transcript if e.performative is Performative.REQUEST]
    mechanism = StackedAlternatingOffers(order="random")

    class _Seeded:
        parties = tuple(p.id for p in scenario.parties)
        seed = scenario.seed

    order = mechanism.turn_order(_Seeded())  # type: ignore[arg-type]
    assert order != list(_Seeded.parties)  # this seed does reorder them
    assert requests[:6] == order * 2
    assert negotiation.result.reason == "agreement"
    assert negotiation.result.violations == []


def test_a_scenario_whose_strategy_cannot_answer_is_refused_naming_party_and_request(
    tmp_path: Path,
) -> None:
    data = CONSORTIUM.read_text().replace(
        "strategy: {name: linear}", "strategy: {name: 'faulty:NoRespond'}"
    )
    path = tmp_path / "bad.yaml"
    path.write_text(data)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert caught.value.field == "parties[2].strategy.name"
    assert "party 'funder'" in message
    assert "cannot answer the ['respond'] requests that mechanism 'saop' sends" in message


def test_a_strategy_whose_constructor_raises_is_refused_naming_the_party(
    tmp_path: Path,
) -> None:
    """A plug-in whose constructor raises (not a bad parameter) used to be an internal
    error with no party named; it is the scenario's problem, at the party's strategy."""
    data = CONSORTIUM.read_text().replace(
        "strategy: {name: linear}", "strategy: {name: 'faulty:BrokenInit'}"
    )
    path = tmp_path / "bad.yaml"
    path.write_text(data)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "parties[2].strategy.name"
    message = str(caught.value)
    assert "party 'funder'" in message
    assert "could not be created (its constructor raised RuntimeError: cannot start)" in message
