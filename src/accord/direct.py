"""The direct session: a negotiation with every party in this process, called, not messaged.

A mechanism talks to it exactly as to a :class:`~accord.protocols.Session` (``ask``,
``inform``, ``next_round``, the deadline, the same faults), and each party's
:class:`~accord.agents.Agent` answers through the same steps it takes for the host's envelopes
(:meth:`~accord.agents.Agent.begin`, :meth:`~accord.agents.Agent.reply`,
:meth:`~accord.agents.Agent.observe`, :meth:`~accord.agents.Agent.finish`): the same context,
the same checks of what the strategy returns, the same mandate guard, the same watchdog. What
it skips is the transport: no envelope is composed, published, delivered, parsed or kept per
message. Each message is one :class:`Sent` record (who, what, to whom, which round, in reply to
what, when), and :meth:`DirectSession.transcript` materialises the envelopes a memory-bus run
carries, when somebody asks for them: the same message ids, sequence numbers, performatives,
rounds and bodies, in the same order (``tests/test_direct.py`` compares every mechanism, every
built-in strategy and every example scenario). Send times are those of the events; signatures
are made when materialised; the session nonce and the parties' will nonces are random in both.

Nothing crosses a trust boundary here: every party is code the user chose to run in this
process, so there is nothing to verify and no noise. A run that must be accountable (a log,
signatures checked as they arrive) goes over a bus (:func:`accord.runner.negotiate` with a
``log`` or a ``bus``, ``envelopes=True``).
"""

from __future__ import annotations

import asyncio
import copy
from asyncio import get_running_loop as _running_loop
from collections.abc import Awaitable, Callable, Collection, Coroutine, Mapping, Sequence
from time import time_ns
from types import TracebackType
from typing import Any, NamedTuple, Self

from pydantic import JsonValue

from accord.agents import Agent
from accord.agents.executor import StrategyExecutor, make_executor
from accord.agents.strategy import TurnState
from accord.ledger.signing import Signer
from accord.model import BoundProfile, OutcomeSpace, Value
from accord.protocols.actions import Action
from accord.protocols.clock import Clock
from accord.protocols.deadline import Deadline
from accord.protocols.session import Session
from accord.wire import EVENTS, HOST, Envelope, Performative, Request, compose

__all__ = ["DirectSession", "Sent"]

_Answer = tuple[Performative, dict[str, JsonValue]] | None
_REQUEST, _START, _RESULT = Performative.REQUEST, Performative.START, Performative.RESULT
_tuple = tuple.__new__
"""Makes a named tuple from all its fields at ``tuple``'s cost (its own ``__new__`` is a
Python function: a frame per call, and a ``Sent`` is made per message)."""


class Sent(NamedTuple):
    """One message of a direct run, as its envelope would carry it (a tuple: one is made
    per message, and a frozen dataclass costs several times as much to make).

    A ``request`` keeps what its body is made of, not the body: the :class:`Request` as
    ``body`` and its ``relative_time``; and a host's message to everybody keeps the events it
    carries as ``(round, body)`` pairs. :meth:`DirectSession.transcript` makes the bodies."""

    sender: str
    seq: int
    performative: Performative
    body: dict[str, JsonValue] | Request
    to: str | None
    round: int
    in_reply_to: str | None
    sent_ns: int
    relative_time: float = 0.0
    events: list[tuple[int, dict[str, JsonValue]]] | None = None

    def envelope_body(self) -> dict[str, JsonValue]:
        """The body of this message's envelope."""
        body = self.body
        if isinstance(body, Request):
            body = body.body(self.relative_time)
        if self.events:
            body = {**body, EVENTS: [{"round": r, "body": event} for r, event in self.events]}
        return body


class DirectSession(Session):
    """The host side of a negotiation whose parties are the ``agents``, called directly.

    Use as an async context manager (it makes and closes each agent's strategy executor);
    the mechanism host drives it as it drives a :class:`~accord.protocols.Session`."""

    def __init__(
        self,
        *,
        agents: Sequence[Agent],
        negotiation_id: str,
        space: OutcomeSpace,
        deadline: Deadline,
        clock: Clock | None = None,
        seed: int = 0,
        profiles: Mapping[str, BoundProfile] | None = None,
        status_quo: Mapping[str, Value] | None = None,
    ) -> None:
        super().__init__(
            bus=None,
            negotiation_id=negotiation_id,
            parties=[agent.party_id for agent in agents],
            space=space,
            deadline=deadline,
            clock=clock,
            seed=seed,
            profiles=profiles,
            status_quo=status_quo,
        )
        self.agents = {agent.party_id: agent for agent in agents}
        self.sent: list[Sent | Envelope] = []
        """Every message in order: a :class:`Sent` record, or an envelope an agent composed
        itself (its reveal, its mandate guard's records), kept as it was."""
        self._seats: dict[str, tuple[Agent, StrategyExecutor]] = {}
        """Each party's agent and strategy executor (made on entry)."""
        self._kept: list[tuple[int, dict[str, JsonValue]]] = []
        """The events announced since the host's last message to everybody."""
        self._hearing: list[tuple[Agent, StrategyExecutor]] = []
        """The parties whose strategies have an ``on_event`` hook."""
        self._recording: list[Agent] = []
        """The others: an event only goes into their ``ctx.offers``, if it is an offer."""

    async def __aenter__(self) -> Self:
        for party, agent in self.agents.items():
            executor = make_executor(agent.executor_kind, agent.strategy, f"strategy-{party}")
            self._seats[party] = (agent, executor)
            agent.publish = _keeper(self.sent)  # not a method: see _keeper
            if agent.hears_events:
                self._hearing.append((agent, executor))
            else:
                self._recording.append(agent)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for _, executor in self._seats.values():
            executor.close()

    def _host(
        self,
        performative: Performative,
        body: dict[str, JsonValue] | Request,
        to: str | None = None,
        relative_time: float = 0.0,
    ) -> str:
        """Record a message of the host's; its message id. One to everybody (a ``request``
        is) carries the events announced since the last, as over a bus."""
        seq = self._seq
        self._seq = seq + 1
        events = None
        if self._kept and (to is None or performative is _REQUEST):
            events, self._kept = self._kept, []
        self.sent.append(
            _tuple(
                Sent,
                (
                    HOST,
                    seq,
                    performative,
                    body,
                    to,
                    self.round,
                    None,
                    time_ns(),
                    relative_time,
                    events,
                ),
            )
        )
        return f"{HOST}:{seq}"

    # -- the seam the mechanisms use ---------------------------------------------------------

    async def gather_parties(self) -> None:
        """The ``open`` and every party's ``join``, at once: all are here."""
        self._host(Performative.OPEN, {"parties": list(self.parties)})
        self.log.info("negotiation_open", parties=self.parties)
        for party, agent in self.agents.items():
            agent.session = self.session
            # its body (the commitments) is made only for a transcript
            self.sent.append(
                Sent(party, agent.take_seq(), Performative.JOIN, {}, HOST, 0, None, time_ns())
            )
            self._joined[party] = None  # no connection, no last will

    async def inform(self, body: Mapping[str, JsonValue]) -> None:
        """Hand the event to every party at once (each sees it before its next request, as
        over a bus) and keep it for the host's next message to everybody (the transcript)."""
        body = dict(body)
        round_ = self.round
        self._kept.append((round_, body))
        if body.get("event") == "offer":
            outcome, party = body.get("outcome"), body.get("party")
            if type(outcome) is dict and type(party) is str:
                for agent in self._recording:
                    agent.keep_offer(round_, party, outcome)
        for agent, executor in self._hearing:  # most strategies have no on_event
            await agent.observe(round_, body, executor)

    async def flush(self) -> None:
        """The events kept, as an ``inform`` to everybody in the transcript (the parties had
        them already, from :meth:`inform`)."""
        if self._kept:
            await self.send(Performative.INFORM, {})

    async def send(
        self, performative: Performative, body: Mapping[str, JsonValue], *, to: str | None = None
    ) -> None:
        """Record the host's message and hand it to the parties it is for (the events it
        carries reached them already, from :meth:`inform`)."""
        body = dict(body)
        self._host(performative, body, to)
        for party, (agent, executor) in self._seats.items():
            if to is not None and to != party:
                continue
            if performative is _START:
                await agent.begin(body, executor)
            elif performative is _RESULT:
                await agent.finish(body, executor)
            # nothing else reaches a party in a direct run (a flushed inform's events did)

    async def ask(self, party: str, request: Request, allowed: Collection[Performative]) -> Action:
        """Ask ``party`` for an action of one of the ``allowed`` performatives."""
        self.check_deadline()
        relative_time = self.relative_time
        loop = _running_loop()
        due = self.turn_due(loop)
        round_ = self.round
        request_id = self._host(_REQUEST, request, party, relative_time)
        offer, options = request.offer, request.options
        state = _tuple(  # TurnState(...) by position, without its __new__'s Python frame
            TurnState,
            (
                round_,
                relative_time,
                request.kind,
                None if offer is None else dict(offer),
                request.proposer,
                copy.deepcopy(options) if options else {},
            ),
        )
        agent, executor = self._seats[party]
        begun = agent.reply_at_once(state, request_id, executor)
        # the usual turn is answered at once; one that waits on something, within its time
        answer = begun if begun is None or isinstance(begun, tuple) else await _within(begun, due)
        if answer is None or loop.time() > due:
            raise self.too_late(party)
        performative, answer_body = answer
        seq = agent.take_seq()
        self.sent.append(
            _tuple(
                Sent,
                (
                    party,
                    seq,
                    performative,
                    answer_body,
                    HOST,
                    round_,
                    request_id,
                    time_ns(),
                    0.0,
                    None,
                ),
            )
        )
        message_id = f"{party}:{seq}"
        if performative not in allowed:
            self.check_allowed(party, performative, allowed, message_id)
        # the body is the runtime's own: its outcome was made plain there (Agent.reply)
        return self._action(party, performative, answer_body, message_id, plain=True)

    def drain(self) -> None:
        """Nothing arrives unasked in a direct run."""

    # -- afterwards --------------------------------------------------------------------------

    @property
    def messages(self) -> int:
        """How many envelopes the run carried."""
        return len(self.sent)

    def transcript(self, signers: Mapping[str, Signer] | None = None) -> list[Envelope]:
        """The envelopes of the run, in order (signed by their senders' ``signers``, if
        given), as a memory-bus run of the same scenario and seed carries them."""
        envelopes = []
        for sent in self.sent:
            signer = None if signers is None else signers.get(sent.sender)
            if isinstance(sent, Envelope):  # composed by its agent: signed there, or now
                envelopes.append(sent if signer is None or sent.sig else signer(sent))
                continue
            if sent.performative is Performative.JOIN:
                body = self.agents[sent.sender].join_body()
            else:
                body = sent.envelope_body()
            envelope = compose(
                negotiation_id=self.negotiation_id,
                sender=sent.sender,
                seq=sent.seq,
                performative=sent.performative,
                body=body,
                to=sent.to,
                round_=sent.round,
                in_reply_to=sent.in_reply_to,
                session=self.session,
                sent_ns=sent.sent_ns,
            )
            envelopes.append(envelope if signer is None else signer(envelope))
        return envelopes


def _keeper(sent: list[Sent | Envelope]) -> Callable[[Envelope], Awaitable[None]]:
    """Where an agent of a direct session publishes: ``sent``. Not a bound method of the
    session: an agent holding one would make a reference cycle of the session and its
    agents, and every run's records (hundreds of objects) would wait for the cyclic garbage
    collector instead of going when the last reference to the session does."""

    async def keep(envelope: Envelope) -> None:
        sent.append(envelope)

    return keep


async def _within(reply: Coroutine[Any, Any, _Answer], due: float) -> _Answer:
    """Await ``reply`` until the loop's time ``due`` (``None`` after that)."""
    try:
        async with asyncio.timeout_at(due):
            return await reply
    except TimeoutError:
        return None
