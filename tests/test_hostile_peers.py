"""Hostile peers, as a list of attacks. Each test is one attack by a client on the broker that
is not a party (no key, or a key that is not the claimed sender's), made while a real
negotiation runs over a real broker: the embedded one and mosquitto. What must hold each time:
the host, the recorder and the agents keep going, the negotiation ends exactly as the same
negotiation without the attack, nobody is blamed for what they did not sign, the log verifies
and the audit holds no party to the noise.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.audit.policy import AuditPolicy
from accord.audit.report import audit
from accord.audit.transcript import load_transcript
from accord.broker.embedded import embedded_broker
from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.broker.topics import PREFIX
from accord.ledger.keys import generate_key
from accord.ledger.signing import sign_envelope
from accord.ledger.storage import JsonlStorage
from accord.ledger.verify import verify_log
from accord.result import NegotiationResult, write_outputs
from accord.runner import negotiate
from accord.scenarios import Scenario
from accord.wire import HOST, WILL_SEQ, Envelope, Performative, compose, now_ns
from conftest import make_scenario

pytestmark = pytest.mark.mqtt

SCENARIO = make_scenario("boulware", "boulware", deadline={"rounds": 200})
"""~180 rounds, ~1,100 envelopes: long enough for an attack to land in the middle."""
NID = SCENARIO.negotiation_id()
BASE = f"{PREFIX}/{NID}/from"
PARTY_TOPICS = [
    f"{BASE}/buyer/to/host",
    f"{BASE}/buyer/all",
    f"{BASE}/seller/to/host",
    f"{BASE}/seller/all",
    f"{BASE}/seller/to/buyer",
    f"{BASE}/mallory/to/host",
]
"""Every topic a party (or a stranger) can publish to in this negotiation."""
HOST_TOPICS = [f"{BASE}/host/all", f"{BASE}/host/to/buyer", f"{BASE}/host/to/seller"]
GARBAGE_SIG = base64.b64encode(bytes(64)).decode()

Attack = Callable[[aiomqtt.Client, dict[str, bytes]], Awaitable[int]]
"""Publishes its payloads through the client (given the last payload seen on each topic up to
the host's first request, which goes to everybody: the last on the host's ``all``);
returns how many it published."""


@asynccontextmanager
async def broker(kind: str, request: pytest.FixtureRequest) -> AsyncIterator[BrokerAddress]:
    if kind == "embedded":
        async with embedded_broker() as address:
            yield address
    else:
        yield BrokerAddress.parse(request.getfixturevalue("mosquitto_url"))


@pytest.fixture(params=["embedded", "mosquitto"])
def broker_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def comparable(result: NegotiationResult) -> dict[str, object]:
    return result.model_dump(exclude={"wall_time_s", "messages", "noise", "noise_count"})


_CLEAN: dict[str, Any] = {}


async def clean_result() -> dict[str, object]:
    """The same negotiation without an attack (over the memory bus)."""
    if not _CLEAN:
        _CLEAN["result"] = comparable((await negotiate(SCENARIO)).result)
    return dict(_CLEAN["result"])


async def attacked(
    address: BrokerAddress, attack: Attack, out: Path, scenario: Scenario = SCENARIO
) -> tuple[NegotiationResult, int]:
    """Run the negotiation with a recorder's log while ``attack`` runs as soon as the host has
    sent its first request; write the run directory to ``out``."""
    log = out / "log.jsonl"
    seen: dict[str, bytes] = {}
    async with MqttBus(address) as bus, address.client("mallory", clean=True) as mallory:
        await mallory.subscribe(f"{PREFIX}/{scenario.negotiation_id()}/#", qos=1)
        task = asyncio.create_task(negotiate(scenario, bus=bus, log=JsonlStorage(log)))
        async with asyncio.timeout(30):
            async for message in mallory.messages:
                seen[str(message.topic)] = payload = bytes(message.payload)
                if b'"performative":"request"' in payload:
                    break
        sent = await attack(mallory, seen)
        negotiation = await asyncio.wait_for(task, 60)
    write_outputs(out, negotiation.result, negotiation.transcript)
    return negotiation.result, sent


async def withstood(
    broker_kind: str, request: pytest.FixtureRequest, attack: Attack, out: Path
) -> tuple[NegotiationResult, int]:
    """The attacked negotiation, after checking that it ended as the clean one and that
    nobody was blamed; with how many payloads the attack published."""
    async with broker(broker_kind, request) as address:
        result, sent = await attacked(address, attack, out)
    assert comparable(result) == await clean_result()
    assert_nobody_blamed(result, out)
    FIGURES.append((request.node.name, sent, result.noise_count))
    return result, sent


FIGURES: list[tuple[str, int, int]] = []
"""(attack, payloads published, noise counted) of every attack withstood, for the summary."""


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest) -> Iterator[None]:
    """Report what the attacks tried and what held, after the module's tests: every attack
    listed ended as the clean run, nobody blamed, the log verified, the audit clean."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if FIGURES and reporter is not None:
        reporter.write_line(f"\n{'attack':<72} {'published':>9} {'noise':>7}")
        for name, sent, noise in FIGURES:
            reporter.write_line(f"{name:<72} {sent:>9} {noise:>7}")
        total = sum(sent for _, sent, _ in FIGURES)
        reporter.write_line(
            f"{len(FIGURES)} attacked runs, {total} payloads: crashes 0, false blame 0"
        )


def assert_nobody_blamed(result: NegotiationResult, out: Path) -> None:
    assert result.violations == [], result.violations
    assert result.responsible is None
    checked = verify_log(out / "log.jsonl")
    assert checked.ok, checked.problems
    report = audit(load_transcript(out), AuditPolicy())
    assert all(not p.violations for p in report.process.parties.values())
    assert "max_protocol_violations" not in {b.rule for b in report.verdict.breaches}


def envelope(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "v": 1,
        "negotiation_id": NID,
        "message_id": "buyer:5000",
        "sender": "buyer",
        "to": "host",
        "seq": 5000,
        "performative": "offer",
        "round": 1,
        "in_reply_to": None,
        "body": {"outcome": {"price": 1}},
        "sent_ns": "1",
        "sig": None,
    }
    return base | fields


async def publish_all(client: aiomqtt.Client, payloads: list[bytes], topics: list[str]) -> int:
    for payload in payloads:
        for topic in topics:
            await client.publish(topic, payload, qos=1)
    return len(payloads) * len(topics)


# -- the attacks ---------------------------------------------------------------------------


async def test_values_json_can_parse_but_not_canonicalise(
    broker_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """NaN, Infinity and integers beyond 2^53 in a body (they used to make the host exit 1)."""
    bad = [
        b'{"v":1,"negotiation_id":"%s","message_id":"buyer:9","sender":"buyer","to":"host",'
        b'"seq":9,"performative":"offer","body":{"x":%s},"sent_ns":"1"}' % (NID.encode(), value)
        for value in (b"NaN", b"Infinity", b"-Infinity", b"12345678901234567890123", b"1e400")
    ]

    async def attack(client: aiomqtt.Client, _: dict[str, bytes]) -> int:
        return await publish_all(client, bad, [f"{BASE}/buyer/to/host", f"{BASE}/buyer/all"])

    result, sent = await withstood(broker_kind, request, attack, tmp_path)
    assert result.noise_count >= sent


async def test_forged_and_unsigned_envelopes_in_a_partys_name(
    broker_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Offers, ends and wills under the buyer's name, unsigned or with a garbage signature
    (they used to be the buyer's violations, and the audit said BREACHED)."""
    forged = [
        json.dumps(envelope(sig=sig, performative=performative, seq=seq)).encode()
        for seq, (sig, performative) in enumerate(
            [(None, "offer"), (GARBAGE_SIG, "offer"), (GARBAGE_SIG, "end"), (None, "accept")],
            start=4000,
        )
    ]

    async def attack(client: aiomqtt.Client, _: dict[str, bytes]) -> int:
        return await publish_all(client, forged, [f"{BASE}/buyer/to/host"])

    result, sent = await withstood(broker_kind, request, attack, tmp_path)
    assert {(n.claimed_sender, n.reason) for n in result.noise} == {
        ("buyer", "unsigned"),
        ("buyer", "bad_signature"),
    }
    assert len(result.noise) == sent
    report = audit(load_transcript(tmp_path), AuditPolicy())
    assert len(report.process.noise) == sent


async def test_a_forged_request_from_the_host_is_not_answered(
    broker_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A request on the host's topic with a garbage signature (the agent used to answer it,
    and was then punished for answering out of turn)."""
    fake = envelope(
        sender="host",
        to="seller",
        message_id="host:90000",
        seq=90000,
        performative="request",
        body={"kind": "propose", "relative_time": 0.5},
        sig=GARBAGE_SIG,
    )

    async def attack(client: aiomqtt.Client, _: dict[str, bytes]) -> int:
        # where a request goes (to everybody; on to/seller it would not pass the gate)
        await client.publish(f"{BASE}/host/all", json.dumps(fake).encode(), qos=1)
        return 1

    await withstood(broker_kind, request, attack, tmp_path)


async def test_a_replayed_host_request_in_other_bytes_is_not_answered(
    broker_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The host's own signed request again, re-serialised so that a transport's byte-level
    de-duplication misses it: the agent drops it by the host's sequence number."""

    async def attack(client: aiomqtt.Client, seen: dict[str, bytes]) -> int:
        replays = [
            json.dumps(json.loads(payload), indent=1).encode()
            for topic, payload in seen.items()
            if "/from/host/" in topic and b'"request"' in payload
        ]
        assert replays
        return await publish_all(client, replays, HOST_TOPICS)

    await withstood(broker_kind, request, attack, tmp_path)


async def test_a_partys_signature_in_other_base64_is_not_its_equivocation(
    broker_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A party's genuine envelope again with the unused bits of its signature's last base64
    character set: the same 64 bytes in other text (the host compared signatures as text and
    blamed the party for signing two envelopes under one sequence number)."""

    async def attack(client: aiomqtt.Client, seen: dict[str, bytes]) -> int:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        republished = []
        for topic, payload in seen.items():
            if topic.startswith((f"{BASE}/buyer/", f"{BASE}/seller/")):
                data = json.loads(payload)
                sig = data["sig"]
                last = alphabet[alphabet.index(sig[85]) ^ 1]  # an unused bit
                data["sig"] = sig[:85] + last + "=="
                assert base64.b64decode(data["sig"]) == base64.b64decode(sig)
                republished.append((topic, json.dumps(data).encode()))
        assert republished
        for topic, payload in republished:
            await client.publish(topic, payload, qos=1)
        return len(republished)

    result, _ = await withstood(broker_kind, request, attack, tmp_path)
    assert {n.reason for n in result.noise} <= {"bad_signature"}


async def test_forged_reveals_do_not_end_the_wait_for_the_real_ones(
    broker_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Two badly signed reveals, in the parties' names and the run's session, before the real
    ones (they used to count, so the host stopped recording before the real reveals came)."""

    async def attack(client: aiomqtt.Client, seen: dict[str, bytes]) -> int:
        session = json.loads(next(iter(seen.values())))["session"]
        for party in ("buyer", "seller"):
            fake = envelope(
                sender=party,
                to=None,
                message_id=f"{party}:7000",
                seq=7000,
                performative="reveal",
                round=0,
                body={"profile": {}, "salt": "00" * 32},
                session=session,
                sig=GARBAGE_SIG,
            )
            await client.publish(f"{BASE}/{party}/all", json.dumps(fake).encode(), qos=1)
        return 2

    await withstood(broker_kind, request, attack, tmp_path)
    assert set(verify_log(tmp_path / "log.jsonl").revealed) == {"buyer", "seller"}


async def test_big_payloads(
    broker_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """1 MB and 10 MB on a party's topic and on the host's."""
    big = [b"{" + b" " * (1 << 20) + b"}", b"[" * (10 << 20)]

    async def attack(client: aiomqtt.Client, _: dict[str, bytes]) -> int:
        return await publish_all(client, big, [f"{BASE}/buyer/to/host", f"{BASE}/host/all"])

    result, _ = await withstood(broker_kind, request, attack, tmp_path)
    assert result.noise_count >= 2  # the host saw the two on the buyer's topic


async def test_a_flood(broker_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """2,000 envelope-shaped messages, half of them well-formed unsigned envelopes, as fast as
    the client can publish them: the negotiation still ends, in bounded time."""
    flood = [
        json.dumps(envelope(seq=6000 + i, message_id=f"buyer:{6000 + i}")).encode()
        if i % 2
        else b'{"v": 1, "junk": %d}' % i
        for i in range(1000)
    ]

    async def attack(client: aiomqtt.Client, _: dict[str, bytes]) -> int:
        return await publish_all(client, flood, [f"{BASE}/buyer/to/host", f"{BASE}/buyer/all"])

    began = time.monotonic()
    result, _ = await withstood(broker_kind, request, attack, tmp_path)
    assert time.monotonic() - began < 60
    assert result.noise_count >= 1000


def _nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Lists and objects of ``inner`` (a named function: hypothesis's check that ``extend``
    uses its argument is unreliable on a lambda)."""
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner)


_PAYLOADS = st.one_of(
    st.binary(max_size=200),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        _nested,
        max_leaves=12,
    ).map(lambda body: json.dumps(envelope(body={"outcome": body})).encode()),
    st.fixed_dictionaries(
        {
            k: st.one_of(st.just(v), st.integers(), st.text(max_size=10), st.none())
            for k, v in envelope().items()
        }
    ).map(lambda e: json.dumps(e).encode()),
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_PAYLOADS, min_size=1, max_size=12))
def test_generated_payloads_on_every_topic(
    broker_kind: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    payloads: list[bytes],
) -> None:
    """Generated bytes, JSON and envelope-shaped values on every topic a party can publish to
    and on the host's."""

    async def attack(client: aiomqtt.Client, _: dict[str, bytes]) -> int:
        return await publish_all(client, payloads, PARTY_TOPICS + HOST_TOPICS)

    asyncio.run(withstood(broker_kind, request, attack, tmp_path_factory.mktemp("generated")))


# -- replays of an earlier run -------------------------------------------------------------

KEYS = {name: generate_key() for name in ("buyer", "seller", "host", "recorder")}
"""The same identities in both runs: what an earlier run signed verifies in the next one."""


async def recorded_run(address: BrokerAddress, out: Path) -> list[tuple[str, bytes]]:
    """A whole run with :data:`KEYS`, and every payload a stranger on the broker saw of it
    (topic, bytes) in order, after the last will the buyer's connection had in that run (what
    the broker publishes if its process dies), signed by the buyer as its runtime signs it."""
    seen: list[tuple[str, bytes]] = []
    async with MqttBus(address) as bus, address.client("eve", clean=True) as eve:
        await eve.subscribe(f"{PREFIX}/{NID}/#", qos=1)
        task = asyncio.create_task(negotiate(SCENARIO, bus=bus, keys=KEYS))

        async def listen() -> None:
            async for message in eve.messages:  # until cancelled: no comprehension
                seen.append((str(message.topic), bytes(message.payload)))  # noqa: PERF401

        listening = asyncio.create_task(listen())
        negotiation = await asyncio.wait_for(task, 60)
        await asyncio.sleep(0.5)  # the reveals, published after the result
        listening.cancel()
    assert comparable(negotiation.result) == await clean_result()
    join = next(json.loads(p) for t, p in seen if t.endswith("/buyer/to/host") and b'"join"' in p)
    will = compose(
        negotiation_id=NID,
        sender="buyer",
        seq=WILL_SEQ,
        performative=Performative.LOST,
        body={"reason": "connection lost", "nonce": join["body"]["will_nonce"]},
        to=HOST,
    )
    signed = sign_envelope(will, KEYS["buyer"])
    # what an agent fooled by a replay of this run's open signs: a join under this run's
    # session with its first sequence number, but new (a fresh will nonce): with the join
    # replayed too, the buyer has signed two envelopes under one (session, seq) of this run
    fooled = sign_envelope(
        Envelope.model_validate(join).model_copy(
            update={"body": join["body"] | {"will_nonce": "ab" * 16}, "sent_ns": now_ns()}
        ),
        KEYS["buyer"],
    )
    topic = f"{BASE}/buyer/to/host"
    return [
        (topic, signed.model_dump_json().encode()),
        (topic, fooled.model_dump_json().encode()),
        *seen,
    ]


async def test_an_earlier_runs_envelopes_replayed_into_the_next_run(
    broker_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The same scenario and seed run twice (one negotiation id): during the second, a
    stranger replays everything it recorded of the first, byte for byte, signatures valid:
    the host's open (over and over while the second run gathers its parties), the joins, the
    offers, the result, and the buyer's last will of that run (which used to end the new run
    with ``party_lost`` while the buyer was alive; an old offer ended it as the buyer's
    ``protocol_violation``)."""
    async with broker(broker_kind, request) as address:
        earlier = await recorded_run(address, tmp_path / "earlier")
        openings = [(t, p) for t, p in earlier if b'"performative":"open"' in p]
        assert openings
        out = tmp_path / "replayed"
        log = out / "log.jsonl"
        async with MqttBus(address) as bus, address.client("mallory", clean=True) as mallory:

            async def keep_opening() -> None:
                while True:  # the earlier run's open, before and while this one gathers
                    for topic, payload in openings:
                        await mallory.publish(topic, payload, qos=1)
                    await asyncio.sleep(0.01)

            opening = asyncio.create_task(keep_opening())
            await mallory.subscribe(f"{PREFIX}/{NID}/from/host/all", qos=1)
            task = asyncio.create_task(
                negotiate(SCENARIO, bus=bus, keys=KEYS, log=JsonlStorage(log))
            )
            async with asyncio.timeout(30):
                async for message in mallory.messages:
                    if b'"performative":"request"' in bytes(message.payload):
                        break
            opening.cancel()
            for topic, payload in earlier:
                await mallory.publish(topic, payload, qos=1)
            negotiation = await asyncio.wait_for(task, 60)
        write_outputs(out, negotiation.result, negotiation.transcript)
    result = negotiation.result
    assert comparable(result) == await clean_result()
    assert_nobody_blamed(result, out)
    FIGURES.append((request.node.name, len(earlier), result.noise_count))
    reasons = {n.reason for n in result.noise}
    assert {"stale_session", "stale_will"} <= reasons, reasons
    checked = verify_log(log)
    assert checked.session is not None
    assert set(checked.revealed) == {"buyer", "seller"}  # the run's own reveals
    report = audit(load_transcript(out), AuditPolicy())
    noted = {line.split(":")[0] for line in report.process.noise}
    assert {"stale_session", "stale_will"} <= noted, noted
