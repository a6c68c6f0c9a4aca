"""Contract net: partner selection by capability, then terms, over memory and MQTT."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accord import load_scenario
from accord.errors import ScenarioError
from accord.runner import Negotiation, negotiate
from accord.scenarios import Scenario
from accord.wire import Performative, events_of
from buses import BUSES, BusName, bus_named
from conftest import ROOT

CALL = ROOT / "scenarios" / "food-traceability-call.yaml"


def with_params(**params: Any) -> Scenario:
    base = load_scenario(CALL)
    mechanism = base.mechanism.model_copy(update={"params": base.mechanism.params | params})
    return base.model_copy(update={"mechanism": mechanism})


def events(negotiation: Negotiation, kind: str) -> list[dict[str, Any]]:
    return [e.body for e in events_of(negotiation.transcript) if e.body.get("event") == kind]


@pytest.mark.parametrize("bus_name", BUSES)
async def test_the_call_selects_partners_by_capability_then_agrees_terms(
    bus_name: BusName,
) -> None:
    scenario = load_scenario(CALL)
    assert len(scenario.parties) == 4
    async with bus_named(bus_name) as bus:
        negotiation = await negotiate(scenario, bus=bus)
    result = negotiation.result
    assert result.reason == "agreement", result.detail
    assert result.violations == []
    assert events(negotiation, "bid") == [{"event": "bid", "party": "bank", "refused": True}]
    assert [(a["party"], a["accept"]) for a in events(negotiation, "award")] == [
        ("logistics", True),
        ("software", True),
    ]
    (partners,) = events(negotiation, "partners")
    assert partners["parties"] == ["cooperative", "logistics", "software"]
    requests = [
        (e.to, e.body["kind"])
        for e in negotiation.transcript
        if e.performative is Performative.REQUEST
    ]
    assert requests[:2] == [("logistics", "bid"), ("software", "bid")]  # the bank's is third
    terms = [to for to, kind in requests if kind in {"propose", "respond"}]
    assert set(terms) == {"cooperative", "logistics", "software"}  # the bank stands by
    # the bank is not bound by the partners' terms: it keeps its reservation value
    standing = {p.id: p for p in result.parties}
    assert not standing["bank"].bound
    assert standing["bank"].utility == standing["bank"].reservation
    assert standing["bank"].gain == 0
    assert all(standing[p].bound for p in ("cooperative", "logistics", "software"))


async def test_max_partners_limits_the_awards() -> None:
    negotiation = await negotiate(with_params(max_partners=1))
    assert [(a["party"], a["accept"]) for a in events(negotiation, "award")] == [
        ("logistics", True)
    ]
    assert events(negotiation, "partners")[0]["parties"] == ["cooperative", "logistics"]
    assert negotiation.result.reason == "agreement"


async def test_a_call_nobody_can_answer_ends_without_agreement() -> None:
    result = (await negotiate(with_params(requires=["satellite imaging"]))).result
    assert result.reason == "no_agreement"
    assert result.detail == "no bid was awarded"


async def test_the_terms_can_be_negotiated_by_another_mechanism() -> None:
    negotiation = await negotiate(with_params(then={"name": "voting"}))
    kinds = {
        e.body["kind"] for e in negotiation.transcript if e.performative is Performative.REQUEST
    }
    assert kinds == {"bid", "award", "propose", "vote"}
    assert negotiation.result.reason in {"agreement", "deadline"}


@pytest.mark.parametrize("bus_name", BUSES)
async def test_a_bid_of_the_wrong_kind_is_a_violation_naming_the_party(bus_name: BusName) -> None:
    scenario = load_scenario(CALL)
    parties = list(scenario.parties)
    parties[1] = parties[1].model_copy(
        update={
            "strategy": parties[1].strategy.model_copy(
                update={"name": "library_strategies:AnswersTheCallWithAccept", "params": {}}
            )
        }
    )
    async with bus_named(bus_name) as bus:
        result = (await negotiate(scenario.model_copy(update={"parties": parties}), bus=bus)).result
    assert result.reason == "protocol_violation"
    assert result.responsible == "logistics"
    assert [(v.party, v.kind) for v in result.violations] == [("logistics", "unexpected_action")]


def test_strategies_must_answer_the_call_and_the_terms_mechanism(tmp_path: Path) -> None:
    path = tmp_path / "call.yaml"
    path.write_text(
        CALL.read_text().replace(
            "{name: contract-net, params: {terms: boulware}}", "{name: linear}"
        )
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "party 'bank' cannot answer the ['award', 'bid'] requests" in str(caught.value)
    path.write_text(
        CALL.read_text().replace(
            "{name: contract-net, params: {terms: boulware}}",
            "{name: 'library_strategies:BidsOnly'}",
        )
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "party 'bank' cannot answer the ['respond'] requests" in str(caught.value)
