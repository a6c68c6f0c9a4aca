"""Whole negotiations under stacked alternating offers over the memory bus."""

from __future__ import annotations

import numpy as np
import pytest

from accord import load_scenario
from accord.broker import MemoryBus
from accord.protocols import FakeClock
from accord.runner import negotiate, party_salt
from accord.wire import Envelope, Performative, events_of
from conftest import EXAMPLES, make_scenario


def without_times(transcript: list[Envelope]) -> list[dict[str, object]]:
    """The transcript without what is new each run: send times, signatures, the session
    nonce and the nonce of each party's last will (named in its join)."""
    rows = []
    for envelope in transcript:
        row = envelope.model_dump(exclude={"sent_ns", "sig", "session"})
        row["body"].pop("will_nonce", None)
        rows.append(row)
    return rows


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
async def test_every_example_scenario_negotiates_and_is_reproducible(path: object) -> None:
    scenario = load_scenario(path)  # type: ignore[arg-type]
    first = await negotiate(scenario)
    second = await negotiate(scenario, bus=MemoryBus(roundtrip=True))
    assert first.result.reason in {"agreement", "deadline", "ended_by_party"}
    assert first.result.violations == []
    assert without_times(first.transcript) == without_times(second.transcript)
    assert first.result.model_dump(exclude={"wall_time_s"}) == second.result.model_dump(
        exclude={"wall_time_s"}
    )
    kinds = [e.performative for e in first.transcript]
    assert kinds[0] is Performative.OPEN
    assert kinds.count(Performative.JOIN) == len(scenario.parties)
    assert kinds[1 + len(scenario.parties)] is Performative.START
    assert kinds[-1] is Performative.RESULT


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
async def test_agents_answering_inside_publish_change_nothing(path: object) -> None:
    # inline strategies over the memory bus answer inside the host's publish call
    # (accord.agents.eager); on worker threads each agent runs on its own task
    scenario = load_scenario(path)  # type: ignore[arg-type]
    eager = await negotiate(scenario, executor="inline")
    queued = await negotiate(scenario, executor="thread")
    assert without_times(eager.transcript) == without_times(queued.transcript)
    assert eager.result.model_dump(exclude={"wall_time_s"}) == queued.result.model_dump(
        exclude={"wall_time_s"}
    )


async def test_an_awaitable_from_a_sync_method_is_finished_on_the_agents_task() -> None:
    # the eager handler suspends in the middle of a turn and is finished on a task
    awaits = await negotiate(make_scenario("faulty:AwaitsInSync", "conceder"), executor="inline")
    plain = await negotiate(make_scenario("linear", "conceder"), executor="inline")
    assert awaits.result.reason == plain.result.reason == "agreement"
    assert awaits.result.outcome == plain.result.outcome
    assert [e.performative for e in awaits.transcript] == [e.performative for e in plain.transcript]


def test_the_example_scenarios_exist() -> None:
    assert len(EXAMPLES) >= 3, [p.name for p in EXAMPLES]


async def test_different_seeds_can_give_different_transcripts() -> None:
    scenario = make_scenario("random", "random")
    runs = {str(without_times((await negotiate(scenario, seed=s)).transcript)) for s in range(4)}
    assert len(runs) > 1


async def test_bilateral_agreement_is_individually_rational_and_reported() -> None:
    result = (await negotiate(make_scenario("linear", "conceder"))).result
    assert result.agreement
    assert result.reason == "agreement"
    assert result.outcome is not None
    for party in result.parties:
        assert party.utility >= party.reservation
        assert party.gain == pytest.approx(party.utility - party.reservation)


async def test_hardliners_never_agree_and_hit_the_deadline() -> None:
    result = (await negotiate(make_scenario("hardliner", "hardliner"))).result
    assert not result.agreement
    assert result.reason == "deadline"
    assert result.rounds == 20
    assert result.relative_time == 1.0
    assert [p.utility for p in result.parties] == [0.2, 0.2]  # the reservation values


async def test_multilateral_agreement_needs_every_other_party() -> None:
    negotiation = await negotiate(make_scenario("conceder", "boulware", "conceder", parties=3))
    result = negotiation.result
    assert result.agreement
    events = [e.body for e in events_of(negotiation.transcript)]
    # the last offer is followed by exactly n - 1 = 2 acceptances
    last_offer = max(i for i, b in enumerate(events) if b["event"] == "offer")
    assert [b["event"] for b in events[last_offer + 1 :]] == ["accept", "accept"]
    assert events[last_offer]["outcome"] == result.outcome


async def test_the_standing_offer_is_what_gets_accepted() -> None:
    negotiation = await negotiate(make_scenario("conceder", "conceder"))
    offers = [e for e in negotiation.transcript if e.performative is Performative.OFFER]
    assert negotiation.result.outcome == offers[-1].body["outcome"]


async def test_a_party_may_end_the_negotiation() -> None:
    scenario = make_scenario("linear", {"name": "faulty:EndsAtOnce"})
    result = (await negotiate(scenario)).result
    assert result.reason == "ended_by_party"
    assert result.responsible == "seller"


async def test_seconds_deadline_with_a_fake_clock() -> None:
    clock = FakeClock()
    scenario = make_scenario(
        {"name": "faulty:AdvancesClock"},
        "hardliner",
        deadline={"rounds": None, "seconds": 10.0},
    )
    import faulty  # noqa: PLC0415  # the strategy reads the clock we inject

    faulty.AdvancesClock.clock = clock
    result = (await negotiate(scenario, clock=clock)).result
    assert result.reason == "deadline"
    assert "10 s" in result.detail
    assert result.rounds == 10  # one second per proposal, two turns a round


async def test_random_turn_order_is_seeded() -> None:
    scenario = make_scenario(
        "conceder", "linear", "boulware", parties=3, params={"order": "random"}
    )
    orders = set()
    for seed in range(6):
        transcript = (await negotiate(scenario, seed=seed)).transcript
        requests = [e.to for e in transcript if e.performative is Performative.REQUEST][:3]
        orders.add(tuple(requests))
        again = (await negotiate(scenario, seed=seed)).transcript
        assert [e.to for e in again if e.performative is Performative.REQUEST][:3] == requests
    assert len(orders) > 1


@pytest.mark.parametrize("seed", [0, 7, 2**31 - 1, 2**63 + 5])
def test_a_party_salt_is_the_seeded_generators_bytes(seed: int) -> None:
    for index in range(3):
        for stream in (1, 2):
            expected = np.random.default_rng([seed, index, stream]).bytes(32).hex()
            assert party_salt(seed, index, stream) == expected
