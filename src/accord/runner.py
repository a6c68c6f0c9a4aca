"""Running a scenario in one process: host, agents and transcript over one bus.

This is what ``accord run`` does and what the Python API's :func:`run` offers::

    from accord import load_scenario, run
    negotiation = run(load_scenario("scenarios/platform-isv.yaml"), seed=7)
    print(negotiation.result.reason, negotiation.result.outcome)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

import numpy as np
from nacl.signing import SigningKey, VerifyKey
from pydantic import JsonValue

from accord.agents import STRATEGIES, Agent
from accord.agents.executor import ExecutorKind
from accord.broker import Bus, Inbox, MemoryBus
from accord.broker.admission import refused_count
from accord.direct import DirectSession
from accord.errors import InputError
from accord.ledger.keys import encode_public_key, generate_key
from accord.ledger.recorder import Recorder
from accord.ledger.records import RECORDER
from accord.ledger.signing import Signer, Verifier, signer_for
from accord.ledger.storage import LogStorage
from accord.logs import get_logger
from accord.mandate.build import approver_for
from accord.model import BoundProfile, OutcomeSpace
from accord.protocols import MECHANISMS, Clock, Ending, EndReason, Session, host_negotiation
from accord.protocols.mechanism import Mechanism
from accord.result import NegotiationResult, NoiseRecord, PartyOutcome, ViolationRecord
from accord.scenarios import Scenario
from accord.wire import HOST, Envelope, Performative

__all__ = [
    "Negotiation",
    "identities_for",
    "negotiate",
    "party_salt",
    "run",
    "serve",
    "start_body",
]

logger = get_logger("accord.runner")

AGENT_GRACE_S = 1.0
"""How long agents get, after the result is sent, to finish their ``on_end`` hooks."""


class Negotiation:
    """A finished negotiation: its result and every envelope, in order (the transcript of a
    direct run is materialised on first use, see :mod:`accord.direct`)."""

    __slots__ = ("_materialise", "_transcript", "result")

    def __init__(
        self,
        result: NegotiationResult,
        transcript: list[Envelope] | Callable[[], list[Envelope]],
    ) -> None:
        self.result = result
        self._transcript = transcript if isinstance(transcript, list) else None
        self._materialise = None if isinstance(transcript, list) else transcript

    @property
    def transcript(self) -> list[Envelope]:
        if self._transcript is None:
            assert self._materialise is not None  # noqa: S101  # one of the two is set
            self._transcript, self._materialise = self._materialise(), None
        return self._transcript

    def __repr__(self) -> str:  # the transcript can be long: asyncio reprs finished tasks
        return (
            f"Negotiation(id={self.result.negotiation_id!r}, reason={self.result.reason!r}, "
            f"messages={self.result.messages})"
        )


def run(
    scenario: Scenario,
    *,
    seed: int | None = None,
    executor: ExecutorKind = "auto",
    sign: bool = True,
    keys: Mapping[str, SigningKey] | None = None,
    log: LogStorage | None = None,
) -> Negotiation:
    """Negotiate ``scenario`` over an in-process bus and return the result (blocking); the
    arguments are those of :func:`negotiate`."""
    return asyncio.run(
        negotiate(scenario, seed=seed, executor=executor, sign=sign, keys=keys, log=log)
    )


async def negotiate(
    scenario: Scenario,
    *,
    seed: int | None = None,
    bus: Bus | None = None,
    executor: ExecutorKind = "auto",
    clock: Clock | None = None,
    sign: bool = True,
    keys: Mapping[str, SigningKey] | None = None,
    log: LogStorage | None = None,
    reveal: bool = True,
    profiles: Mapping[str, BoundProfile] | None = None,
    envelopes: bool = False,
) -> Negotiation:
    """Negotiate ``scenario`` with every party in this event loop over ``bus``. ``seed``
    overrides the scenario's seed.

    Without a ``bus``, the parties are called directly
    (:class:`~accord.direct.DirectSession`): the same actions and ending, and the transcript
    materialised from the run's records when it is first used (at once with a ``log``, which
    a recorder then writes, each entry received when it was sent). ``envelopes`` runs such a
    negotiation over a new :class:`~accord.broker.MemoryBus` instead, every message an
    envelope published, delivered, checked and logged as it arrives.

    With ``sign`` (the default) every participant signs its envelopes with its key from
    ``keys`` (party ids, ``host``, ``recorder``) or an ephemeral one, and the host checks
    every signature. With ``log``, a :class:`~accord.ledger.recorder.Recorder` appends every
    envelope to it, and with ``reveal`` the parties reveal their profiles into it at the end.
    ``profiles`` are the parties' profiles already bound to the scenario's outcome space (by
    party id), to reuse their cached utilities and orderings across negotiations of one
    scenario (as a tournament does); the result is the same as without."""
    seed = scenario.seed if seed is None else seed
    profiles = _bind(scenario) if profiles is None else _checked(scenario, profiles)
    if bus is None and not envelopes:
        return await _direct(
            scenario, seed, profiles, executor, clock, sign=sign, keys=keys, log=log, reveal=reveal
        )
    bus = bus or MemoryBus()
    negotiation_id = scenario.negotiation_id(seed)
    identities = identities_for(scenario, keys or {}) if sign or log is not None else {}
    public = {who: key.verify_key for who, key in identities.items() if who != RECORDER}
    host_key = public[HOST] if sign and not isinstance(bus, MemoryBus) else None
    agents = _agents(
        scenario,
        seed,
        profiles,
        bus,
        executor,
        signers={p.id: signer_for(identities[p.id]) for p in scenario.parties} if sign else {},
        reveal=reveal and log is not None,
        host_key=host_key,
    )
    recorder = None
    if log is not None:
        recorder = Recorder(
            negotiation_id=negotiation_id, storage=log, key=identities[RECORDER], keys=public
        )
    return await serve(
        scenario,
        seed=seed,
        bus=bus,
        clock=clock,
        signer=signer_for(identities[HOST]) if sign else None,
        verifier=Verifier(public) if sign else None,
        recorder=recorder,
        agents=agents,
        profiles=profiles,
    )


def _agents(
    scenario: Scenario,
    seed: int,
    profiles: Mapping[str, BoundProfile],
    bus: Bus,
    executor: ExecutorKind,
    *,
    signers: Mapping[str, Signer],
    reveal: bool,
    host_key: VerifyKey | None,
) -> list[Agent]:
    """Every party's agent, seeded from ``seed`` and its place in the scenario."""
    space = _space(scenario, profiles)
    negotiation_id = scenario.negotiation_id(seed)
    return [
        Agent(
            party_id=party.id,
            strategy=STRATEGIES.create(party.strategy.name, party.strategy.params),
            profile=profiles[party.id],
            space=space,
            bus=bus,
            negotiation_id=negotiation_id,
            rng=np.random.default_rng([seed, index]),
            executor=executor,
            signer=signers.get(party.id),
            reveal=reveal,
            salt=functools.partial(party_salt, seed, index, 1),  # drawn if a join is made
            mandate=party.mandate,
            approver=approver_for(party),
            mandate_salt=None if party.mandate is None else party_salt(seed, index, 2),
            # over a broker anyone may publish; in-process memory bus traffic is our own
            host_key=host_key,
        )
        for index, party in enumerate(scenario.parties)
    ]


async def _direct(
    scenario: Scenario,
    seed: int,
    profiles: dict[str, BoundProfile],
    executor: ExecutorKind,
    clock: Clock | None,
    *,
    sign: bool,
    keys: Mapping[str, SigningKey] | None,
    log: LogStorage | None = None,
    reveal: bool = True,
) -> Negotiation:
    """Negotiate with every party called directly (:mod:`accord.direct`); the transcript is
    materialised, and signed if ``sign``, when first used. Given or pinned keys are checked
    now; ephemeral ones are made only for a transcript. With a ``log``, the parties reveal
    their profiles at the end (if ``reveal``) and a recorder logs the materialised transcript
    once the run is over, each entry received when it was sent (:func:`_log_afterwards`)."""
    pinned = sign and (bool(keys) or any(p.public_key for p in scenario.parties))
    identities = identities_for(scenario, keys or {}) if pinned or log is not None else None
    agents = _agents(
        scenario,
        seed,
        profiles,
        MemoryBus(),
        executor,
        signers={},
        reveal=reveal and log is not None,
        host_key=None,
    )
    mechanism = MECHANISMS.create(scenario.mechanism.name, scenario.mechanism.params)
    began = time.perf_counter()
    async with DirectSession(
        agents=agents,
        negotiation_id=scenario.negotiation_id(seed),
        space=_space(scenario, profiles),
        deadline=scenario.mechanism.deadline,
        clock=clock,
        seed=seed,
        profiles=profiles,
        status_quo=scenario.status_quo,
    ) as session:
        ending = await host_negotiation(session, mechanism, start_body(scenario, mechanism.name))
    result = _result(
        scenario,
        seed=seed,
        mechanism=mechanism.name,
        ending=ending,
        session=session,
        profiles=profiles,
        messages=session.messages,
        wall=time.perf_counter() - began,
        transport_noise=0,
    )
    logger.info("negotiation_result", negotiation_id=result.negotiation_id, reason=result.reason)

    def materialise() -> list[Envelope]:
        if not sign:
            return session.transcript()
        keys_of = identities or identities_for(scenario, {})
        return session.transcript({who: signer_for(key) for who, key in keys_of.items()})

    if log is None:
        return Negotiation(result, materialise)
    assert identities is not None  # noqa: S101  # made above whenever there is a log
    transcript = materialise()
    _log_afterwards(scenario.negotiation_id(seed), transcript, log, identities)
    return Negotiation(result, transcript)


def _log_afterwards(
    negotiation_id: str,
    transcript: Sequence[Envelope],
    log: LogStorage,
    identities: Mapping[str, SigningKey],
) -> None:
    """Log a direct run's ``transcript`` after the run: what the recorder of a memory-bus run
    logs as the envelopes arrive, each entry with its envelope's send time as its received
    time (nothing travelled: every party was called in this process), checked by the same
    recorder (signatures, repeats) and kept by the same observer (one envelope it fails on is
    said at error level, the next ones are still logged)."""
    public = {who: key.verify_key for who, key in identities.items() if who != RECORDER}
    recorder = Recorder(
        negotiation_id=negotiation_id,
        storage=log,
        key=identities[RECORDER],
        keys=public,
        checkpoint_seconds=None,  # by count and at the end: the run is over
    )
    observer = _Observer([], recorder, session="", verifier=None)
    try:
        for envelope in transcript:
            observer.keep_or_say(envelope, received_ns=envelope.sent_ns)
    finally:
        recorder.close()


def party_salt(seed: int, index: int, stream: int) -> str:
    """32 bytes of the seeded stream ``[seed, index, stream]`` in hex: a party's commitment
    salt (stream 1) or mandate salt (stream 2), reproducible from the seed. The bytes of
    ``np.random.default_rng([seed, index, stream]).bytes(32)`` (a test checks it), read
    from the bit generator directly: a ``Generator`` costs ~25 us more, twice per party."""
    raw = np.random.PCG64([seed, index, stream]).random_raw(4)
    return raw.astype("<u8").tobytes().hex()


def start_body(scenario: Scenario, mechanism: str) -> dict[str, JsonValue]:
    """The body of the host's ``start`` for ``scenario`` (see docs/protocol.md)."""
    deadline = scenario.mechanism.deadline
    body: dict[str, JsonValue] = {
        "scenario": scenario.name,
        "mechanism": mechanism,
        "parties": [p.id for p in scenario.parties],
        "issues": [issue.name for issue in scenario.issues],
        "domain": [issue.model_dump(mode="json") for issue in scenario.issues],
        "rounds": deadline.rounds,
        "seconds": deadline.seconds,
        "turn_timeout": deadline.turn_timeout,
    }
    if scenario.status_quo is not None:  # a renegotiation: every party sees the terms in force
        body["status_quo"] = dict[str, JsonValue](scenario.status_quo)
    return body


async def serve(
    scenario: Scenario,
    *,
    seed: int,
    bus: Bus,
    signer: Signer | None,
    verifier: Verifier | None,
    recorder: Recorder | None,
    agents: Sequence[Agent] = (),
    clock: Clock | None = None,
    reveal_wait: float = 0.0,
    profiles: Mapping[str, BoundProfile] | None = None,
) -> Negotiation:
    """The host's side: run the mechanism over ``bus`` while an observer keeps the
    transcript (and ``recorder`` the log), with ``agents`` running in this event loop (none
    when every party runs in its own process). After the result, waits up to
    ``reveal_wait`` seconds for every party's reveal. ``profiles``: as in :func:`negotiate`."""
    negotiation_id = scenario.negotiation_id(seed)
    profiles = _bind(scenario) if profiles is None else _checked(scenario, profiles)
    space = _space(scenario, profiles)
    mechanism = MECHANISMS.create(scenario.mechanism.name, scenario.mechanism.params)
    deadline = scenario.mechanism.deadline
    start = start_body(scenario, mechanism.name)
    transcript: list[Envelope] = []
    began = time.perf_counter()
    async with (
        bus.observe(negotiation_id, local=True) as observed,
        Session(
            bus=bus,
            negotiation_id=negotiation_id,
            parties=[p.id for p in scenario.parties],
            space=space,
            deadline=deadline,
            clock=clock,
            seed=seed,
            signer=signer,
            verifier=verifier,
            profiles=profiles,
            status_quo=scenario.status_quo,
        ) as session,
    ):
        observer = _Observer(transcript, recorder, session=session.session, verifier=verifier)
        recording = asyncio.create_task(observer.run(observed), name="observer")
        tasks = [asyncio.create_task(a.run(), name=f"agent-{a.party_id}") for a in agents]
        try:
            ending = await _host_watching(_after_ready(agents, session, mechanism, start), tasks)
            await _settle(tasks, AGENT_GRACE_S)
            if reveal_wait:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(reveal_wait):
                        await observer.wait_for_reveals(len(scenario.parties))
        finally:
            for task in [*tasks, recording]:
                task.cancel()
            await asyncio.gather(*tasks, recording, return_exceptions=True)
            observer.drain(observed)
            if recorder is not None:
                recorder.close()
    wall = time.perf_counter() - began
    result = _result(
        scenario,
        seed=seed,
        mechanism=mechanism.name,
        ending=ending,
        session=session,
        profiles=profiles,
        messages=len(transcript),
        wall=wall,
        transport_noise=refused_count(bus, negotiation_id),
    )
    logger.info("negotiation_result", negotiation_id=negotiation_id, reason=result.reason)
    return Negotiation(result, transcript)


class _Observer:
    """Keeps every envelope of the negotiation in the transcript and, if there is one, in
    the recorder's log, in the order the bus delivered them."""

    def __init__(
        self,
        transcript: list[Envelope],
        recorder: Recorder | None,
        *,
        session: str,
        verifier: Verifier | None,
    ) -> None:
        self.transcript = transcript
        self.recorder = recorder
        self.session = session
        self.verifier = verifier
        self.revealed_by: set[str] = set()
        self.revealed = asyncio.Event()
        self.ended = False
        self.failures = 0
        """Envelopes the observer failed to keep (each logged at error level)."""

    def genuine(self, envelope: Envelope) -> bool:
        """Whether ``envelope`` is of this run and signed by its sender (when runs are
        signed): only such a ``result`` ends the run, only such a ``reveal`` is counted."""
        return envelope.session == self.session and (
            self.verifier is None or self.verifier.problem(envelope) is None
        )

    def keep(self, envelope: Envelope, received_ns: str | None = None) -> None:
        """Keep ``envelope`` (received now, or at ``received_ns``)."""
        if RECORDER in (envelope.sender, envelope.to):
            return  # a party and an independent recorder about receipts: not the negotiation
        if self.ended and envelope.performative is Performative.LOST:
            # a party that leaves after the result has not been lost (and amqtt 0.12 sometimes
            # publishes the will of a connection that did say goodbye)
            return
        self.ended = self.ended or (
            envelope.performative is Performative.RESULT
            and envelope.sender == HOST
            and self.genuine(envelope)
        )
        self.transcript.append(envelope)
        if self.recorder is not None:
            self.recorder.record(envelope, received_ns)
        if envelope.performative is Performative.REVEAL and self.genuine(envelope):
            self.revealed_by.add(envelope.sender)
            self.revealed.set()

    async def wait_for_reveals(self, count: int) -> None:
        """Wait until ``count`` parties have revealed (the caller bounds the wait)."""
        while len(self.revealed_by) < count:
            self.revealed.clear()
            await self.revealed.wait()

    async def run(self, inbox: Inbox) -> None:
        async for envelope in inbox:
            self.keep_or_say(envelope)

    def drain(self, inbox: Inbox) -> None:
        """Keep what arrived but was not handed over yet (the run has been cancelled)."""
        while (envelope := inbox.get_nowait()) is not None:
            self.keep_or_say(envelope)

    def keep_or_say(self, envelope: Envelope, received_ns: str | None = None) -> None:
        """:meth:`keep`, and if that fails (a bug, a full disk), say so at error level and go
        on with the next envelope: the observer never stops silently, and what comes after
        is still kept when it arrives (so its received time is true)."""
        try:
            self.keep(envelope, received_ns)
        except Exception:  # one envelope must not stop the record
            self.failures += 1
            logger.exception(
                "observer_failed_on_envelope",
                negotiation_id=envelope.negotiation_id,
                message_id=envelope.message_id,
            )


def _bind(scenario: Scenario) -> dict[str, BoundProfile]:
    """The profiles of ``scenario``'s parties bound to its outcome space, by party id."""
    space = scenario.outcome_space()
    return {p.id: p.profile.bind(space) for p in scenario.parties}


def _checked(scenario: Scenario, profiles: Mapping[str, BoundProfile]) -> dict[str, BoundProfile]:
    """``profiles``, if they are those of ``scenario``'s parties."""
    for party in scenario.parties:
        bound = profiles.get(party.id)
        if bound is None or not (bound.profile is party.profile or bound.profile == party.profile):
            raise InputError(
                f"the bound profiles given do not match scenario {scenario.name!r}: "
                f"party {party.id!r} has {'none' if bound is None else 'another profile'}"
            )
    return dict(profiles)


def _space(scenario: Scenario, profiles: Mapping[str, BoundProfile]) -> OutcomeSpace:
    """The outcome space the profiles are bound to (one object for the whole negotiation)."""
    return profiles[scenario.parties[0].id].space


def identities_for(scenario: Scenario, keys: Mapping[str, SigningKey]) -> dict[str, SigningKey]:
    """A signing key for every party, the host and the recorder: given or ephemeral. A party
    whose public key the scenario pins must be given the matching private key."""
    identities: dict[str, SigningKey] = {}
    for party in scenario.parties:
        key = keys.get(party.id)
        if party.public_key is not None:
            if key is None:
                raise InputError(
                    f"party {party.id!r} has a public key in the scenario but no private key "
                    "was given (accord run --keys DIR)"
                )
            if encode_public_key(key) != party.public_key:
                raise InputError(
                    f"the private key given for {party.id!r} does not match the public key "
                    "in the scenario"
                )
        identities[party.id] = key or generate_key()
    for role in (HOST, RECORDER):
        identities[role] = keys.get(role) or generate_key()
    return identities


async def _after_ready(
    agents: Sequence[Agent],
    session: Session,
    mechanism: Mechanism,
    start: Mapping[str, JsonValue],
) -> Ending:
    """Host the negotiation once every in-process agent is subscribed (its first ``open`` is
    then heard at once instead of on its repeat)."""
    await asyncio.gather(*(agent.ready.wait() for agent in agents))
    return await host_negotiation(session, mechanism, start)


async def _host_watching(
    host: Coroutine[None, None, Ending], agents: list[asyncio.Task[None]]
) -> Ending:
    """Run the host; if an agent's runtime dies first (a bug in accord, since the runtime
    contains every strategy error), stop at once with that error instead of timing out."""
    hosting = asyncio.create_task(host, name="host")
    pending: set[asyncio.Task[Any]] = {hosting, *agents}
    while hosting in pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not hosting and not task.cancelled() and task.exception() is not None:
                hosting.cancel()
                raise RuntimeError(f"{task.get_name()} crashed") from task.exception()
    return hosting.result()


async def _settle(tasks: list[asyncio.Task[None]], grace: float) -> None:
    """Wait up to ``grace`` seconds for the agents to finish; log the ones that did not
    (a strategy stuck in a hook) and any that crashed."""
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        logger.warning("agent_still_running", task=task.get_name())
    for task in done:
        with contextlib.suppress(asyncio.CancelledError):
            if (exc := task.exception()) is not None:
                logger.error("agent_crashed", task=task.get_name(), error=repr(exc))


def _result(
    scenario: Scenario,
    *,
    seed: int,
    mechanism: str,
    ending: Ending,
    session: Session,
    profiles: dict[str, BoundProfile],
    messages: int,
    wall: float,
    transport_noise: int,
) -> NegotiationResult:
    t = session.relative_time
    bound = set(session.parties if ending.bound is None else ending.bound)
    parties = []
    for party in scenario.parties:
        profile = profiles[party.id]
        if ending.agreement is not None and party.id in bound:
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
                bound=party.id in bound,
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
        messages=messages,
        wall_time_s=wall,
        parties=parties,
        violations=[
            ViolationRecord(party=v.party, kind=v.kind, detail=v.detail, message_id=v.message_id)
            for v in session.violations
        ],
        noise=[
            NoiseRecord(claimed_sender=n.claimed_sender, reason=n.reason, message_id=n.message_id)
            for n in session.noise
        ],
        noise_count=session.noise_count + transport_noise,
    )
