"""MiCRO and BOA strategies (frequency opponent model, AC_next/const/time/combi), with one
and several opponents, over memory and MQTT."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from accord import load_scenario
from accord.agents import OfferEvent
from accord.agents.acceptance import AcceptCombi, AcceptConst, AcceptNext, AcceptTime
from accord.agents.frequency_model import FrequencyModel, OpponentModels
from accord.errors import ScenarioError
from accord.runner import Negotiation, negotiate
from accord.wire import Performative
from buses import BUSES, BusName, bus_named
from conftest import ROOT, make_scenario

SPINOUT = ROOT / "scenarios" / "spinout-licence.yaml"


def boa(acceptance: str, model: str = "frequency", **params: Any) -> dict[str, Any]:
    return {
        "name": "boa",
        "params": {"acceptance": {"name": acceptance, "params": params}, "model": model},
    }


def distinct_offers(negotiation: Negotiation, party: str) -> list[int]:
    """After each of ``party``'s offers, how many distinct outcomes it had offered."""
    seen: set[str] = set()
    counts = []
    for e in negotiation.transcript:
        if e.performative is Performative.OFFER and e.sender == party:
            seen.add(str(sorted(e.body["outcome"].items())))  # type: ignore[union-attr]
            counts.append(len(seen))
    return counts


@pytest.mark.parametrize("bus_name", BUSES)
async def test_boa_against_micro_on_the_spinout_licence(bus_name: BusName) -> None:
    scenario = load_scenario(SPINOUT)
    async with bus_named(bus_name) as bus:
        negotiation = await negotiate(scenario, bus=bus)
    result = negotiation.result
    assert result.reason == "agreement", result.detail
    assert result.violations == []
    for party in result.parties:
        assert party.utility >= party.reservation
    # MiCRO's rule: never more new proposals than the opponent's distinct offers, plus one
    micro, university = (
        distinct_offers(negotiation, "startup"),
        distinct_offers(negotiation, "university"),
    )
    for k, count in enumerate(micro):
        assert count <= university[min(k, len(university) - 1)] + 1


async def test_micro_concedes_only_in_reply_to_new_offers() -> None:
    negotiation = await negotiate(make_scenario("micro", "hardliner"))
    assert negotiation.result.reason == "deadline"
    assert max(distinct_offers(negotiation, "buyer")) == 2  # its best, then one step


@pytest.mark.parametrize("parties", [2, 3])
async def test_micro_players_agree_with_one_or_several_opponents(parties: int) -> None:
    scenario = make_scenario(*["micro"] * parties, parties=parties, deadline={"rounds": 200})
    result = (await negotiate(scenario)).result
    assert result.reason == "agreement"
    assert result.parties[0].utility == pytest.approx(0.5333, abs=1e-3)  # the Nash point


@pytest.mark.parametrize(
    "acceptance",
    [boa("next"), boa("const", c=0.6), boa("time", T=0.5), boa("combi", T=0.9)],
    ids=["next", "const", "time", "combi"],
)
async def test_every_acceptance_condition_reaches_a_rational_agreement(
    acceptance: dict[str, Any],
) -> None:
    result = (
        await negotiate(make_scenario(acceptance, "boulware", deadline={"rounds": 100}))
    ).result
    assert result.reason == "agreement"
    assert result.violations == []
    assert all(p.utility >= p.reservation for p in result.parties)


async def test_boa_negotiates_with_several_opponents() -> None:
    scenario = make_scenario(boa("next"), "linear", "conceder", parties=3)
    result = (await negotiate(scenario)).result
    assert result.reason == "agreement"
    assert result.violations == []


async def test_the_frequency_model_helps_two_boa_parties() -> None:
    with_model = (await negotiate(make_scenario(boa("next"), boa("next")))).result
    without = (await negotiate(make_scenario(boa("next", "none"), boa("next", "none")))).result
    welfare = [sum(p.utility for p in r.parties) for r in (with_model, without)]
    assert welfare[0] > welfare[1]  # same concession, better-aimed bids


def test_the_frequency_model_learns_what_an_opponent_keeps() -> None:
    scenario = make_scenario()
    space = scenario.outcome_space()
    model = FrequencyModel(space)
    for price in [9, 8, 8, 7, 6, 5]:
        model.update({"price": price, "colour": "blue", "term": 0.0})
    weights = dict(zip(space.names, model.weights, strict=True))
    assert weights["colour"] > weights["price"]
    assert weights["term"] > weights["price"]
    colour = model.value_estimates()[1]
    assert colour[2] == 1.0  # blue, always offered
    assert colour[0] < 1.0
    predicted = model.predict()
    best = space.outcome_at(int(np.argmax(predicted)))
    assert best["colour"] == "blue"
    assert best["term"] == 0.0


def test_opponent_models_keep_one_model_per_opponent_and_predict_the_least_pleased() -> None:
    scenario = make_scenario()
    space = scenario.outcome_space()
    profile = scenario.parties[0].profile.bind(space)
    offers = [
        OfferEvent(0, "seller", {"price": 9, "colour": "blue", "term": 0.0}, profile),
        OfferEvent(0, "other", {"price": 0, "colour": "red", "term": 1.0}, profile),
        OfferEvent(0, "me", {"price": 5, "colour": "green", "term": 0.5}, profile),
        OfferEvent(1, "seller", {"price": 9, "colour": "blue", "term": 0.0}, profile),
    ]
    models = OpponentModels()
    models.observe("me", space, offers)
    assert sorted(models.models) == ["other", "seller"]
    assert models.models["seller"].offers == 2
    predicted = models.predict()
    assert predicted is not None
    each = np.vstack([m.predict() for m in models.models.values()])
    assert np.array_equal(predicted, each.min(axis=0))


def test_acceptance_conditions() -> None:
    received = [0.3, 0.5, 0.4]
    assert AcceptNext().accepts(0.6, 0.6, 0.1, received)
    assert not AcceptNext().accepts(0.59, 0.6, 0.1, received)
    assert AcceptNext(alpha=1.0, beta=0.05).accepts(0.56, 0.6, 0.1, received)
    assert AcceptConst(c=0.5).accepts(0.5, 0.9, 0.0, received)
    assert not AcceptConst(c=0.5).accepts(0.49, 0.0, 1.0, received)
    assert AcceptTime(T=0.9).accepts(0.0, 1.0, 0.9, received)
    assert not AcceptTime(T=0.9).accepts(1.0, 0.0, 0.89, received)
    combi = AcceptCombi(T=0.9)
    assert combi.accepts(0.7, 0.7, 0.1, received)  # AC_next
    assert not combi.accepts(0.5, 0.7, 0.5, received)  # too early for the fallback
    assert combi.accepts(0.5, 0.7, 0.95, received)  # late, as good as the best received
    assert not combi.accepts(0.45, 0.7, 0.95, received)


def test_unknown_boa_components_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "spinout.yaml"
    path.write_text(SPINOUT.read_text().replace("model: frequency", "model: bayesian"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "parties[0].strategy.params"
    assert "unknown opponent model 'bayesian'; known: frequency, none" in str(caught.value)
