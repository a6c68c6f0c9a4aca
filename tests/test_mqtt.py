"""Negotiations over real MQTT brokers: the embedded amqtt broker and mosquitto."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiomqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord import load_scenario
from accord.broker.admission import MAX_PAYLOAD
from accord.broker.embedded import embedded_broker
from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.broker.select import open_bus
from accord.broker.topics import PREFIX
from accord.errors import InputError
from accord.ledger.storage import JsonlStorage
from accord.ledger.verify import verify_log
from accord.result import NegotiationResult
from accord.runner import Negotiation, negotiate
from accord.wire import Performative
from conftest import EXAMPLES, make_scenario

pytestmark = pytest.mark.mqtt


def comparable(result: NegotiationResult) -> dict[str, object]:
    return result.model_dump(exclude={"wall_time_s"})


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
async def test_every_example_over_the_embedded_broker_matches_the_memory_bus(
    path: Path, tmp_path: Path
) -> None:
    scenario = load_scenario(path)
    memory = await negotiate(scenario, log=JsonlStorage(tmp_path / "memory.jsonl"))
    async with open_bus("mqtt") as bus:
        mqtt = await negotiate(scenario, bus=bus, log=JsonlStorage(tmp_path / "log.jsonl"))
    assert comparable(mqtt.result) == comparable(memory.result)
    assert verify_log(tmp_path / "log.jsonl").ok
    assert [e.performative for e in mqtt.transcript] == [e.performative for e in memory.transcript]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
async def test_every_example_over_mosquitto_matches_the_memory_bus(
    path: Path, mosquitto_url: str, tmp_path: Path
) -> None:
    scenario = load_scenario(path)
    memory = await negotiate(scenario, log=JsonlStorage(tmp_path / "memory.jsonl"))
    async with open_bus("mqtt", mosquitto_url) as bus:
        mqtt = await negotiate(scenario, bus=bus, log=JsonlStorage(tmp_path / "log.jsonl"))
    assert comparable(mqtt.result) == comparable(memory.result)
    result = verify_log(tmp_path / "log.jsonl")
    assert result.ok, result.problems


async def _garbage_during_a_negotiation(url: str, payloads: list[bytes]) -> Negotiation:
    scenario = make_scenario("linear", "conceder")
    negotiation_id = scenario.negotiation_id()
    async with open_bus("mqtt", url) as bus:
        address = BrokerAddress.parse(url)
        async with address.client("garbage-thrower", clean=True) as thrower:
            task = asyncio.create_task(negotiate(scenario, bus=bus))
            base = f"{PREFIX}/{negotiation_id}/from"
            topics = [f"{base}/mallory/to/host", f"{base}/buyer/to/host", f"{base}/buyer/all"]
            for payload in payloads:
                for topic in topics:
                    await thrower.publish(topic, payload, qos=1)
            return await asyncio.wait_for(task, 30)


async def test_bad_traffic_is_dropped_and_the_negotiation_completes(mosquitto_url: str) -> None:
    good = make_scenario("linear", "conceder")
    expected = (await negotiate(good)).result
    envelope_like = {
        "v": 1,
        "negotiation_id": good.negotiation_id(),
        "message_id": "mallory:0",
        "sender": "mallory",
        "to": "host",
        "seq": 0,
        "performative": "offer",
        "round": 0,
        "body": {},
        "sent_ns": "1",
    }
    payloads = [
        b"not json at all",
        b'{"v": 1}',
        json.dumps({**envelope_like, "extra": 1}).encode(),
        json.dumps(envelope_like).encode(),  # unknown sender, unsigned
        json.dumps({**envelope_like, "negotiation_id": "other-1"}).encode(),
        json.dumps({**envelope_like, "sender": "buyer", "seq": 0}).encode(),  # forged, unsigned
        b"x" * (MAX_PAYLOAD + 1),
    ]
    negotiation = await _garbage_during_a_negotiation(mosquitto_url, payloads)
    result = negotiation.result
    # the same negotiation; the envelopes that parsed are in the transcript, as they should be
    ignore = {"noise": [], "noise_count": 0, "messages": 0}
    assert comparable(result) | ignore == comparable(expected) | ignore
    notices = [e for e in negotiation.transcript if e.performative is Performative.NOTICE]
    # mallory's, the forged 'buyer' one, and the host's notices to the buyer
    assert result.messages == expected.messages + 2 + len(notices)
    # the buyer is told, once per reason, what was refused in its name (mallory is nobody)
    assert {e.to for e in notices} == {"buyer"}
    reasons = [e.body["reason"] for e in notices]
    assert len(reasons) == len(set(reasons))
    assert "unsigned" in reasons
    assert {"malformed", "wrong_topic"} & set(reasons), reasons
    # the forged 'buyer' envelope is noise, not buyer's violation
    assert result.violations == []
    assert [(n.claimed_sender, n.reason) for n in result.noise] == [("buyer", "unsigned")]
    assert result.noise_count >= len(payloads)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode)), max_size=8)
)
def test_generated_garbage_never_stops_the_host(mosquitto_url: str, payloads: list[bytes]) -> None:
    negotiation = asyncio.run(_garbage_during_a_negotiation(mosquitto_url, payloads))
    assert negotiation.result.reason == "agreement"


async def test_the_embedded_broker_serves_plain_mqtt_clients() -> None:
    async with embedded_broker() as address, address.client("probe", clean=True) as client:
        await client.subscribe("accord/v1/x/#", qos=1)
        await client.publish("accord/v1/x/all", b"hi", qos=1)
        message = await asyncio.wait_for(anext(aiter(client.messages)), 5)
        assert message.payload == b"hi"


def test_broker_urls() -> None:
    address = BrokerAddress.parse("mqtt://ann:s%3Acret@broker.example:1884")
    assert (address.host, address.port, address.username, address.password) == (
        "broker.example",
        1884,
        "ann",
        "s:cret",
    )
    assert BrokerAddress.parse("mqtts://h").port == 8883
    assert BrokerAddress.parse("mqtt://h").port == 1883
    with pytest.raises(InputError, match="mqtt://"):
        BrokerAddress.parse("http://h:1")


async def test_an_unreachable_broker_is_a_clear_error() -> None:
    from accord.broker.embedded import free_port  # noqa: PLC0415
    from accord.errors import BusError  # noqa: PLC0415

    with pytest.raises(BusError, match=r"cannot connect to the broker at mqtt://127\.0\.0\.1"):
        async with MqttBus(BrokerAddress("127.0.0.1", free_port())):
            pass


async def test_aiomqtt_is_the_only_mqtt_import() -> None:
    from conftest import ROOT  # noqa: PLC0415

    users = [p for p in (ROOT / "src").rglob("*.py") if "import aiomqtt" in p.read_text()]
    assert [p.name for p in users] == ["mqtt.py"]
    assert aiomqtt.__name__ == "aiomqtt"


async def test_the_hosts_local_transcript_holds_what_a_full_observer_sees(
    mosquitto_url: str,
) -> None:
    """The host keeps its transcript without a ``#`` subscription of its own (what it
    publishes and what its subscription accepts); an independent observer on its own bus
    subscribed to ``#`` sees exactly the same envelopes, and in the host's order every
    answer comes after the request it answers."""
    scenario = make_scenario("linear", "conceder")
    negotiation_id = scenario.negotiation_id(scenario.seed)
    address = BrokerAddress.parse(mosquitto_url)
    async with MqttBus(address) as watcher_bus, watcher_bus.observe(negotiation_id) as watched:
        async with MqttBus(address) as bus:
            done = await negotiate(scenario, bus=bus)
        seen = {e.message_id for e in done.transcript}
        independent: set[str] = set()
        async with asyncio.timeout(10):
            while len(independent) < len(seen):
                independent.add((await watched.get()).message_id)
    assert independent == seen
    assert len(done.transcript) == len(seen)  # each envelope once
    position = {e.message_id: k for k, e in enumerate(done.transcript)}
    answers = [e for e in done.transcript if e.in_reply_to is not None]
    assert answers
    assert all(position[str(e.in_reply_to)] < position[e.message_id] for e in answers)
