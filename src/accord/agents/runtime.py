"""The agent runtime: connects one party's strategy to the bus.

It subscribes (its MQTT last will, a signed ``lost``, names a fresh ``nonce``), waits for the
host's ``open`` and answers it with ``join`` (the open's session, a commitment to its profile,
see :mod:`accord.ledger.commitment`, and the will's nonce), repeated until ``start``; from then
on it takes only host envelopes of that session. Then it answers the host: ``start`` builds the
:class:`~accord.agents.strategy.AgentContext` and calls ``on_start``; each ``request`` calls
the strategy method named by its kind and sends the answer (``propose``, ``respond`` and
``vote`` as documented in :mod:`accord.agents.strategy`; any other kind ``K`` calls
``K(state)``, whose outcome is sent as an ``offer``, ``None`` as ``end`` and a ``Response`` as
``accept``/``reject``/``end``), but only a request whose ``to`` is this party: every party
receives every request, for the events it carries. The ``events`` of a host envelope come
first, in order: each is recorded (offers go into ``ctx.offers``) and passed to ``on_event``
(:mod:`accord.wire.events`); ``result`` sends the ``reveal`` of its
profile if told to, calls ``on_end`` (waiting at most the turn timeout for one on a worker
thread), and stops.

With a mandate (:mod:`accord.mandate`), every offer and acceptance goes through a
:class:`~accord.agents.mandate_guard.MandateGuard` first. One that is blocked (outside the
mandate, or refused by the approver) is not sent; the strategy's optional
``on_blocked(ctx, blocked)`` hook is told why and the same method is asked again, up to
:data:`MANDATE_ATTEMPTS` times in all within the turn. After that, an acceptance becomes a
rejection (in ``respond``, the strategy's counter-offer, guarded too) and an offer becomes a
``failure`` with reason ``outside_mandate``.

Given the host's public key (``host_key``; ``accord agent`` always has it), the runtime checks
every envelope from the host against it before anything else sees it, and drops what fails,
what belongs to another session, or repeats an earlier sequence number of the host (a replay
by anyone on the broker): a forged ``request`` is never answered, so nobody can make the party
answer out of turn. Of two authentic ``open`` envelopes before ``start`` (an earlier run's,
replayed, and this run's), the later-sent one wins: the agent joins again under it.

Whatever the strategy does wrong (raises, returns something that is not an action, answers a
request kind it does not implement) becomes a ``failure`` envelope naming the reason, so the
host can end the negotiation at once with this party named.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import math
import os
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, cast

import numpy as np
from nacl.signing import VerifyKey
from pydantic import JsonValue, ValidationError

from accord.agents.eager import EagerConsumer
from accord.agents.executor import (
    ExecutorKind,
    GuardedExecutor,
    InlineExecutor,
    StrategyExecutor,
    make_executor,
    pending,
)
from accord.agents.mandate_guard import MandateGuard
from accord.agents.strategy import AgentContext, OfferEvent, Response, TurnState
from accord.broker import Bus, Inbox, MemoryBus, QueueInbox
from accord.errors import HostLost, StrategyOvertime
from accord.ledger.commitment import Reveal, commit, commit_mandate
from accord.ledger.signing import Signer, Verifier
from accord.logs import get_logger
from accord.mandate import Action, Approver, Mandate, final_acceptance
from accord.mandate.allowed import allowed_outcomes
from accord.model import BoundProfile, OutcomeSpace, Value
from accord.wire import (
    EVENTS,
    HOST,
    WILL_SEQ,
    Envelope,
    Performative,
    Request,
    compose,
    new_session,
)

__all__ = ["MANDATE_ATTEMPTS", "Agent"]

log = get_logger("accord.agent")

JOIN_RETRY_S = 1.0
"""How often an agent repeats its ``join`` until the host's ``start`` arrives."""

ON_END_DEFAULT_S = 5.0
"""How long ``on_end`` may take when the negotiation had no turn timeout to go by."""

HOST_SILENCE_MARGIN_S = 10.0
"""Added to every party's turn timeout: how long a started agent waits for the host."""

NO_HOST_WARNING_S = 10.0
"""How long an agent waits for the host's ``open`` before it says so (and again as often)."""


MANDATE_ATTEMPTS = 3
"""How many times in one turn the runtime asks the strategy when its answers are blocked."""

_ANSWERS = {
    Response.ACCEPT: Performative.ACCEPT,
    Response.REJECT: Performative.REJECT,
    Response.END: Performative.END,
}


_ACCEPT, _REJECT, _END = Response.ACCEPT, Response.REJECT, Response.END
_OFFER, _ACCEPT_P, _REJECT_P, _END_P = (
    Performative.OFFER,
    Performative.ACCEPT,
    Performative.REJECT,
    Performative.END,
)
"""The hot path's enum members, as module globals: ``Enum.MEMBER`` is an attribute look-up
of ~110 ns, a global ~8 ns; responses are compared by identity (an enum's hash is a Python
call)."""

_Answer = tuple[Performative, dict[str, JsonValue]]
"""A turn's answer: the performative and the body of the envelope that carries it."""

_AT_ONCE = frozenset({"propose", "respond"})
"""The requests :meth:`Agent.reply_at_once` answers without a coroutine."""

_UNASKED: Any = object()
"""The strategy has not been called yet in this attempt."""


class _BadAnswer(Exception):  # internal signal, never escapes the runtime
    """The strategy returned something the runtime cannot send."""


class _OutsideMandate(Exception):  # internal signal, never escapes the runtime
    """Every offer the strategy made in this turn was blocked."""


class Agent:
    """One party: a strategy, its private profile, and its connection to the negotiation."""

    def __init__(
        self,
        *,
        party_id: str,
        strategy: object,
        profile: BoundProfile,
        space: OutcomeSpace,
        bus: Bus,
        negotiation_id: str,
        rng: np.random.Generator,
        executor: ExecutorKind = "auto",
        signer: Signer | None = None,
        reveal: bool = False,
        salt: str | Callable[[], str] | None = None,
        mandate: Mandate | None = None,
        approver: Approver | None = None,
        mandate_salt: str | None = None,
        host_key: VerifyKey | None = None,
    ) -> None:
        self.party_id = party_id
        self._host = None if host_key is None else Verifier({HOST: host_key})
        """Checks the host's envelopes, when the agent has the host's key."""
        self._host_seq = -1
        """The highest sequence number of an authentic host envelope seen."""
        self.session: str | None = None
        """The session of the host's ``open`` the agent joined under."""
        self._open_ns = -1
        """When that ``open`` was sent (a later-sent one replaces it until ``start``)."""
        self._started = False
        self._will_nonce = new_session()
        """Names this connection's last will in its ``join``: a will of another run differs."""
        self._rejoining: asyncio.Task[None] | None = None
        self.signer = signer
        self.reveal = reveal
        self._committing = (salt, mandate, mandate_salt)
        self._commitments: tuple[str, str | None, Reveal] | None = None
        self.guard: MandateGuard | None = None
        if mandate is not None:
            self.guard = MandateGuard(
                mandate=mandate,
                profile=profile,
                approver=approver,
                party_id=party_id,
                negotiation_id=negotiation_id,
                send=self._send_in_turn,
            )
        self._turn: tuple[str, int] | None = None
        """The message id and round of the request being answered."""
        self._turn_timeout: float | None = None
        self._calling: str | None = None
        """The strategy method called last (the one that raised, when one raises)."""
        self.strategy = strategy
        self.profile = profile
        self.space = space
        self.bus = bus
        self.publish: Callable[[Envelope], Awaitable[None]] = bus.publish
        """Where the party's envelopes go: the bus, or a direct session's record."""
        self.negotiation_id = negotiation_id
        self.rng = rng
        self.executor_kind = executor
        self.ctx: AgentContext | None = None
        self.result: dict[str, JsonValue] | None = None
        self.log = log.bind(negotiation_id=negotiation_id, agent_id=party_id)
        self._seq = 0
        self._broken: str | None = None
        """Why this strategy cannot act any more (its ``on_start`` raised), if it cannot."""
        self.ready = asyncio.Event()
        """Set once the agent is subscribed (an in-process host opens after that)."""

    @property
    def commitment(self) -> str:
        """The commitment to the party's profile its ``join`` publishes."""
        return self._committed()[0]

    @property
    def mandate_commitment(self) -> str | None:
        """The commitment to its mandate, if it has one."""
        return self._committed()[1]

    def _committed(self) -> tuple[str, str | None, Reveal]:
        """The commitments and the reveal that opens them, made on first use (the canonical
        JSON of a profile costs more than a short negotiation's every turn)."""
        if self._commitments is None:
            salt, mandate, mandate_salt = self._committing
            if callable(salt):  # made only now (a seeded salt costs ~10 us to draw)
                salt = salt()
            commitment, reveal = commit(self.party_id, self.profile.profile, salt=salt)
            mandate_commitment = None
            if mandate is not None:
                mandate_commitment, reveal = commit_mandate(reveal, mandate, salt=mandate_salt)
            self._commitments = (commitment, mandate_commitment, reveal)
        return self._commitments

    @property
    def sent(self) -> list[str]:
        """The message ids of every envelope this agent has sent, in order."""
        return [f"{self.party_id}:{seq}" for seq in range(self._seq)]

    @property
    def next_seq(self) -> int:
        """The sequence number of the agent's next envelope (whoever sends it for the party)."""
        return self._seq

    async def run(self) -> None:
        """Take part in the negotiation until the host sends ``result``."""
        executor = make_executor(self.executor_kind, self.strategy, f"strategy-{self.party_id}")
        try:
            async with self.bus.subscribe(
                self.negotiation_id, self.party_id, will=self._will()
            ) as inbox:
                self.ready.set()
                self.log.info("waiting_for_host", negotiation_id=self.negotiation_id)
                # over the memory bus the host is in this process and opens at once
                waiting = (
                    None
                    if isinstance(self.bus, MemoryBus)
                    else asyncio.create_task(self._warn_until_open(), name="no-host-warning")
                )

                def take(envelope: Envelope) -> Coroutine[Any, Any, bool]:
                    """The handling of ``envelope``, to await (a coroutine less per message
                    than an ``async def`` wrapper)."""
                    if envelope.sender != HOST:
                        if envelope.performative is not Performative.REVEAL:
                            self.log.warning("non_host_message_dropped", sender=envelope.sender)
                        return _not_done()
                    if envelope.to not in (None, self.party_id) and (
                        envelope.performative is not Performative.REQUEST  # to all: its events
                    ):
                        self.log.warning("misaddressed_message_dropped", to=envelope.to)
                        return _not_done()
                    if (problem := self._refusal(envelope)) is not None:
                        return self._dropped(envelope, problem)
                    if envelope.performative is Performative.OPEN:
                        return self._opened(envelope)
                    if envelope.performative is Performative.START:
                        self._started = True
                        self._stop_rejoining()
                    return self._handle(envelope, executor)

                try:
                    if isinstance(inbox, QueueInbox) and self._eager(executor):
                        consumer = EagerConsumer(take, self._record_at_once)
                        inbox.listen(consumer)
                        try:
                            await consumer.finished
                        finally:
                            await consumer.close()
                        return
                    while True:
                        envelope = await self._next_from_host(inbox)
                        if await take(envelope):
                            return
                finally:
                    if waiting is not None:
                        waiting.cancel()
                    self._stop_rejoining()
        finally:
            executor.close()

    async def _next_from_host(self, inbox: Inbox) -> Envelope:
        """The next envelope; once the negotiation has started, raises :class:`HostLost`
        when nothing has come for :meth:`_silence_limit` seconds (a host that died without a
        will reaching us, or hangs)."""
        limit = self._silence_limit()
        if limit is None:
            return await inbox.get()
        if (waiting := inbox.get_nowait()) is not None:
            return waiting  # no timer for what is there already
        try:
            async with asyncio.timeout(limit):
                return await inbox.get()
        except TimeoutError:
            raise HostLost(
                f"the host of {self.negotiation_id} has been silent for {limit:g} s since the "
                "start (every turn ends within its timeout, and each is announced)"
            ) from None

    def _silence_limit(self) -> float | None:
        """How long a started agent waits for the host: every party's turn timeout, plus a
        margin (a mechanism may collect every party's answer before announcing any)."""
        if not self._started or self._turn_timeout is None or self.ctx is None:
            return None
        return len(self.ctx.parties) * self._turn_timeout + HOST_SILENCE_MARGIN_S

    def _refusal(self, envelope: Envelope) -> str | None:
        """Why a host envelope is not to be taken, if it is not: not signed by the host, of
        another session (an ``open`` is judged by :meth:`_opened`), or a replay."""
        if self._host is not None and (problem := self._host.problem(envelope)):
            return problem
        if envelope.performative is Performative.OPEN:
            return None
        if envelope.session != self.session:
            return "stale_session"
        if self._host is not None:
            if envelope.seq <= self._host_seq:
                return "replay"
            self._host_seq = envelope.seq
        return None

    def _dropped(self, envelope: Envelope, reason: str) -> Coroutine[Any, Any, bool]:
        """Log why a host envelope was not taken (forged, of another session, a replay)."""
        self.log.warning(
            "unverified_host_message_dropped",
            reason=reason,
            message_id=envelope.message_id,
            performative=envelope.performative.value,
        )
        return _not_done()

    def _opened(self, envelope: Envelope) -> Coroutine[Any, Any, bool]:
        """The host's (authentic) ``open``: join under its session, unless it is the one
        joined already, the negotiation has started, or an earlier-sent one (a replay)."""
        session, sent = envelope.session, int(envelope.sent_ns)
        if self._started or session is None or session == self.session:
            return _not_done()
        if sent <= self._open_ns:
            return self._dropped(envelope, "older_open")
        parties = envelope.body.get("parties")
        if isinstance(parties, list) and self.party_id not in parties:
            self.log.warning("not_a_party_of_this_negotiation", parties=parties)
            return _not_done()
        if self.session is not None:
            self.log.warning("joining_a_later_open", previous=self.session, session=session)
        self.session, self._open_ns, self._host_seq = session, sent, envelope.seq
        return self._join()

    def join_body(self) -> dict[str, JsonValue]:
        """What the party's ``join`` says: its commitments and its will's nonce."""
        joining: dict[str, JsonValue] = {
            "commitment": self.commitment,
            "will_nonce": self._will_nonce,
        }
        if self.mandate_commitment is not None:
            joining["mandate_commitment"] = self.mandate_commitment
        return joining

    async def _join(self) -> bool:
        join = await self._send(Performative.JOIN, self.join_body())
        self.log.info("joined", session=self.session)
        self._stop_rejoining()
        self._rejoining = asyncio.create_task(self._rejoin(join), name=f"rejoin-{self.party_id}")
        return False

    def _stop_rejoining(self) -> None:
        if self._rejoining is not None:
            self._rejoining.cancel()
            self._rejoining = None

    async def _warn_until_open(self) -> None:
        """Say so, every :data:`NO_HOST_WARNING_S`, while no host has opened the negotiation:
        a host started with another scenario or ``--seed`` serves another negotiation id."""
        while self.session is None:
            await asyncio.sleep(NO_HOST_WARNING_S)
            if self.session is None:
                self.log.warning(
                    "no_host_yet",
                    negotiation_id=self.negotiation_id,
                    hint="is the host running, on this broker, with the same scenario and "
                    "--seed? (each prints the negotiation id it serves)",
                )

    def _eager(self, executor: StrategyExecutor) -> bool:
        """Whether to handle envelopes inside the publisher's call (:mod:`accord.agents.eager`):
        over the memory bus, with a strategy that runs inline (guarded or not) and has no
        ``async`` methods, and without a mandate. A worker thread's answer always needs the
        event loop, and code that may wait (an approver, an ``async`` method) must start on the
        agent's own task: ``asyncio.timeout`` inside it would otherwise cancel the publisher's
        task."""
        return (
            isinstance(self.bus, MemoryBus)
            and self._host is None
            and isinstance(executor, InlineExecutor | GuardedExecutor)
            and self.guard is None
            and not _has_async_methods(type(self.strategy))
        )

    def _will(self) -> Envelope:
        """The ``lost`` envelope the broker publishes for this party if its connection ends
        without a goodbye: signed now, with the sequence number reserved for it."""
        will = compose(
            negotiation_id=self.negotiation_id,
            sender=self.party_id,
            seq=WILL_SEQ,
            performative=Performative.LOST,
            body={"reason": "connection lost", "nonce": self._will_nonce},
            to=HOST,
        )
        return will if self.signer is None else self.signer(will)

    async def _rejoin(self, join: Envelope) -> None:
        """Publish the same ``join`` again every :data:`JOIN_RETRY_S` until ``start`` comes:
        a host that subscribed after the first one was published still hears it. Receivers
        drop the exact repeats."""
        while True:
            await asyncio.sleep(JOIN_RETRY_S)
            await self.publish(join)

    async def _handle(self, envelope: Envelope, executor: StrategyExecutor) -> bool:
        body = envelope.body
        if EVENTS in body:  # first: what happened before the host sent this (hook order)
            await self._take_events(body[EVENTS], executor)
            body = {name: value for name, value in body.items() if name != EVENTS}
        match envelope.performative:
            case Performative.START:
                await self.begin(body, executor)
            case Performative.REQUEST:
                if envelope.to == self.party_id:  # every party gets every request
                    await self._answer(envelope, body, executor)
            case Performative.INFORM:
                pass  # only events (taken above)
            case Performative.LOST:
                raise HostLost(
                    f"the host of {self.negotiation_id} is gone: its last will arrived before "
                    "the result"
                )
            case Performative.NOTICE:
                self.log.warning("host_refused_a_message_in_our_name", notice=envelope.body)
            case Performative.RESULT:
                await self.finish(body, executor)
                return True
            case _:
                self.log.warning("unexpected_message", performative=envelope.performative.value)
        return False

    # -- the steps of a negotiation, for the host's envelopes or called directly -------------

    async def begin(self, start: Mapping[str, JsonValue], executor: StrategyExecutor) -> None:
        """The host's ``start``: build the context and call ``on_start``."""
        self.ctx = self._context(start)
        timeout = start.get("turn_timeout")
        if isinstance(timeout, int | float):
            self._turn_timeout = float(timeout)
        executor.limit(self._turn_timeout)
        failure = await self._hook(executor, "on_start", self.ctx)
        if failure is not None:
            self._broken = f"on_start raised {failure}"

    async def _take_events(self, events: JsonValue, executor: StrategyExecutor) -> None:
        """The events a host envelope carries, in order (:meth:`observe` each); an entry
        that is not ``{"round": int, "body": {...}}`` is skipped."""
        for round_, event in _entries(events):
            await self.observe(round_, event, executor)

    def _record_events(self, events: JsonValue) -> None:
        """:meth:`_take_events` for a strategy without ``on_event``: no coroutine."""
        for round_, event in _entries(events):
            self.record(round_, event)

    async def observe(
        self, round_: int, event: Mapping[str, JsonValue], executor: StrategyExecutor
    ) -> None:
        """One event the host announced: keep an offer in ``ctx.offers`` and call
        ``on_event``."""
        self.record(round_, event)
        if getattr(self.strategy, "on_event", None) is not None:  # most have none
            executor.limit(self._turn_timeout)
            await self._hook(executor, "on_event", self.ctx, copy.deepcopy(dict(event)))

    async def finish(self, result: Mapping[str, JsonValue], executor: StrategyExecutor) -> None:
        """The host's ``result``: send the reveal if told to, then call ``on_end``."""
        self.result = copy.deepcopy(dict(result))
        if getattr(self.strategy, "on_end", None) is None and not self.reveal:
            return
        if self.reveal:  # first: nothing the strategy does in on_end can stop it
            body = cast("dict[str, JsonValue]", self._committed()[2].body())
            await self._send(Performative.REVEAL, body, to=None)
        within = self._turn_timeout or ON_END_DEFAULT_S
        executor.limit(within)
        await self._hook(executor, "on_end", self.ctx, copy.deepcopy(dict(result)), within=within)

    def _record_at_once(self, envelope: Envelope) -> bool:
        """What :meth:`_handle` does with the host's ``inform``, or its request to another
        party, when the strategy has no ``on_event`` hook, done without a coroutine (only
        the events are taken); ``False`` for anything else. Over two parties, every other
        envelope an agent receives is a request to the other."""
        performative = envelope.performative
        if (
            (
                performative is not Performative.INFORM
                and (performative is not Performative.REQUEST or envelope.to == self.party_id)
            )
            or envelope.sender != HOST
            or envelope.session != self.session
            or getattr(self.strategy, "on_event", None) is not None
        ):
            return False
        if (events := envelope.body.get(EVENTS)) is not None:
            self._record_events(events)
        return True

    def _context(self, body: Mapping[str, JsonValue]) -> AgentContext:
        mandate = self._committing[1]
        parties = body.get("parties")
        rounds = body.get("rounds")
        seconds = body.get("seconds")
        return AgentContext(
            party_id=self.party_id,
            parties=tuple(str(p) for p in parties) if isinstance(parties, list) else (),
            mechanism=str(body.get("mechanism", "")),
            space=self.space,
            profile=self.profile,
            rng=self.rng,
            rounds=rounds if isinstance(rounds, int) else None,
            seconds=float(seconds) if isinstance(seconds, int | float) else None,
            allowed=None if mandate is None else allowed_outcomes(mandate, self.profile),
        )

    @property
    def hears_events(self) -> bool:
        """Whether the strategy has an ``on_event`` hook (most have none: an event is
        then only :meth:`record`-ed)."""
        return getattr(self.strategy, "on_event", None) is not None

    def record(self, round_: int, body: Mapping[str, JsonValue]) -> None:
        """Keep every offer the host announces in ``ctx.offers`` (the host has validated it
        against the outcome space before announcing it)."""
        if body.get("event") != "offer":
            return
        outcome, party = body.get("outcome"), body.get("party")
        if type(outcome) is dict and type(party) is str:
            self.keep_offer(round_, party, outcome)

    def keep_offer(self, round_: int, party: str, outcome: dict[str, JsonValue]) -> None:
        """Keep the offer of ``party`` the host announced in ``round_`` in ``ctx.offers``
        (a copy of ``outcome``, whose values are plain: :meth:`record` of an offer event)."""
        if (ctx := self.ctx) is not None:
            offer: dict[str, Value] = dict(outcome)  # type: ignore[arg-type]  # plain values
            ctx.offers.append(OfferEvent(round_, party, offer, self.profile))  # its own copy

    async def _hook(
        self, executor: StrategyExecutor, name: str, *args: Any, within: float | None = None
    ) -> str | None:
        """Call an optional hook (waiting at most ``within`` seconds for one that runs on a
        worker thread or is ``async``); return a description of what went wrong, if anything."""
        hook = getattr(self.strategy, name, None)
        if hook is None or self.ctx is None:
            return None
        try:
            if pending(done := executor.call(hook, *args)):
                await asyncio.wait_for(done, within)
        except TimeoutError:
            self.log.warning("strategy_hook_timed_out", hook=name, seconds=within)
            return f"{name} did not return within {within:g} s"
        except StrategyOvertime as exc:
            self.log.warning("strategy_hook_interrupted", hook=name, seconds=exc.seconds)
            return f"{name} did not return within {exc.seconds:g} s (interrupted)"
        except Exception as exc:  # noqa: BLE001  # a hook failing must not crash the agent
            described = _describe(exc)
            self.log.warning("strategy_hook_failed", hook=name, error=repr(exc))
            self.log.debug("strategy_traceback", method=name, traceback=described)
            return described
        return None

    async def _answer(
        self, envelope: Envelope, body: dict[str, JsonValue], executor: StrategyExecutor
    ) -> None:
        reply_to = envelope.message_id
        try:
            request = Request.model_validate(body)  # the body without its events
        except ValidationError as exc:
            self.log.warning("malformed_request", message_id=reply_to, error=str(exc))
            await self._send(
                Performative.FAILURE,
                {"reason": "malformed_request", "detail": str(exc)[:2000]},
                in_reply_to=reply_to,
            )
            return
        state = TurnState(
            round=envelope.round,
            relative_time=request.relative_time,
            kind=request.kind,
            offer=request.offer,
            proposer=request.proposer,
            options=request.options,
        )
        answer = await self.reply(state, reply_to, executor)
        if answer is not None:
            await self._send(*answer, in_reply_to=reply_to, round_=envelope.round)

    async def reply(
        self, state: TurnState, request_id: str, executor: StrategyExecutor
    ) -> _Answer | None:
        """The answer to the host's request ``request_id`` (``state``): what the strategy
        decided, or a ``failure`` naming what it did wrong; ``None`` when the watchdog
        interrupted it (nothing is sent, so the host's turn timeout names the party)."""
        self._turn = (request_id, state.round)
        executor.limit(self._turn_timeout)
        if self.guard is not None:
            self.guard.start_turn(self._turn_timeout)
        try:
            return await self._decide(state, executor)
        except Exception as exc:  # noqa: BLE001  # any strategy error is reported, not raised
            return self._failed(state, exc)

    def reply_at_once(
        self, state: TurnState, request_id: str, executor: StrategyExecutor
    ) -> _Answer | Coroutine[Any, Any, _Answer | None] | None:
        """:meth:`reply` for a caller in this process (a direct session): the answer itself
        when the strategy answers a ``propose`` or ``respond`` at once and no mandate guards
        it (the usual turn: no coroutine at all; ``None`` if the watchdog interrupted it),
        else a coroutine that finishes the turn, to await. The same steps and checks as
        :meth:`reply`, one attempt being all there is without a mandate."""
        kind = state.kind
        if (
            self.guard is not None
            or self._broken is not None
            or kind not in _AT_ONCE
            or (kind == "respond" and state.offer is None)
        ):
            return self.reply(state, request_id, executor)
        self._turn = (request_id, state.round)
        executor.limit(self._turn_timeout)
        try:
            return self._turn_at_once(state, executor)
        except Exception as exc:  # noqa: BLE001  # any strategy error is reported, not raised
            return self._failed(state, exc)

    def _turn_at_once(
        self, state: TurnState, executor: StrategyExecutor
    ) -> _Answer | Coroutine[Any, Any, _Answer | None]:
        inline = type(executor) is InlineExecutor  # a plain call (accord's own strategies)
        if state.kind == "respond":
            method, offer = self._method("respond"), state.offer
            said = method(state, offer) if inline else executor.call(method, state, offer)
            if said is not _REJECT and said is not _ACCEPT and said is not _END:
                if pending(said):  # it waits: the rest of the turn as reply() takes it
                    return self._settled(state, self._respond(state, executor, said))
                said = _response("respond", said)
            if said is not _REJECT:
                return (_ACCEPT_P if said is _ACCEPT else _END_P), {}
        method = self._method("propose")
        outcome = method(state) if inline else executor.call(method, state)
        if type(outcome) is not dict and pending(outcome):
            return self._settled(state, self._propose(state, executor, outcome))
        return (_END_P, {}) if outcome is None else (_OFFER, {"outcome": _plain(outcome)})

    async def _settled(
        self, state: TurnState, decided: Coroutine[Any, Any, _Answer]
    ) -> _Answer | None:
        """What :meth:`reply` makes of ``decided``, the rest of a turn begun at once."""
        try:
            return await decided
        except Exception as exc:  # noqa: BLE001  # any strategy error is reported, not raised
            return self._failed(state, exc)

    def _failed(self, state: TurnState, exc: Exception) -> _Answer | None:
        """The answer to a turn the strategy's ``exc`` ended: a ``failure`` saying why, or
        ``None`` when the watchdog interrupted it."""
        if isinstance(exc, _BadAnswer):
            return Performative.FAILURE, {"reason": "invalid_action", "detail": str(exc)}
        if isinstance(exc, _OutsideMandate):
            return Performative.FAILURE, {"reason": "outside_mandate", "detail": str(exc)[:2000]}
        if isinstance(exc, StrategyOvertime):
            self.log.warning(
                "strategy_interrupted", kind=state.kind, method=exc.method, seconds=exc.seconds
            )
            return None
        method = self._calling or state.kind  # respond's counter-offer comes from propose
        described = _describe(exc)
        self.log.warning("strategy_raised", request=state.kind, method=method, error=repr(exc))
        self.log.debug("strategy_traceback", method=method, traceback=described)
        return Performative.FAILURE, {"reason": "exception", "detail": described}

    def _decide(self, state: TurnState, executor: StrategyExecutor) -> Coroutine[Any, Any, _Answer]:
        """The method that answers ``state``'s kind, started (a plain function: one coroutine
        less per turn)."""
        if self._broken is not None:
            raise _BadAnswer(self._broken)
        if state.kind == "propose":
            return self._propose(state, executor)
        if state.kind in ("respond", "vote"):
            return self._respond(state, executor)
        return self._other(state, executor)

    async def _respond(
        self, state: TurnState, executor: StrategyExecutor, said: Any = _UNASKED
    ) -> _Answer:
        """``respond``/``vote``: the strategy's method of that name, with the offer (``said``:
        what its first call returned, when :meth:`reply_at_once` made it)."""
        offer = state.offer
        if offer is None:
            raise _BadAnswer(f"a {state.kind} request came without an offer")
        answer = _REJECT  # what an acceptance blocked every time becomes
        for _ in range(MANDATE_ATTEMPTS):
            if said is _UNASKED:
                said = executor.call(self._method(state.kind), state, offer)
            if pending(said):
                said = await said
            said = _response(state.kind, said)
            if (
                said is not _ACCEPT
                or self.guard is None
                or await self._allowed(state, executor, "accept", offer)
            ):
                answer = said
                break
            said = _UNASKED
        if answer is _REJECT:
            if state.kind == "respond":
                return await self._propose(state, executor)  # the counter-offer
            return _REJECT_P, {}
        return (_ACCEPT_P if answer is _ACCEPT else _END_P), {}

    async def _other(
        self, state: TurnState, executor: StrategyExecutor
    ) -> tuple[Performative, dict[str, JsonValue]]:
        """Any other kind K: the strategy's K(state) returns an outcome (offer), None (end)
        or a Response (accept, reject, end)."""
        last: Action = "offer"
        for _ in range(MANDATE_ATTEMPTS):
            if pending(said := executor.call(self._method(state.kind), state)):
                said = await said
            if said is None:
                return _END_P, {}
            if isinstance(said, Response):
                if said != Response.ACCEPT or state.offer is None:
                    return _ANSWERS[said], {}
                last = "accept"
                if self.guard is None or await self._allowed(
                    state, executor, "accept", state.offer
                ):
                    return _ACCEPT_P, {}
                continue
            last = "offer"
            outcome = _plain(said)
            if self.guard is None or await self._allowed(
                state, executor, "offer", _values(outcome)
            ):
                return _OFFER, {"outcome": outcome}
        if last == "accept":
            return _REJECT_P, {}
        raise _OutsideMandate(self._why_blocked(state))

    async def _propose(
        self, state: TurnState, executor: StrategyExecutor, outcome: Any = _UNASKED
    ) -> _Answer:
        """``propose``, or a counter-offer (``outcome``: what its first call returned, when
        :meth:`reply_at_once` made it)."""
        for _ in range(MANDATE_ATTEMPTS):
            if outcome is _UNASKED:
                outcome = executor.call(self._method("propose"), state)
            if pending(outcome):
                outcome = await outcome
            if outcome is None:
                return _END_P, {}
            plain = _plain(outcome)
            if self.guard is None or await self._allowed(state, executor, "offer", _values(plain)):
                return _OFFER, {"outcome": plain}
            outcome = _UNASKED
        raise _OutsideMandate(self._why_blocked(state))

    def _why_blocked(self, state: TurnState) -> str:
        return (
            f"every offer the strategy made for this {state.kind!r} request was blocked by the "
            f"mandate ({MANDATE_ATTEMPTS} attempts)"
        )

    async def _allowed(
        self,
        state: TurnState,
        executor: StrategyExecutor,
        action: Action,
        outcome: Mapping[str, Value],
    ) -> bool:
        """Whether the mandate lets ``action`` on ``outcome`` be sent; when it does not, the
        attempt is in the log and the strategy's ``on_blocked`` hook has been told why."""
        if self.guard is None or self.ctx is None:
            return True
        blocked = await self.guard.check(
            action=action,
            outcome=outcome,
            mechanism=self.ctx.mechanism,
            kind=state.kind,
            round_=state.round,
            final=final_acceptance(state.kind, state.options),
        )
        if blocked is None:
            return True
        await self._hook(executor, "on_blocked", self.ctx, blocked)
        return False

    async def _send_in_turn(self, performative: Performative, body: dict[str, JsonValue]) -> None:
        """Send a record of the turn being answered (``blocked``, ``approval``) to the host."""
        turn = self._turn
        await self._send(
            performative,
            body,
            in_reply_to=None if turn is None else turn[0],
            round_=0 if turn is None else turn[1],
        )

    def _method(self, name: str) -> Any:
        self._calling = name
        method = getattr(self.strategy, name, None)
        if not callable(method):
            raise _BadAnswer(f"strategy {type(self.strategy).__name__} has no {name}() method")
        return method

    async def _send(
        self,
        performative: Performative,
        body: dict[str, JsonValue],
        *,
        in_reply_to: str | None = None,
        round_: int = 0,
        to: str | None = HOST,
    ) -> Envelope:
        seq = self.take_seq()
        envelope = compose(
            negotiation_id=self.negotiation_id,
            sender=self.party_id,
            seq=seq,
            performative=performative,
            body=body,
            to=to,
            round_=round_,
            in_reply_to=in_reply_to,
            session=self.session,
        )
        signed = envelope if self.signer is None else self.signer(envelope)
        await self.publish(signed)
        return signed

    def take_seq(self) -> int:
        """The party's next sequence number, taken (for an envelope about to be sent)."""
        seq = self._seq
        self._seq += 1
        return seq


def _response(kind: str, said: object) -> Response:
    """What a strategy's ``respond``/``vote`` returned, as a :class:`Response` (a plain
    string such as ``"accept"`` is one); anything else is a bad answer."""
    if said is _REJECT or said is _ACCEPT or said is _END:
        return said
    if not isinstance(said, str) or said not in _ANSWERS:
        raise _BadAnswer(f"{kind}() must return a Response, got {said!r}")
    return Response(said)


async def _not_done() -> bool:
    return False


def _entries(events: JsonValue) -> list[tuple[int, dict[str, JsonValue]]]:
    """The well-formed ``(round, body)`` entries of a host envelope's ``events``."""
    entries = []
    for entry in events if isinstance(events, list) else ():
        if isinstance(entry, dict):
            round_, body = entry.get("round"), entry.get("body")
            if isinstance(round_, int) and not isinstance(round_, bool) and isinstance(body, dict):
                entries.append((round_, body))
    return entries


_ASYNC_METHODS: dict[type, bool] = {}


def _has_async_methods(cls: type) -> bool:
    """Whether any public method of a strategy class is ``async def`` (cached per class)."""
    if (known := _ASYNC_METHODS.get(cls)) is None:
        known = _ASYNC_METHODS[cls] = any(
            inspect.iscoroutinefunction(getattr(cls, name, None))
            for name in dir(cls)
            if not name.startswith("_")
        )
    return known


def _plain(outcome: object) -> dict[str, JsonValue]:
    """The JSON form of a strategy's outcome; numpy scalars become Python numbers."""
    if type(outcome) is not dict and not isinstance(outcome, Mapping):
        raise _BadAnswer(f"propose() must return a mapping of issue to value, got {outcome!r}")
    plain: dict[str, JsonValue] = {}
    for key, value in outcome.items():
        kind = type(value)
        if kind is not str and kind is not int:  # the usual values need none of these checks
            if isinstance(value, np.generic):
                value = value.item()  # noqa: PLW2901  # normalising in place is the point
            if isinstance(value, float) and not math.isfinite(value):
                raise _BadAnswer(f"issue {key!r} has the non-finite value {value!r}")
            if not isinstance(value, str | int | float):
                raise _BadAnswer(f"outcome entry {key!r}: {value!r} is not issue name -> value")
        if type(key) is not str and not isinstance(key, str):
            raise _BadAnswer(f"outcome entry {key!r}: {value!r} is not issue name -> value")
        plain[key] = value
    return plain


def _values(outcome: dict[str, JsonValue]) -> Mapping[str, Value]:
    """An outcome :func:`_plain` made, typed as the values it holds."""
    return cast("Mapping[str, Value]", outcome)


_DETAIL_MAX = 1800
"""How long a described exception may be: a failure's detail holds 2,000 characters, and
``on_start raised`` comes in front of one."""

_RUNTIME_FILES = ("runtime.py", "executor.py", "watchdog.py")
"""accord's own frames between the runtime and the strategy, left out of tracebacks."""


def _describe(exc: BaseException) -> str:
    """``Type: message`` of an exception, then the traceback of the strategy's own frames
    (as many of the innermost as fit in :data:`_DETAIL_MAX`): for a failure's detail, so the
    strategy's author sees where it raised in ``result.json``."""
    head = "".join(traceback.format_exception_only(exc)).strip()[:_DETAIL_MAX]
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not (
            frame.filename.endswith(_RUNTIME_FILES) and f"accord{os.sep}agents" in frame.filename
        )
    ]
    for frame in frames:  # the file's name is enough, and no more of the machine is told
        frame.filename = os.path.basename(frame.filename)
    lines = traceback.format_list(frames)
    title = "\nTraceback (most recent call last):\n"
    kept: list[str] = []
    room = _DETAIL_MAX - len(head) - len(title)
    for line in reversed(lines):
        if len(line) > room:
            break
        kept.insert(0, line)
        room -= len(line)
    if not kept:
        return head
    return head + title + "".join(kept).rstrip()
