"""Running a scenario in one process: host, agents and transcript over one bus.

This is what ``accord run`` does and what the Python API's :func:`run` offers::

    from accord import load_scenario, run
    negotiation = run(load_scenario("scenarios/platform-isv.yaml"), seed=7)
    print(negotiation.result.reason, negotiation.result.outcome)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import numpy as np
import structlog
from pydantic import JsonValue

from accord.agents import STRATEGIES, Agent
from accord.agents.executor import ExecutorKind
from accord.broker import Bus, Inbox, MemoryBus
from accord.model import BoundProfile
from accord.protocols import MECHANISMS, Clock, Ending, EndReason, Session, host_negotiation
from accord.result import NegotiationResult, PartyOutcome, ViolationRecord
from accord.scenarios import Scenario
from accord.wire import Envelope, Performative

__all__ = ["Negotiation", "negotiate", "run"]

log = structlog.get_logger("accord.runner")

AGENT_GRACE_S = 1.0
"""How long agents get, after the result is sent, to finish their ``on_end`` hooks."""


@dataclass(frozen=True, slots=True, repr=False)
class Negotiation:
    """A finished negotiation: its result and every envelope, in order."""

    result: NegotiationResult
    transcript: list[Envelope]

    def __repr__(self) -> str:  # the transcript can be long: asyncio reprs finished tasks
        return (
            f"Negotiation(id={self.result.negotiation_id!r}, reason={self.result.reason!r}, "
            f"messages={len(self.transcript)})"
        )


def run(
    scenario: Scenario,
    *,
    seed: int | None = None,
    executor: ExecutorKind = "auto",
) -> Negotiation:
    """Negotiate ``scenario`` over an in-process bus and return the result (blocking)."""
    return asyncio.run(negotiate(scenario, seed=seed, executor=executor))


async def negotiate(
    scenario: Scenario,
    *,
    seed: int | None = None,
    bus: Bus | None = None,
    executor: ExecutorKind = "auto",
    clock: Clock | None = None,
) -> Negotiation:
    """Negotiate ``scenario`` with every party in this event loop over ``bus`` (default: a
    new :class:`~accord.broker.MemoryBus`). ``seed`` overrides the scenario's seed."""
    seed = scenario.seed if seed is None else seed
    bus = bus or MemoryBus()
    negotiation_id = scenario.negotiation_id(seed)
    space = scenario.outcome_space()
    mechanism = MECHANISMS.create(scenario.mechanism.name, scenario.mechanism.params)
    deadline = scenario.mechanism.deadline
    profiles = {p.id: p.profile.bind(space) for p in scenario.parties}
    agents = [
        Agent(
            party_id=party.id,
            strategy=STRATEGIES.create(party.strategy.name, party.strategy.params),
            profile=profiles[party.id],
            space=space,
            bus=bus,
            negotiation_id=negotiation_id,
            rng=np.random.default_rng([seed, index]),
            executor=executor,
        )
        for index, party in enumerate(scenario.parties)
    ]
    start: dict[str, JsonValue] = {
        "scenario": scenario.name,
        "mechanism": mechanism.name,
        "parties": [p.id for p in scenario.parties],
        "issues": [issue.name for issue in scenario.issues],
        "rounds": deadline.rounds,
        "seconds": deadline.seconds,
        "turn_timeout": deadline.turn_timeout,
    }
    transcript: list[Envelope] = []
    began = time.perf_counter()
    async with (
        bus.observe(negotiation_id) as observed,
        Session(
            bus=bus,
            negotiation_id=negotiation_id,
            parties=[p.id for p in scenario.parties],
            space=space,
            deadline=deadline,
            clock=clock,
            seed=seed,
        ) as session,
    ):
        recording = asyncio.create_task(_record(observed, transcript), name="transcript")
        tasks = [asyncio.create_task(a.run(), name=f"agent-{a.party_id}") for a in agents]
        try:
            ending = await host_negotiation(session, mechanism, start)
            await _settle(tasks, AGENT_GRACE_S)
            await asyncio.wait_for(recording, AGENT_GRACE_S)
        finally:
            for task in [*tasks, recording]:
                task.cancel()
            await asyncio.gather(*tasks, recording, return_exceptions=True)
            _drain(observed, transcript)
    wall = time.perf_counter() - began
    result = _result(
        scenario,
        seed=seed,
        mechanism=mechanism.name,
        ending=ending,
        session=session,
        profiles=profiles,
        transcript=transcript,
        wall=wall,
    )
    log.info("negotiation_result", negotiation_id=negotiation_id, reason=result.reason)
    return Negotiation(result, transcript)


async def _record(inbox: Inbox, transcript: list[Envelope]) -> None:
    async for envelope in inbox:
        transcript.append(envelope)
        if envelope.performative is Performative.RESULT:
            return


def _drain(inbox: Inbox, transcript: list[Envelope]) -> None:
    """Keep whatever the observer received but had not yet handed over."""
    if transcript and transcript[-1].performative is Performative.RESULT:
        return
    while (envelope := inbox.get_nowait()) is not None:
        transcript.append(envelope)


async def _settle(tasks: list[asyncio.Task[None]], grace: float) -> None:
    """Wait up to ``grace`` seconds for the agents to finish; log the ones that did not
    (a strategy stuck in a hook) and any that crashed."""
    done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        log.warning("agent_still_running", task=task.get_name())
    for task in done:
        with contextlib.suppress(asyncio.CancelledError):
            if (exc := task.exception()) is not None:
                log.error("agent_crashed", task=task.get_name(), error=repr(exc))


def _result(
    scenario: Scenario,
    *,
    seed: int,
    mechanism: str,
    ending: Ending,
    session: Session,
    profiles: dict[str, BoundProfile],
    transcript: list[Envelope],
    wall: float,
) -> NegotiationResult:
    t = session.relative_time
    parties = []
    for party in scenario.parties:
        profile = profiles[party.id]
        if ending.agreement is not None:
            utility = profile.of(ending.agreement)
        else:
            utility = profile.reservation
        parties.append(
            PartyOutcome(
                id=party.id,
                organisation=party.organisation,
                strategy=party.strategy.name,
                utility=utility,
                discounted_utility=profile.discounted(utility, t),
                reservation=profile.reservation,
                gain=utility - profile.reservation,
            )
        )
    return NegotiationResult(
        scenario=scenario.name,
        negotiation_id=session.negotiation_id,
        seed=seed,
        mechanism=mechanism,
        agreement=ending.reason is EndReason.AGREEMENT,
        outcome=ending.agreement,
        reason=ending.reason.value,
        responsible=ending.party,
        detail=ending.detail,
        rounds=session.rounds_played,
        relative_time=t,
        messages=len(transcript),
        wall_time_s=wall,
        parties=parties,
        violations=[
            ViolationRecord(party=v.party, kind=v.kind, detail=v.detail, message_id=v.message_id)
            for v in session.violations
        ],
    )
