"""A misbehaving party ends the negotiation cleanly, with the reason and the party named."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from nacl.signing import SigningKey
from structlog.testing import capture_logs

import faulty
from accord.agents import STRATEGIES, Agent, runtime
from accord.broker import MemoryBus, QueueInbox
from accord.errors import HostLost
from accord.ledger.signing import Verifier
from accord.ledger.storage import JsonlStorage
from accord.ledger.verify import verify_log
from accord.model import OutcomeSpace
from accord.protocols import Deadline, Session, StackedAlternatingOffers, host_negotiation
from accord.runner import negotiate
from accord.wire import HOST, Envelope, Performative, compose, new_session, now_ns
from conftest import make_scenario


@pytest.fixture(autouse=True)
def _release_hung_threads() -> Any:
    faulty.RELEASE.clear()
    yield
    faulty.RELEASE.set()


@pytest.mark.parametrize(
    ("strategy", "reason", "detail"),
    [
        ("faulty:Raises", "strategy_error", "RuntimeError: boom in propose"),
        ("faulty:OffersGarbage", "strategy_error", "must return a mapping"),
        ("faulty:RespondsGarbage", "strategy_error", "must return a Response, got 'maybe'"),
        ("faulty:BrokenStart", "strategy_error", "on_start raised ValueError: on_start failed"),
        ("faulty:OffersOutside", "protocol_violation", "invalid_offer"),
        ("faulty:Hangs", "turn_timeout", "did not answer within 0.3 s"),
        ("faulty:SpinsForever", "turn_timeout", "did not answer within 0.3 s"),
        ("faulty:SleepsAsync", "turn_timeout", "did not answer within 0.3 s"),
        ("faulty:OffersNaN", "strategy_error", "issue 'term' has the non-finite value nan"),
    ],
)
async def test_a_faulty_strategy_ends_the_negotiation_with_its_name(
    strategy: str, reason: str, detail: str
) -> None:
    scenario = make_scenario("linear", {"name": strategy}, deadline={"turn_timeout": 0.3})
    began = time.monotonic()
    negotiation = await asyncio.wait_for(negotiate(scenario), timeout=10)
    result = negotiation.result
    assert result.reason == reason
    assert result.responsible == "seller"
    assert detail in result.detail
    assert not result.agreement
    assert time.monotonic() - began < 5
    # the host still told everybody how it ended
    assert negotiation.transcript[-1].performative is Performative.RESULT
    assert negotiation.transcript[-1].body["party"] == "seller"


async def test_an_invalid_offer_is_recorded_as_a_violation() -> None:
    with capture_logs() as logs:
        result = (await negotiate(make_scenario("linear", {"name": "faulty:OffersOutside"}))).result
    assert [(v.party, v.kind) for v in result.violations] == [("seller", "invalid_offer")]
    assert "price" in result.violations[0].detail
    assert result.violations[0].message_id == "seller:1"
    assert any(e["event"] == "protocol_violation" and e["party"] == "seller" for e in logs)


# -- a hand-written participant that breaks the protocol on the wire ----------------------


def _space() -> OutcomeSpace:
    return make_scenario().outcome_space()


Rogue = Callable[[MemoryBus, QueueInbox, Callable[..., Envelope]], Coroutine[Any, Any, None]]


async def _host_with(rogue: Rogue, *, honest_first: bool = True) -> Any:
    """Host SAOP between an honest scripted party ``a`` and a rogue ``b``."""
    bus = MemoryBus(roundtrip=True)
    seqs = {"a": 0, "b": 0}
    run: dict[str, str] = {}
    """The host's session, once there is one (scripted parties know it without its open)."""

    def envelope(sender: str, performative: Performative, **fields: Any) -> Envelope:
        seq = seqs[sender]
        seqs[sender] += 1
        data = {"message_id": f"{sender}:{seq}", "seq": seq, "sent_ns": now_ns(), "to": HOST}
        data.update(session=run["session"], **fields)
        return Envelope(negotiation_id="n1", sender=sender, performative=performative, **data)

    offer = {"price": 5, "colour": "red", "term": 0.5}

    async def honest(inbox: QueueInbox) -> None:
        await bus.publish(envelope("a", Performative.JOIN))
        async for env in inbox:
            if env.performative is Performative.REQUEST and env.to == "a":  # every party gets it
                body = {"outcome": offer}
                await bus.publish(
                    envelope("a", Performative.OFFER, in_reply_to=env.message_id, body=body)
                )
            if env.performative is Performative.RESULT:
                return

    async with (
        bus.subscribe("n1", "a") as inbox_a,
        bus.subscribe("n1", "b") as inbox_b,
        Session(
            bus=bus,
            negotiation_id="n1",
            parties=["a", "b"],
            space=_space(),
            deadline=Deadline(rounds=5, turn_timeout=0.5),
        ) as session,
    ):
        run["session"] = session.session
        tasks = [
            asyncio.create_task(honest(inbox_a)),
            asyncio.create_task(rogue(bus, inbox_b, lambda *a, **k: envelope("b", *a, **k))),
        ]
        ending = await asyncio.wait_for(
            host_negotiation(session, StackedAlternatingOffers(), {}), 5
        )
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return ending, session


async def _requests(inbox: QueueInbox, party: str = "b") -> AsyncIterator[Envelope]:
    """The requests that ask ``party`` (every party receives every request)."""
    async for env in inbox:
        if env.performative is Performative.REQUEST and env.to == party:
            yield env


async def test_a_message_out_of_turn_is_a_violation() -> None:
    async def rogue(bus: MemoryBus, inbox: QueueInbox, envelope: Callable[..., Envelope]) -> None:
        await bus.publish(envelope(Performative.JOIN))
        async for env in inbox:
            if env.performative is Performative.START:
                # offers before being asked: it is a's turn
                await bus.publish(envelope(Performative.ACCEPT))

    ending, session = await _host_with(rogue)
    assert ending.reason == "protocol_violation"
    assert ending.party == "b"
    assert session.violations[0].kind == "out_of_turn"


async def test_a_malformed_action_is_a_violation() -> None:
    async def rogue(bus: MemoryBus, inbox: QueueInbox, envelope: Callable[..., Envelope]) -> None:
        await bus.publish(envelope(Performative.JOIN))
        async for request in _requests(inbox):
            bad = envelope(Performative.OFFER, in_reply_to=request.message_id, body={"outcom": {}})
            await bus.publish(bad)

    ending, session = await _host_with(rogue)
    assert (ending.reason, ending.party) == ("protocol_violation", "b")
    assert session.violations[0].kind == "malformed_action"
    assert "outcome" in session.violations[0].detail


async def test_an_action_the_request_does_not_allow_is_a_violation() -> None:
    async def rogue(bus: MemoryBus, inbox: QueueInbox, envelope: Callable[..., Envelope]) -> None:
        await bus.publish(envelope(Performative.JOIN))
        async for request in _requests(inbox):
            await bus.publish(envelope(Performative.REJECT, in_reply_to=request.message_id))

    ending, session = await _host_with(rogue)
    assert (ending.reason, ending.party) == ("protocol_violation", "b")
    assert session.violations[0].kind == "unexpected_action"


async def test_replays_and_strangers_are_dropped() -> None:
    async def rogue(bus: MemoryBus, inbox: QueueInbox, envelope: Callable[..., Envelope]) -> None:
        join = envelope(Performative.JOIN)
        await bus.publish(join)
        await bus.publish(join)  # the very same envelope again: dropped quietly
        replay = join.model_copy(update={"body": {"changed": True}})
        await bus.publish(replay)  # an old sequence number with new content: a replay
        stranger = join.model_copy(update={"sender": "mallory", "message_id": "mallory:0"})
        await bus.publish(stranger)
        async for request in _requests(inbox):
            await bus.publish(envelope(Performative.ACCEPT, in_reply_to=request.message_id))

    with capture_logs() as logs:
        ending, session = await _host_with(rogue)
    assert ending.reason == "agreement"
    # unsigned: anyone could have sent the replay, so it is noise, not b's violation
    assert session.violations == []
    assert [(n.claimed_sender, n.reason) for n in session.noise] == [("b", "replay")]
    events = {e["event"] for e in logs}
    assert {"unattributed_noise", "unknown_sender_dropped"} <= events


async def test_a_party_that_never_joins_is_named() -> None:
    from accord.errors import HandshakeTimeout  # noqa: PLC0415

    bus = MemoryBus()
    async with Session(
        bus=bus,
        negotiation_id="n1",
        parties=["a", "b"],
        space=_space(),
        deadline=Deadline(rounds=5, join_timeout=0.2),
    ) as session:
        await bus.publish(
            Envelope(
                negotiation_id="n1",
                message_id="a:0",
                sender="a",
                to=HOST,
                seq=0,
                performative=Performative.JOIN,
                sent_ns=now_ns(),
                session=session.session,
            )
        )
        with pytest.raises(HandshakeTimeout, match=r"\['b'\] did not join within 0.2 s"):
            await host_negotiation(session, StackedAlternatingOffers(), {})


async def test_numpy_values_in_an_offer_are_sent_as_plain_numbers() -> None:
    numpy = await negotiate(make_scenario("linear", "faulty:OffersNumpy"))
    plain = await negotiate(make_scenario("linear", "linear"))
    assert numpy.result.reason == plain.result.reason
    assert numpy.result.outcome == plain.result.outcome
    offers = [e.body["outcome"] for e in numpy.transcript if e.performative is Performative.OFFER]
    assert offers
    assert all(isinstance(offer, dict) for offer in offers)
    kinds = {type(v) for offer in offers if isinstance(offer, dict) for v in offer.values()}
    assert kinds <= {int, str, float}


@pytest.mark.parametrize("executor", ["inline", "thread"])
async def test_what_a_strategy_is_handed_is_its_own_copy_never_a_message(executor: str) -> None:
    keys = {who: SigningKey.generate() for who in ("host", "buyer", "seller")}
    public = {who: key.verify_key for who, key in keys.items()}
    scenario = make_scenario("linear", "faulty:Tampers")
    negotiation = await negotiate(scenario, keys=keys, executor=executor)  # type: ignore[arg-type]
    assert negotiation.result.reason == "agreement"  # it decides as Linear does
    verifier = Verifier(public)
    for envelope in negotiation.transcript:
        assert "tampered" not in envelope.model_dump_json(), envelope.message_id
        assert verifier.problem(envelope) is None, envelope.message_id


async def test_an_agent_whose_host_falls_silent_ends_saying_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A host that starts the negotiation and then says nothing (hung, or dead without its
    will reaching anyone): the agent ends with HostLost after every party's turn timeout
    and the margin, instead of waiting forever."""
    monkeypatch.setattr(runtime, "HOST_SILENCE_MARGIN_S", 0.3)
    scenario = make_scenario("linear", "conceder")
    space = scenario.outcome_space()
    bus = MemoryBus(roundtrip=True)
    agent = Agent(
        party_id="buyer",
        strategy=STRATEGIES.create("linear", {}),
        profile=scenario.parties[0].profile.bind(space),
        space=space,
        bus=bus,
        negotiation_id="n1",
        rng=np.random.default_rng(0),
        executor="thread",  # not eager: the agent's own loop, as over MQTT
    )
    session = new_session()

    def host(seq: int, performative: Performative, body: dict[str, Any]) -> Envelope:
        return compose(
            negotiation_id="n1",
            sender=HOST,
            seq=seq,
            performative=performative,
            body=body,
            session=session,
        )

    running = asyncio.create_task(agent.run())
    await agent.ready.wait()
    await bus.publish(host(0, Performative.OPEN, {"parties": ["buyer", "seller"]}))
    parties = ["buyer", "seller"]
    await bus.publish(host(1, Performative.START, {"parties": parties, "turn_timeout": 0.2}))
    began = time.monotonic()
    with pytest.raises(HostLost, match=r"has been silent for 0\.7 s"):
        await asyncio.wait_for(running, 10)
    assert time.monotonic() - began < 5
    for thread in threading.enumerate():  # the strategy's worker: gone before the next test
        if thread.name == "strategy-buyer":
            thread.join(5)


async def test_a_hanging_on_end_does_not_stop_the_reveal(tmp_path: Path) -> None:
    """The seller's on_end never returns: its reveal is sent first, so the log still opens
    both commitments, and the run ends without waiting for the hook."""
    scenario = make_scenario("linear", "faulty:HangsAtEnd")
    began = time.monotonic()
    done = await negotiate(scenario, log=JsonlStorage(tmp_path / "log.jsonl"))
    assert time.monotonic() - began < 20
    assert done.result.reason == "agreement"
    assert set(verify_log(tmp_path / "log.jsonl").revealed) == {"buyer", "seller"}
    faulty.RELEASE_ON_END.set()
    for thread in threading.enumerate():
        if thread.name == "strategy-seller":
            thread.join(5)
