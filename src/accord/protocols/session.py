"""The session: the mechanism host's only window onto a negotiation.

A mechanism drives a negotiation as straight-line async code::

    action = await session.ask(party, Request(kind="respond", offer=standing), allowed)
    await session.inform({"event": "offer", "party": party, "outcome": outcome})

``inform`` sends nothing: the event is kept, and the host's next envelope to everybody (the
next ``request``, which goes to everybody and names the party asked in ``to``, or the
``result``) carries every event kept since, in order, in its body's ``events``
(:mod:`accord.wire.events`): one signed envelope per host turn. A mechanism that waits for
anything but the answer to a request it just sent calls :meth:`Session.flush` first, which
sends what is kept as an ``inform``.

``ask`` sends a ``request`` envelope, waits for the matching answer within the turn timeout
(and the seconds deadline) and returns a typed :class:`~accord.protocols.actions.Action`, or
raises the :class:`~accord.errors.PartyFault` that ends the negotiation: a
:class:`~accord.errors.TurnTimeout`, a :class:`~accord.errors.PartyFailed`, or a
:class:`~accord.errors.ProtocolViolation` (an answer out of turn, malformed, of a kind the
request does not allow, or an offer outside the outcome space). Violations are also kept in
:attr:`Session.violations` with the violator named.

Each run has a fresh :attr:`Session.session` nonce: the host's ``open`` announces it (repeated
until every party has joined), and every later envelope of the run carries it, signed. A
party's ``join`` answers the ``open``; its last will, signed before it saw the ``open``,
carries instead the ``will_nonce`` its ``join`` named. So nothing signed in an earlier run of
the same negotiation id (same scenario, same seed) is valid in this one.

Only what a party signed for this run can be its violation. An envelope that is unsigned,
badly signed, of another session (or a will of another run), or a replay of one already seen
(anyone on the broker can re-publish a signed envelope) is *noise*: kept in
:attr:`Session.noise` with the sender it claimed and why it was refused, dropped, and never
held against the claimed sender. The claimed sender, if it is a party, is sent one ``notice``
per reason (signed by the host) so that a party whose every message is refused learns why.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from pydantic import JsonValue, ValidationError

from accord.broker import Bus, Inbox
from accord.broker.admission import NoiseCounter
from accord.errors import (
    DeadlineReached,
    HandshakeTimeout,
    OutcomeError,
    PartyFailed,
    PartyLost,
    ProtocolViolation,
    TurnTimeout,
)
from accord.ledger.canonical import signing_bytes
from accord.ledger.signing import Signer, Verifier
from accord.logs import get_logger
from accord.model import BoundProfile, OutcomeSpace, Value
from accord.protocols.actions import Accept, Action, EndNegotiation, Offer, Reject
from accord.protocols.clock import Clock, SystemClock
from accord.protocols.deadline import Deadline
from accord.wire import (
    ACTIONS,
    EVENTS,
    HOST,
    WILL_SEQ,
    Envelope,
    FailureBody,
    OfferBody,
    Performative,
    Request,
    compose,
    new_session,
)

__all__ = ["MAX_NOISE_KEPT", "Noise", "Session", "Violation"]

log = get_logger("accord.session")


@dataclass(frozen=True, slots=True)
class Violation:
    """A protocol violation, with the violator named."""

    party: str
    kind: str
    detail: str
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class Noise:
    """An envelope the host refused without blaming anyone: who it claimed to be from, and
    why (``unsigned``, ``bad_signature``, ``stale_session``, ``stale_will``, ``replay``)."""

    claimed_sender: str
    reason: str
    message_id: str


MAX_NOISE_KEPT = 1000
"""How many noise records a session keeps (a flood is counted in full, kept in part)."""

OPEN_REPEAT_S = 1.0
"""How often the host repeats its ``open`` until every party has joined (an agent that
subscribed after the first one still hears it)."""


@dataclass(frozen=True, slots=True)
class _Pending:
    """The request the host is waiting on."""

    party: str
    request_id: str
    allowed: frozenset[Performative]


class Session:
    """The host side of one negotiation over a :class:`~accord.broker.Bus`.

    Use as an async context manager; inside it, :meth:`gather_parties` runs the join
    handshake, then the mechanism calls :meth:`ask`, :meth:`inform` and :meth:`next_round`.
    """

    def __init__(
        self,
        *,
        bus: Bus | None,
        negotiation_id: str,
        parties: Sequence[str],
        space: OutcomeSpace,
        deadline: Deadline,
        clock: Clock | None = None,
        seed: int = 0,
        signer: Signer | None = None,
        verifier: Verifier | None = None,
        profiles: Mapping[str, BoundProfile] | None = None,
        status_quo: Mapping[str, Value] | None = None,
    ) -> None:
        self._bus = bus
        self.status_quo: dict[str, Value] | None = None if status_quo is None else dict(status_quo)
        """The terms in force when this negotiation renegotiates a charter
        (docs/lifecycle.md): a mechanism that starts from a text (``single-text``) starts from
        them."""
        self.profiles: Mapping[str, BoundProfile] | None = profiles
        """The parties' profiles, when the host has them (it does when it runs a scenario
        file). Only mechanisms that assume complete information (``mcp``) may use them."""
        self.seed = seed
        self.signer = signer
        self.verifier = verifier
        self.negotiation_id = negotiation_id
        self.parties: tuple[str, ...] = tuple(parties)
        self.space = space
        self.deadline = deadline
        self.clock = clock or SystemClock()
        self.round = 0
        self.violations: list[Violation] = []
        self.noise: list[Noise] = []
        """The first :data:`MAX_NOISE_KEPT` envelopes refused as noise."""
        self.noise_count = 0
        """Every envelope refused as noise."""
        self.session = new_session()
        """This run's nonce, carried by every envelope of the run."""
        self.log = log.bind(negotiation_id=negotiation_id, session=self.session)
        self._seq = 0
        self._started_at: float | None = None
        self._last_seq: dict[str, int] = {}
        self._last: dict[str, Envelope] = {}
        self._signed: dict[tuple[str, int], bytes] = {}
        """The digest of what every authentic envelope admitted signed, by (sender, seq)."""
        self._joined: dict[str, str | None] = {}
        """The parties that joined, with the nonce of their last will."""
        self._notices: list[tuple[str, dict[str, JsonValue]]] = []
        """Notices to send (see :meth:`_noise`); sent when the host next waits."""
        self._noticed: set[tuple[str, str]] = set()
        self._firsts_seen = 0
        """How many of the transport's first refusals have been looked at for notices."""
        self._inbox: Inbox | None = None
        self._stack = contextlib.AsyncExitStack()
        self._unyielded = 0
        """Answers taken without waiting since the event loop last ran other tasks."""
        self._turn_by_deadline = False
        """Whether the turn being waited for ends at the seconds deadline, not its timeout."""
        self._events: list[JsonValue] = []
        """Events announced and not sent yet: ``{"round": r, "body": {...}}`` each, for the
        host's next envelope to everybody (see :meth:`inform`)."""

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def bus(self) -> Bus:
        """The bus the negotiation runs over (a direct session, which calls its parties, has
        none)."""
        if self._bus is None:
            raise RuntimeError("this session has no bus: its parties are called directly")
        return self._bus

    async def __aenter__(self) -> Self:
        self._inbox = await self._stack.enter_async_context(
            # the parties' broadcasts, not its own: no request comes back to the host
            self.bus.subscribe(self.negotiation_id, HOST, will=self._will(), senders=self.parties)
        )
        return self

    def _will(self) -> Envelope:
        """The host's last will, to all: a ``lost`` of this session with the sequence number
        reserved for wills, so that the parties and the recorder learn at once when the host's
        process dies (a will is authentic: the host signs it now)."""
        will = compose(
            negotiation_id=self.negotiation_id,
            sender=HOST,
            seq=WILL_SEQ,
            performative=Performative.LOST,
            body={"reason": "connection lost"},
            session=self.session,
        )
        return will if self.signer is None else self.signer(will)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    @property
    def inbox(self) -> Inbox:
        if self._inbox is None:
            raise RuntimeError("use the session as an async context manager first")
        return self._inbox

    async def gather_parties(self) -> None:
        """Send ``open`` (again every :data:`OPEN_REPEAT_S`) until every party has answered
        with ``join``; raises :class:`HandshakeTimeout`."""
        opening = self.envelope(Performative.OPEN, {"parties": list(self.parties)})
        self.log.info("negotiation_open", parties=self.parties)
        try:
            async with asyncio.timeout(self.deadline.join_timeout):
                while len(self._joined) < len(self.parties):
                    await self._send_notices()
                    await self.bus.publish(opening)  # the same envelope: receivers drop repeats
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(OPEN_REPEAT_S):
                            while len(self._joined) < len(self.parties):
                                self._receive(await self.inbox.get(), None)
                                await self._send_notices()
        except TimeoutError:
            missing = [p for p in self.parties if p not in self._joined]
            raise HandshakeTimeout(
                missing, self.deadline.join_timeout, self.negotiation_id
            ) from None

    def drain(self) -> None:
        """Examine every envelope that has arrived but was not asked for (the host calls
        this when the mechanism has finished), so that late violations are recorded too."""
        while (envelope := self.inbox.get_nowait()) is not None:
            with contextlib.suppress(ProtocolViolation):
                self._receive(envelope, None)

    def start_clock(self) -> None:
        """Start counting the seconds deadline (the host calls this when it sends ``start``)."""
        self._started_at = self.clock.monotonic()

    # -- time ------------------------------------------------------------------------------

    @property
    def elapsed(self) -> float:
        if self._started_at is None:
            return 0.0
        return self.clock.monotonic() - self._started_at

    @property
    def relative_time(self) -> float:
        """Elapsed fraction of the deadline, by rounds or seconds, whichever is further."""
        deadline = self.deadline
        fraction = 0.0 if deadline.rounds is None else self.round / deadline.rounds
        if deadline.seconds is not None:
            fraction = max(fraction, self.elapsed / deadline.seconds)
        return min(max(fraction, 0.0), 1.0)

    @property
    def rounds_played(self) -> int:
        """Rounds begun so far (the round the deadline stopped is not counted)."""
        if self.deadline.rounds is not None and self.round >= self.deadline.rounds:
            return self.deadline.rounds
        return self.round + 1

    def next_round(self) -> None:
        """Move to the next round; raises :class:`DeadlineReached` when none is left."""
        self.round += 1
        self.check_deadline()

    def check_deadline(self) -> None:
        if self.deadline.rounds is not None and self.round >= self.deadline.rounds:
            raise DeadlineReached(f"the deadline of {self.deadline.rounds} rounds was reached")
        if self.deadline.seconds is not None and self.elapsed >= self.deadline.seconds:
            raise DeadlineReached(f"the deadline of {self.deadline.seconds:g} s was reached")

    # -- sending ---------------------------------------------------------------------------

    def envelope(
        self,
        performative: Performative,
        body: Mapping[str, JsonValue],
        *,
        to: str | None = None,
    ) -> Envelope:
        """A new envelope from the host, with the next sequence number; one to everybody (a
        ``request`` is) carries the events kept since the last (see :meth:`inform`)."""
        seq = self._seq
        self._seq += 1
        body = dict(body)
        if self._events and (to is None or performative is Performative.REQUEST):
            body[EVENTS], self._events = self._events, []
        envelope = compose(
            negotiation_id=self.negotiation_id,
            sender=HOST,
            seq=seq,
            performative=performative,
            body=body,
            to=to,
            round_=self.round,
            session=self.session,
        )
        return envelope if self.signer is None else self.signer(envelope)

    async def send(
        self, performative: Performative, body: Mapping[str, JsonValue], *, to: str | None = None
    ) -> None:
        """Send a new envelope from the host (to ``to``, or to all)."""
        await self.bus.publish(self.envelope(performative, body, to=to))

    async def inform(self, body: Mapping[str, JsonValue]) -> None:
        """Tell every party about an event: kept, in order, for the host's next envelope to
        everybody (its next ``request`` or its ``result``), which carries it in ``events``."""
        self._events.append({"round": self.round, "body": dict(body)})

    async def flush(self) -> None:
        """Send the events kept, if any, as an ``inform`` to everybody (body: only
        ``events``). For a mechanism about to wait for something other than the answer to a
        request (a timer, another negotiation): the parties learn them now, not when the host
        next sends. The built-in mechanisms never need it."""
        if self._events:
            await self.send(Performative.INFORM, {})

    async def ask(self, party: str, request: Request, allowed: Collection[Performative]) -> Action:
        """Ask ``party`` for an action of one of the ``allowed`` performatives."""
        self.check_deadline()
        body = request.body(self.relative_time)
        envelope = self.envelope(Performative.REQUEST, body, to=party)
        loop = asyncio.get_running_loop()
        # from the request on: an eager agent answers (or is interrupted) inside publish
        due = self.turn_due(loop)
        await self.bus.publish(envelope)
        pending = _Pending(party, envelope.message_id, frozenset(allowed))
        while (arrived := self.inbox.get_nowait()) is not None:  # answered at once (eagerly)
            if (answer := self._receive(arrived, pending)) is not None:
                if loop.time() > due:
                    break  # too late, as it would be on a worker thread or over MQTT
                self._unyielded += 1
                if self._unyielded >= _YIELD_EVERY:  # let the event loop breathe
                    self._unyielded = 0
                    await asyncio.sleep(0)
                return self._parse(answer)
        self._unyielded = 0
        await self._send_notices()
        try:
            async with asyncio.timeout_at(due):
                while True:
                    answer = self._receive(await self.inbox.get(), pending)
                    if answer is not None:
                        return self._parse(answer)
        except TimeoutError:
            raise self.too_late(party) from None

    def turn_due(self, loop: asyncio.AbstractEventLoop) -> float:
        """When (on ``loop``'s clock) the turn asked for now must have been answered: the turn
        timeout, or the seconds deadline if that comes first (:meth:`too_late` says which)."""
        limit = self.deadline.turn_timeout
        self._turn_by_deadline = False
        if self.deadline.seconds is not None:
            left = self.deadline.seconds - self.elapsed
            self._turn_by_deadline = left <= limit
            limit = min(limit, left)
        return loop.time() + limit

    def too_late(self, party: str) -> TurnTimeout | DeadlineReached:
        """What the turn of :meth:`turn_due`, not answered in time by ``party``, ends with."""
        if self._turn_by_deadline:
            return DeadlineReached(
                f"the deadline of {self.deadline.seconds:g} s was reached while waiting "
                f"for {party!r}"
            )
        return TurnTimeout(party, f"did not answer within {self.deadline.turn_timeout:g} s")

    # -- receiving -------------------------------------------------------------------------

    def _parse(self, answer: Envelope) -> Action:
        return self._action(answer.sender, answer.performative, answer.body, answer.message_id)

    def _action(
        self,
        party: str,
        performative: Performative,
        body: dict[str, JsonValue],
        message_id: str,
        *,
        plain: bool = False,
    ) -> Action:
        """The action of an answer (an ``offer`` checked against the outcome space), or the
        fault it is (a ``failure``; a malformed or invalid offer, recorded as a violation).
        ``plain``: the body is an agent runtime's own, its outcome a dict of plain values
        already (a direct session's), so only the outcome space is left to check."""
        try:
            # if/elif on module globals: ``case Performative.OFFER`` looks the member up
            if performative == _OFFER:
                if plain:
                    outcome: dict[str, Value] = dict(body["outcome"])  # type: ignore[arg-type]
                else:
                    outcome = OfferBody.outcome_of(body)
                self.space.check(outcome)
                return Offer(outcome)
            if performative == _ACCEPT:
                return _ACCEPTED
            if performative == _REJECT:
                return _REJECTED
            if performative == _END:
                return _ENDED
            # FAILURE; other performatives never reach here (see _receive)
            failure = FailureBody.model_validate(body)
            raise PartyFailed(party, f"{failure.reason}: {failure.detail}", message_id=message_id)
        except ValidationError as exc:
            raise self._violation(
                party, "malformed_action", _first_error(exc), message_id
            ) from None
        except OutcomeError as exc:
            raise self._violation(party, "invalid_offer", str(exc), message_id) from None

    def check_allowed(
        self,
        party: str,
        performative: Performative,
        allowed: Collection[Performative],
        message_id: str,
    ) -> None:
        """Raise (and record) ``unexpected_action`` unless the answer is one the request
        allowed, or a ``failure``, which any request allows."""
        if performative not in allowed and performative is not _FAILURE:
            raise self._violation(
                party,
                "unexpected_action",
                f"expected one of {sorted(allowed)!r}, got {performative.value!r}",
                message_id,
            )

    def violation(self, party: str, kind: str, detail: str) -> ProtocolViolation:
        """Record a breach of the mechanism's own rules (found by the mechanism, not by the
        session) against ``party`` and its last envelope; ``raise`` the returned error to
        end the negotiation."""
        last = self._last.get(party)
        return self._violation(party, kind, detail, None if last is None else last.message_id)

    def _violation(
        self, party: str, kind: str, detail: str, message_id: str | None
    ) -> ProtocolViolation:
        self.violations.append(Violation(party, kind, detail, message_id))
        self.log.warning(
            "protocol_violation", party=party, kind=kind, detail=detail, message_id=message_id
        )
        return ProtocolViolation(party, kind, detail, message_id=message_id)

    def _admit(self, envelope: Envelope) -> bool:
        """Whether ``envelope`` is a new, authentic envelope from a party of this negotiation;
        strangers and repeats are dropped, forgeries and replays kept as noise."""
        sender = envelope.sender
        if sender not in self.parties or envelope.negotiation_id != self.negotiation_id:
            self.log.warning(
                "unknown_sender_dropped", sender=sender, message_id=envelope.message_id
            )
            return False
        signed = None if self.verifier is None else signing_bytes(envelope)
        if (problem := self._refusal(envelope, signed)) is not None:
            # the claimed sender may be innocent (a forger used its name): noise, not blame
            self._noise(envelope, problem)
            return False
        last = self._last.get(sender)
        if last is not None and envelope.seq == last.seq and envelope == last:
            return False  # the same envelope again (a repeated join): nothing new
        digest = None if signed is None else hashlib.sha256(signed).digest()
        if envelope.seq <= self._last_seq.get(sender, -1):
            earlier = self._signed.get((sender, envelope.seq))
            # what was signed differs (not the signature's text: anyone can re-encode it)
            if earlier is not None and earlier != digest:  # kept only when verified
                # the party itself signed two different envelopes with one sequence number
                self._violation(
                    sender,
                    "equivocation",
                    f"signed a second, different envelope with sequence number {envelope.seq}",
                    envelope.message_id,
                )
                return False
            # transports de-duplicate their own redeliveries, so an old sequence number here
            # is a replay, which anyone who saw the envelope can send: noise, not blame
            self._noise(envelope, "replay")
            return False
        self._last_seq[sender] = envelope.seq
        self._last[sender] = envelope
        if digest is not None:
            self._signed[sender, envelope.seq] = digest
        return True

    def _refusal(self, envelope: Envelope, signed: bytes | None = None) -> str | None:
        """Why ``envelope`` is not the claimed sender's word in this run, if it is not: not
        signed by it, of another session, or (a ``lost``) not the will of the connection
        that joined this run."""
        if self.verifier is not None and (problem := self.verifier.problem(envelope, signed)):
            return problem
        if envelope.performative is Performative.LOST:
            nonce = self._joined.get(envelope.sender)
            if nonce is None or envelope.body.get("nonce") != nonce:
                return "stale_will"
        elif envelope.session != self.session:
            return "stale_session"
        return None

    def _noise(self, envelope: Envelope, reason: str) -> None:
        self.noise_count += 1
        if len(self.noise) < MAX_NOISE_KEPT:
            self.noise.append(Noise(envelope.sender, reason, envelope.message_id))
        level = self.log.warning if self.noise_count <= _NOISE_WARNINGS else self.log.debug
        level(
            "unattributed_noise",
            claimed_sender=envelope.sender,
            reason=reason,
            message_id=envelope.message_id,
            performative=envelope.performative.value,
            detail=_NOISE_DETAIL.get(reason, ""),
        )
        if reason != "replay":
            self._notice(
                envelope.sender,
                reason,
                refused=envelope.message_id,
                performative=envelope.performative.value,
                detail=_NOISE_DETAIL.get(reason, ""),
            )

    def _notice(
        self,
        party: str,
        reason: str,
        *,
        refused: str | None,
        performative: str | None,
        detail: str,
    ) -> None:
        """Queue a notice to ``party`` that something in its name was refused for ``reason``,
        unless one was queued already: one per (party, reason), so a flood in a party's name
        is not amplified."""
        if (party, reason) in self._noticed:
            return
        self._noticed.add((party, reason))
        body: dict[str, JsonValue] = {
            "refused": refused,
            "performative": performative,
            "reason": reason,
            "detail": detail,
        }
        self._notices.append((party, body))

    def _transport_notices(self) -> None:
        """Queue a notice for each first refusal, by the transport's gate, of a payload on a
        party's topic (not an envelope, on the wrong topic, of another negotiation id...)."""
        noise = getattr(self._bus, "noise", None)
        if not isinstance(noise, NoiseCounter) or len(noise.first) == self._firsts_seen:
            return  # nothing new (the usual case: every turn passes here)
        self._firsts_seen = len(noise.first)
        for (negotiation_id, reason, party), (topic, refusal) in noise.first.items():
            if party in self.parties and negotiation_id == self.negotiation_id:
                detail = f"on {topic}: {refusal.detail}"
                self._notice(party, reason, refused=None, performative=None, detail=detail)

    async def _send_notices(self) -> None:
        self._transport_notices()
        while self._notices:  # numbered as they are sent: the host's seq stays in order
            to, body = self._notices.pop(0)
            await self.send(Performative.NOTICE, body, to=to)

    def _receive(self, envelope: Envelope, pending: _Pending | None) -> Envelope | None:
        """Handle one arriving envelope: return it if it answers ``pending``; record joins;
        drop duplicates and strangers; raise :class:`ProtocolViolation` for anything a party
        sent that nobody asked for."""
        if not self._admit(envelope):
            return None
        sender = envelope.sender
        if envelope.performative is Performative.JOIN:
            nonce = envelope.body.get("will_nonce")
            self._joined[sender] = nonce if isinstance(nonce, str) else None
            return None
        if envelope.performative in _RECORD_ONLY:
            return None  # for the log and the auditor; nothing the host acts on
        if envelope.performative is Performative.LOST:
            if self._started_at is None:  # before start: it has not joined after all
                self._joined.pop(sender, None)
                self.log.warning("party_lost_before_start", party=sender)
                return None
            raise PartyLost(
                sender,
                "its connection to the broker ended without a goodbye (its last will)",
                message_id=envelope.message_id,
            )
        if (
            pending is not None
            and envelope.performative in ACTIONS
            and sender == pending.party
            and envelope.in_reply_to == pending.request_id
        ):
            self.check_allowed(sender, envelope.performative, pending.allowed, envelope.message_id)
            return envelope
        raise self._violation(
            sender,
            "out_of_turn",
            f"sent {envelope.performative.value!r} without being asked",
            envelope.message_id,
        )


_OFFER, _ACCEPT, _REJECT, _END, _FAILURE = (
    Performative.OFFER,
    Performative.ACCEPT,
    Performative.REJECT,
    Performative.END,
    Performative.FAILURE,
)
"""The answers, as module globals for the hot path (``Enum.MEMBER`` is a ~110 ns look-up)."""
_ACCEPTED, _REJECTED, _ENDED = Accept(), Reject(), EndNegotiation()
"""The actions without data, made once (frozen, so one of each serves every turn)."""

_YIELD_EVERY = 64
"""After this many answers in a row that were there at once (agents answering inside the
publisher's call, :mod:`accord.agents.eager`), :meth:`Session.ask` lets the event loop run
other tasks once: a long negotiation of fast strategies never holds it for long."""

_NOISE_WARNINGS = 20
"""Noise is logged at warning level this many times, then at debug level (a flood)."""

_NOISE_DETAIL = {
    "unsigned": "the envelope has no signature",
    "bad_signature": "the signature does not verify against the sender's public key",
    "stale_session": "signed for another run of this negotiation (its session is not the "
    "one of the host's open)",
    "stale_will": "a last will whose nonce is not the one the party's join of this run named",
}
"""What each reason for noise means, for the log and the notice."""

_RECORD_ONLY = frozenset({Performative.REVEAL, Performative.BLOCKED, Performative.APPROVAL})
"""What a party may send at any time for the log: its reveal, and its runtime's records of
blocked attempts and approval decisions."""


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"])
