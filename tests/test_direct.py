"""A direct run (parties called, no envelopes) is the memory-bus run, message for message.

For every example scenario, as written and with every built-in strategy in every seat (where
the scenario's mechanism can play it), and for several seeds: the same actions, the same
ending and the same materialised transcript as over the memory bus (send times, the session
nonce and the parties' will nonces aside, which are random or clock-made in both).
"""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import faulty
from accord.agents import STRATEGIES, Linear, Response, TurnState
from accord.agents.watchdog import available
from accord.errors import AccordError
from accord.ledger.signing import Verifier
from accord.model import Outcome
from accord.runner import Negotiation, negotiate
from accord.scenarios import Scenario, load_scenario
from accord.wire import Envelope, Performative
from conftest import ROOT, make_scenario

EXAMPLES = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("scenarios/coalition/*.yaml")])
SEEDS = (1, 2)
BUILTINS = [entry.name for entry in STRATEGIES.entries()]


def _variants() -> list[Any]:
    """(scenario file, strategy or None for the file as written), for every combination the
    scenario's validation accepts."""
    cases = []
    for path in EXAMPLES:
        cases.append(pytest.param(path, None, id=f"{path.stem}-as-written"))
        cases.extend(
            pytest.param(path, name, id=f"{path.stem}-{name}")
            for name in BUILTINS
            if _with_strategy(path, name) is not None
        )
    return cases


def _with_strategy(path: Path, strategy: str | None) -> Scenario | None:
    if strategy is None:
        return load_scenario(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for party in data["parties"]:
        party["strategy"] = {"name": strategy}
    try:
        return Scenario.model_validate(data)
    except (AccordError, ValueError):
        return None  # the mechanism cannot play this strategy (or it needs parameters)


def _comparable(envelope: Envelope) -> dict[str, Any]:
    fields = envelope.model_dump(mode="json", exclude={"sent_ns", "sig", "session"})
    if envelope.performative is Performative.JOIN:
        fields["body"] = {k: v for k, v in fields["body"].items() if k != "will_nonce"}
    return fields


def _result(negotiation: Negotiation) -> dict[str, Any]:
    return negotiation.result.model_dump(mode="json", exclude={"wall_time_s"})


@pytest.mark.parametrize(("path", "strategy"), _variants())
async def test_a_direct_run_is_the_memory_bus_run(path: Path, strategy: str | None) -> None:
    scenario = _with_strategy(path, strategy)
    assert scenario is not None
    for seed in SEEDS:
        direct = await negotiate(scenario, seed=seed, sign=False)
        bus = await negotiate(scenario, seed=seed, sign=False, envelopes=True)
        assert _result(direct) == _result(bus)
        assert [_comparable(e) for e in direct.transcript] == [
            _comparable(e) for e in bus.transcript
        ]
        assert {e.session for e in direct.transcript} == {direct.transcript[0].session}


def test_the_grid_covers_every_mechanism_and_every_strategy() -> None:
    """The comparison is not vacuous: every mechanism of the examples, every built-in."""
    mechanisms = {load_scenario(path).mechanism.name for path in EXAMPLES}
    assert mechanisms >= {"saop", "voting", "single-text", "contract-net", "mcp", "coalition"}
    played = {param.values[1] for param in _variants()} - {None}
    assert played == set(BUILTINS)


async def test_a_signed_direct_transcript_verifies_and_is_made_only_when_asked() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "platform-isv.yaml")
    negotiation = await negotiate(scenario)  # signed, the default
    assert negotiation._transcript is None  # nothing materialised yet
    transcript = negotiation.transcript
    assert len(transcript) == negotiation.result.messages
    keys = {e.sender for e in transcript}
    assert all(e.sig is not None for e in transcript)
    # each sender signed with one key: the host's and each party's, checked against each
    by_sender: dict[str, Envelope] = {e.sender: e for e in transcript}
    assert keys == {"host", "platform", "isv"}
    assert all(by_sender[s].sig for s in keys)
    assert negotiation.transcript is transcript  # made once


async def test_the_signatures_of_a_direct_transcript_are_those_of_the_given_keys() -> None:
    from nacl.signing import SigningKey  # noqa: PLC0415

    scenario = load_scenario(ROOT / "scenarios" / "platform-isv.yaml")
    keys = {who: SigningKey.generate() for who in ("host", "recorder", "platform", "isv")}
    transcript = (await negotiate(scenario, keys=keys)).transcript
    verifier = Verifier({who: key.verify_key for who, key in keys.items()})
    assert [verifier.problem(e) for e in transcript] == [None] * len(transcript)


@pytest.mark.skipif(not available(), reason="needs POSIX timers in the main thread")
@pytest.mark.parametrize(
    ("strategy", "reason"),
    [
        ("faulty:Raises", "strategy_error"),
        ("faulty:OffersOutside", "protocol_violation"),
        ("faulty:SleepsLong", "turn_timeout"),
        ("faulty:BlocksAsync", "turn_timeout"),
        ("faulty:SleepsAsync", "turn_timeout"),
    ],
)
async def test_a_faulty_plugin_ends_a_direct_run_as_it_ends_a_bus_run(
    strategy: str, reason: str
) -> None:
    faulty.RELEASE.clear()
    try:
        scenario = make_scenario("linear", {"name": strategy}, deadline={"turn_timeout": 0.3})
        began = time.monotonic()
        direct = await asyncio.wait_for(negotiate(scenario, sign=False), 10)
        assert time.monotonic() - began < 2.5
        bus = await asyncio.wait_for(negotiate(scenario, sign=False, envelopes=True), 10)
        for run in (direct, bus):
            assert (run.result.reason, run.result.responsible) == (reason, "seller")
        assert direct.result.detail == bus.result.detail
        assert [v.kind for v in direct.result.violations] == [v.kind for v in bus.result.violations]
    finally:
        faulty.RELEASE.set()


class _RespondsLater(Linear):
    """Answers the standing offer with an awaitable that really waits (a sync method)."""

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        async def later() -> Response:
            await asyncio.sleep(0.001)
            return Linear.respond(self, state, offer)

        return later()  # type: ignore[return-value]  # the point of the test


@pytest.mark.parametrize(
    ("strategy", "executor"),
    [
        ("linear", "thread"),  # every call waits on the worker thread
        ("faulty:AwaitsInSync", "auto"),  # propose's answer waits
        ("test_direct:_RespondsLater", "auto"),  # respond's answer waits
        ("faulty:RespondsGarbage", "auto"),
        ("faulty:OffersGarbage", "auto"),
        ("faulty:OffersNumpy", "auto"),
        ("faulty:OffersNaN", "auto"),
        ("faulty:EndsAtOnce", "auto"),
        ("faulty:AcceptsAnything", "auto"),
    ],
)
async def test_a_turn_answered_at_once_or_later_is_the_bus_runs_turn(
    strategy: str, executor: Any
) -> None:
    """The direct session takes the answer of a turn the strategy answers at once without a
    coroutine (``Agent.reply_at_once``), and awaits the rest of one that waits; both give
    what the agent's own ``reply`` gives over the memory bus, failures included."""
    scenario = make_scenario("linear", {"name": strategy})
    direct = await negotiate(scenario, sign=False, executor=executor)
    bus = await negotiate(scenario, sign=False, executor=executor, envelopes=True)
    assert _result(direct) == _result(bus)
    assert [_comparable(e) for e in direct.transcript] == [_comparable(e) for e in bus.transcript]
    assert direct.result.rounds >= 1


def test_a_direct_run_leaves_no_reference_cycle_behind() -> None:
    """Everything a direct run made is freed by reference counting when the result goes: a
    cycle (an agent holding a method of its session did) kept every run's records for the
    cyclic collector, ~1,800 objects a negotiation, ~14% of a short run's time."""
    scenario = load_scenario(ROOT / "scenarios" / "platform-isv.yaml")
    asyncio.run(negotiate(scenario, sign=False))  # imports and caches made once
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        negotiation = asyncio.run(negotiate(scenario, sign=False))
        assert negotiation.result.reason == "agreement"
        del negotiation
        gc.collect()
        left = [o for o in gc.garbage if type(o).__module__.startswith("accord")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
