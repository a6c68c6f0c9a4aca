"""The host's events ride on its next envelope to everybody (docs/protocol.md, "Events"): a
signed SAOP turn is one host envelope (the request, to everybody, naming the party asked) and
one answer, with no ``inform``; every event reaches every party, in order; a party answers only
the requests that ask it and takes events only from the host; the audit finds every event and
flags one told to some parties only."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey
from pydantic import JsonValue

from accord.agents import Agent
from accord.audit.process import process_metrics
from accord.audit.transcript import load_transcript
from accord.broker.embedded import embedded_broker
from accord.broker.mqtt import MqttBus
from accord.ledger.keys import generate_key
from accord.ledger.recorder import Recorder
from accord.ledger.records import RECORDER
from accord.ledger.signing import Verifier, sign_envelope, signer_for
from accord.ledger.storage import JsonlStorage
from accord.processes import party_agent
from accord.protocols import Mechanism, Session
from accord.protocols.actions import Ending, EndReason, Offer
from accord.runner import negotiate, serve
from accord.scenarios import Scenario
from accord.wire import (
    ACTIONS,
    EVENTS,
    HOST,
    Envelope,
    Performative,
    Request,
    RequestBody,
    ResultBody,
    compose,
    events_of,
    new_session,
)
from buses import BUSES, BusName, bus_named
from conftest import make_scenario

SCENARIO = make_scenario("conceder", "boulware", deadline={"rounds": 40})
"""Ends in an agreement: the last event (the acceptance) has only the result to ride on."""


def keys_for(scenario: Scenario) -> dict[str, SigningKey]:
    return {who: generate_key() for who in (HOST, RECORDER, *(p.id for p in scenario.parties))}


def offers_seen(agent: Agent) -> list[tuple[int, str, dict[str, Any]]]:
    assert agent.ctx is not None
    return [(o.round, o.party, dict(o.outcome)) for o in agent.ctx.offers]


@pytest.mark.parametrize("bus_name", BUSES)
async def test_a_signed_saop_turn_is_one_host_envelope(bus_name: BusName) -> None:
    keys = keys_for(SCENARIO)
    public = {who: key.verify_key for who, key in keys.items()}
    async with bus_named(bus_name) as bus:
        # over a broker the agents check the host's signature, as accord agent does; over the
        # memory bus they take envelopes eagerly, as accord run does
        host_key = keys[HOST].verify_key if bus_name == "mqtt" else None
        agents = [
            party_agent(
                SCENARIO,
                index,
                bus=bus,
                seed=SCENARIO.seed,
                signer=signer_for(keys[party.id]),
                host_key=host_key,
            )
            for index, party in enumerate(SCENARIO.parties)
        ]
        done = await serve(
            SCENARIO,
            seed=SCENARIO.seed,
            bus=bus,
            signer=signer_for(keys[HOST]),
            verifier=Verifier(public),
            recorder=None,
            agents=agents,
        )
    transcript = done.transcript
    assert done.result.reason == "agreement", done.result.detail
    assert done.result.violations == []
    verifier = Verifier(public)
    assert all(verifier.problem(e) is None for e in transcript)  # every envelope signed
    host = [e for e in transcript if e.sender == HOST]
    kinds = [e.performative for e in host]
    assert Performative.INFORM not in kinds
    turns = kinds[kinds.index(Performative.START) + 1 :]
    # one host envelope per turn: a request each, then the result
    assert turns == [Performative.REQUEST] * (len(turns) - 1) + [Performative.RESULT]
    requests = {e.message_id: e for e in host if e.performative is Performative.REQUEST}
    answers = [e for e in transcript if e.performative in ACTIONS]
    assert len(answers) == len(requests)
    for answer in answers:  # each answered by the party it asked, and only by it
        assert answer.sender == requests[str(answer.in_reply_to)].to
    assert all(request.to in {"buyer", "seller"} for request in requests.values())

    # every offer announced, in order, by the first host envelope after it
    offers = [e for e in transcript if e.performative is Performative.OFFER]
    events = list(events_of(transcript))
    announced = [
        (event.round, event.body["party"], event.body["outcome"])
        for event in events
        if event.body["event"] == "offer"
    ]
    assert announced == [(o.round, o.sender, o.body["outcome"]) for o in offers]
    carriers = [event.message_id for event in events if event.body["event"] == "offer"]
    for offer, carrier in zip(offers, carriers, strict=True):
        after = transcript[transcript.index(offer) + 1 :]
        assert next(e for e in after if e.sender == HOST).message_id == carrier
    # the acceptance that ends it rides on the result
    assert host[-1].performative is Performative.RESULT
    ResultBody.model_validate(host[-1].body)  # the schema docs/wire.schema.json publishes
    for request in requests.values():
        RequestBody.model_validate(request.body)
    assert [event.body["event"] for event in events if event.message_id == host[-1].message_id][
        -1
    ] == "accept"
    # every party saw every offer event, in order, and its result without the events
    for agent in agents:
        assert offers_seen(agent) == announced
        assert agent.result is not None
        assert EVENTS not in agent.result


async def test_the_direct_run_folds_events_as_a_bus_run_does() -> None:
    done = await negotiate(SCENARIO)
    transcript = done.transcript
    assert Performative.INFORM not in {e.performative for e in transcript}
    events = list(events_of(transcript))
    offers = [e for e in transcript if e.performative is Performative.OFFER]
    assert [e.body["outcome"] for e in events if e.body["event"] == "offer"] == [
        o.body["outcome"] for o in offers
    ]


class _ScriptedHost:
    """Just enough of a host to send one agent what a real host would not."""

    def __init__(self, bus: MqttBus, inbox: Any, key: SigningKey, scenario: Scenario) -> None:
        self.bus, self.inbox, self.key = bus, inbox, key
        self.negotiation_id = scenario.negotiation_id()
        self.session = new_session()
        self.seq = 0

    def envelope(
        self,
        performative: Performative,
        body: dict[str, JsonValue],
        *,
        to: str | None = None,
        signed_by: SigningKey | None = None,
    ) -> Envelope:
        envelope = compose(
            negotiation_id=self.negotiation_id,
            sender=HOST,
            seq=self.seq,
            performative=performative,
            body=body,
            to=to,
            session=self.session,
        )
        self.seq += 1
        return envelope if signed_by is None else sign_envelope(envelope, signed_by)

    async def send(self, envelope: Envelope) -> None:
        await self.bus.publish(envelope)

    async def answer_to(self, envelope: Envelope, within: float) -> Envelope | None:
        try:
            async with asyncio.timeout(within):
                while True:
                    got = await self.inbox.get()
                    if got.in_reply_to == envelope.message_id:
                        return got  # type: ignore[no-any-return]
        except TimeoutError:
            return None


def with_events(body: dict[str, JsonValue], *events: dict[str, JsonValue]) -> dict[str, JsonValue]:
    return body | {EVENTS: [{"round": 0, "body": event} for event in events]}


@pytest.mark.mqtt
async def test_an_agent_answers_only_its_requests_and_takes_events_only_from_the_host() -> None:
    scenario = SCENARIO
    outcome = dict(scenario.outcome_space().outcome_at(0))
    host_key, buyer_key, seller_key = generate_key(), generate_key(), generate_key()
    propose = Request(kind="propose").body(0.0)

    def event(party: str) -> dict[str, JsonValue]:
        return {"event": "offer", "party": party, "outcome": dict(outcome)}

    async with embedded_broker() as address, MqttBus(address) as bus:
        agent = party_agent(
            scenario,
            0,  # the buyer
            bus=bus,
            seed=scenario.seed,
            signer=signer_for(buyer_key),
            host_key=host_key.verify_key,
        )
        async with bus.subscribe(scenario.negotiation_id(), HOST) as inbox:
            host = _ScriptedHost(bus, inbox, host_key, scenario)
            running = asyncio.create_task(agent.run())
            try:
                opening = host.envelope(
                    Performative.OPEN, {"parties": ["buyer", "seller"]}, signed_by=host_key
                )
                for _ in range(30):
                    await host.send(opening)
                    await asyncio.sleep(0.2)
                    if agent.session == host.session:
                        break
                start: dict[str, JsonValue] = {
                    "mechanism": "saop",
                    "parties": ["buyer", "seller"],
                    "issues": [i.name for i in scenario.issues],
                    "rounds": 40,
                    "turn_timeout": 5,
                }
                await host.send(host.envelope(Performative.START, start, signed_by=host_key))
                quiet = 0.7
                # a request that asks the seller: its events are the buyer's, its question not
                to_seller = host.envelope(
                    Performative.REQUEST,
                    with_events(propose, event("seller")),
                    to="seller",
                    signed_by=host_key,
                )
                await host.send(to_seller)
                assert await host.answer_to(to_seller, quiet) is None
                # forged: the seller's key, the host's name; and unsigned
                for forger in (seller_key, None):
                    forged = host.envelope(
                        Performative.REQUEST,
                        with_events(propose, event("mallory")),
                        to="buyer",
                        signed_by=forger,
                    )
                    await host.send(forged)
                    assert await host.answer_to(forged, quiet) is None
                # a forged inform, events only
                await host.send(
                    host.envelope(
                        Performative.INFORM,
                        {EVENTS: [{"round": 0, "body": event("mallory")}]},
                        signed_by=seller_key,
                    )
                )
                to_buyer = host.envelope(
                    Performative.REQUEST,
                    with_events(propose, event("seller")),
                    to="buyer",
                    signed_by=host_key,
                )
                await host.send(to_buyer)
                answer = await host.answer_to(to_buyer, 5.0)
                assert answer is not None
                assert answer.sender == "buyer"
                assert answer.performative in {Performative.OFFER, Performative.END}
                result: dict[str, JsonValue] = {
                    "reason": "deadline",
                    "agreement": None,
                    "party": None,
                    "detail": "",
                    "rounds": 1,
                }
                await host.send(
                    host.envelope(
                        Performative.RESULT,
                        with_events(result, event("buyer")),
                        signed_by=host_key,
                    )
                )
                async with asyncio.timeout(10):
                    await running
            finally:
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
    # the three authentic events, in order; none of the forgeries'
    assert [party for _, party, _ in offers_seen(agent)] == ["seller", "seller", "buyer"]
    assert agent.result is not None
    assert EVENTS not in agent.result


def _record(path: Path, envelopes: Sequence[Envelope], keys: dict[str, SigningKey]) -> None:
    recorder = Recorder(
        negotiation_id=envelopes[0].negotiation_id,
        storage=JsonlStorage(path),
        key=keys[RECORDER],
        keys={who: key.verify_key for who, key in keys.items() if who != RECORDER},
    )
    for envelope in envelopes:
        recorder.record(envelope)
    recorder.close()


async def test_the_audit_finds_every_event_and_flags_one_told_to_one_party(
    tmp_path: Path,
) -> None:
    keys = keys_for(SCENARIO)
    done = await negotiate(
        SCENARIO, keys=keys, log=JsonlStorage(tmp_path / "log.jsonl"), reveal=True
    )
    transcript = load_transcript(tmp_path / "log.jsonl")
    logged = [m.envelope for m in transcript.accepted]
    assert [e.body for e in events_of(logged)] == [e.body for e in events_of(done.transcript)]
    offers = [e.body["outcome"] for e in logged if e.performative is Performative.OFFER]
    assert [e.body["outcome"] for e in events_of(logged) if e.body["event"] == "offer"] == offers
    profiles = {p: profile.bind(transcript.space) for p, profile in transcript.profiles.items()}
    metrics = process_metrics(transcript, profiles)
    assert metrics.same_information, metrics.information_differences

    # the same run, but the acceptance told to the seller alone (a notice), then the result
    result = next(e for e in done.transcript if e.performative is Performative.RESULT)
    told = result.body[EVENTS]
    plain = {name: value for name, value in result.body.items() if name != EVENTS}
    host = keys[HOST]
    aside = compose(
        negotiation_id=result.negotiation_id,
        sender=HOST,
        seq=result.seq,
        performative=Performative.NOTICE,
        body={EVENTS: told},
        to="seller",
        round_=result.round,
        session=result.session,
    )
    moved = compose(
        negotiation_id=result.negotiation_id,
        sender=HOST,
        seq=result.seq + 1,
        performative=Performative.RESULT,
        body=plain,
        round_=result.round,
        session=result.session,
    )
    at = done.transcript.index(result)
    envelopes = [
        *done.transcript[:at],
        sign_envelope(aside, host),
        sign_envelope(moved, host),
        *done.transcript[at + 1 :],
    ]
    _record(tmp_path / "told.jsonl", envelopes, keys)
    told_log = load_transcript(tmp_path / "told.jsonl")
    assert told_log.verification.ok, told_log.verification.problems
    metrics = process_metrics(told_log, profiles)
    assert not metrics.same_information
    assert any("told to 'seller' only" in d for d in metrics.information_differences)


class InformsThenWaits(Mechanism):
    """Asks for one offer, announces it, waits for something other than an answer (so it
    flushes first), then announces the end: named by import path in a scenario."""

    name = "informs-then-waits"
    summary = "one offer, announced before a wait"
    requests = frozenset({"propose"})

    async def run(self, session: Session) -> Ending:
        party = session.parties[0]
        action = await session.ask(party, Request(kind="propose"), {Performative.OFFER})
        assert isinstance(action, Offer)
        outcome: dict[str, JsonValue] = dict(action.outcome)
        await session.inform({"event": "offer", "party": party, "outcome": outcome})
        await session.flush()
        await session.flush()  # nothing kept: nothing sent
        await asyncio.sleep(0.01)  # a timer, not an answer
        await session.inform({"event": "end", "party": party})
        return Ending(EndReason.ENDED_BY_PARTY, party=party, detail="one offer is enough")


def _shape(transcript: Sequence[Envelope]) -> list[tuple[Any, ...]]:
    """What a direct run and a bus run have alike (a join's will nonce is random)."""
    return [
        (
            e.sender,
            e.seq,
            e.performative,
            e.to,
            e.round,
            e.performative is Performative.JOIN or e.body,
        )
        for e in transcript
    ]


async def test_a_mechanism_that_waits_flushes_its_events_as_an_inform() -> None:
    data = make_scenario("conceder", "conceder").model_dump(mode="json")
    data["mechanism"] = {"name": "test_events:InformsThenWaits"}
    scenario = Scenario.model_validate(data)
    bus = await negotiate(scenario, sign=False, envelopes=True)
    direct = await negotiate(scenario, sign=False)
    host = [e for e in bus.transcript if e.sender == HOST]
    kinds = [e.performative for e in host]
    assert kinds[-3:] == [Performative.REQUEST, Performative.INFORM, Performative.RESULT]
    assert [event.body["event"] for event in events_of(host[-2:-1])] == ["offer"]
    assert list(host[-2].body) == [EVENTS]
    assert [event.body["event"] for event in events_of(host[-1:])] == ["end"]
    assert _shape(direct.transcript) == _shape(bus.transcript)


def test_an_inform_of_an_old_log_is_one_event() -> None:
    old = compose(
        negotiation_id="n",
        sender=HOST,
        seq=3,
        performative=Performative.INFORM,
        body={"event": "accept", "party": "buyer"},
        round_=2,
    )
    assert list(events_of([old])) == [(2, {"event": "accept", "party": "buyer"}, "host:3")]


def test_log_show_names_the_events_a_request_carries(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    asyncio.run(negotiate(SCENARIO, log=JsonlStorage(log)))
    shown = subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", "log", "show", str(log), "--performative", "request"],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"COLUMNS": "500"},
    ).stdout
    assert "asks to respond; events: offer by buyer: " in shown  # a request, its event
