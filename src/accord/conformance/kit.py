"""The scripted host of ``accord conformance``.

It plays one short negotiation against the agent under test, as the host would, and checks
each thing docs/protocol.md asks of a party: that it joins the ``open`` with the session, its
commitment and the nonce of its will; that every envelope it sends is signed, of the session,
numbered ``<party>:<seq>`` without gaps and on the right topic; that it ignores a forged
request, a request of another session, a replayed one and one that asks another party (every
party receives every request, for the events it carries); that it answers ``propose`` and
``respond`` with an allowed action and a valid outcome, in the request's round; and that it
reveals, after the result, a profile that opens its commitment. What the broker's gate
refused (a payload that is not an envelope, on the wrong topic, ...) is reported with the
check it spoiled. Each check names its rule; the run never stops at the first failure unless
nothing more can be checked (no join).
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Callable

from nacl.signing import SigningKey, VerifyKey
from pydantic import JsonValue, ValidationError

from accord.broker import Inbox
from accord.broker.mqtt import MqttBus
from accord.conformance.checks import Check, ConformanceReport, Status
from accord.errors import InputError, OutcomeError
from accord.ledger.commitment import Reveal
from accord.ledger.signing import Verifier, sign_envelope
from accord.runner import start_body
from accord.scenarios import Scenario
from accord.wire import (
    EVENTS,
    HOST,
    Envelope,
    OfferBody,
    Performative,
    Request,
    compose,
    new_session,
)

__all__ = ["run_conformance"]

QUIET_S = 2.0
"""How long the kit waits to be sure the agent does not answer what it must ignore."""
REVEAL_S = 10.0
"""How long the kit waits for the reveal after the result."""
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_GARBAGE_SIG = base64.b64encode(bytes(64)).decode()


async def run_conformance(
    scenario: Scenario,
    party: str,
    *,
    bus: MqttBus,
    host_key: SigningKey,
    party_key: VerifyKey,
    seed: int | None = None,
    join_within: float = 30.0,
) -> ConformanceReport:
    """Play the scripted host against ``party``'s agent (which must trust ``host_key``'s
    public half) over ``bus``; return every check made."""
    if party not in {p.id for p in scenario.parties}:
        known = [p.id for p in scenario.parties]
        raise InputError(f"party {party!r} is not in the scenario; its parties are {known!r}")
    negotiation_id = scenario.negotiation_id(seed)
    async with bus.subscribe(negotiation_id, HOST) as inbox:
        host = _ScriptedHost(
            scenario, party, bus=bus, inbox=inbox, key=host_key, party_key=party_key, seed=seed
        )
        await host.play(join_within)
    return ConformanceReport(negotiation_id=host.negotiation_id, party=party, checks=host.checks)


class _ScriptedHost:
    def __init__(
        self,
        scenario: Scenario,
        party: str,
        *,
        bus: MqttBus,
        inbox: Inbox,
        key: SigningKey,
        party_key: VerifyKey,
        seed: int | None,
    ) -> None:
        self.scenario = scenario
        self.party = party
        self.bus = bus
        self.key = key
        self.verifier = Verifier({party: party_key})
        self.negotiation_id = scenario.negotiation_id(seed)
        self.session = new_session()
        self.space = scenario.outcome_space()
        self.turn_timeout = scenario.mechanism.deadline.turn_timeout
        self.checks: list[Check] = []
        self.inbox = inbox
        self._seq = 0
        self._party_seq = -1

    # -- the script --------------------------------------------------------------------------

    async def play(self, join_within: float) -> None:
        join = await self._join(join_within)
        if join is None:
            return
        await self._ignores(
            "ignores_forged_request",
            "an envelope from the host that does not verify against the host's key is ignored",
            self.envelope(Performative.REQUEST, _propose()).model_copy(
                update={"sig": _GARBAGE_SIG}
            ),
        )
        await self._ignores(
            "ignores_another_session",
            "a host envelope of another session (an earlier run's, replayed) is ignored",
            self.envelope(Performative.REQUEST, _propose(), session=new_session()),
        )
        await self.publish(self.envelope(Performative.START, self._start(), to=None))
        other = next((p.id for p in self.scenario.parties if p.id != self.party), HOST)
        if other != HOST:
            await self._ignores(
                "ignores_request_to_another",
                "a request that asks another party (in its 'to') is not answered; only the "
                "events it carries are the party's to take",
                self.envelope(Performative.REQUEST, self._with_event(_propose(), other), to=other),
            )
        proposed = await self._turn(
            "answers_propose",
            self._with_event(_propose(), other),
            {Performative.OFFER, Performative.END},
        )
        if proposed is not None:
            await self._ignores(
                "ignores_replayed_request",
                "a request already answered, published again, is not answered again",
                proposed,
            )
        await self._turn(
            "answers_respond",
            Request(kind="respond", offer=self._some_outcome(), proposer=other).body(0.5),
            {Performative.ACCEPT, Performative.OFFER, Performative.END},
        )
        result: dict[str, JsonValue] = {
            "reason": "deadline",
            "agreement": None,
            "party": None,
            "detail": "the end of the conformance run",
            "rounds": 1,
        }
        await self.publish(self.envelope(Performative.RESULT, result, to=None))
        await self._reveal(str(join.body.get("commitment")))

    async def _join(self, within: float) -> Envelope | None:
        rule = (
            "after the host's open, the party sends join to the host, with the open's session, "
            "within the join timeout"
        )
        parties: list[JsonValue] = [self.party]
        opening = self.envelope(Performative.OPEN, {"parties": parties}, to=None)
        join = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while join is None and loop.time() < deadline:
            await self.publish(opening)  # the same envelope again, as the host repeats it
            join = await self._next(lambda e: e.performative is Performative.JOIN, 1.0)
        if join is None:
            self._add("joins", rule, "fail", f"no join within {within:g} s{self._refusals()}")
            return None
        self._add("joins", rule, "pass")
        self._authentic("join_envelope", join)
        body = join.body
        problems = []
        if not isinstance(body.get("commitment"), str) or not _HEX64.match(str(body["commitment"])):
            problems.append(f"commitment {body.get('commitment')!r} is not 64 lower-case hex")
        if not isinstance(body.get("will_nonce"), str) or not _HEX32.match(str(body["will_nonce"])):
            problems.append(f"will_nonce {body.get('will_nonce')!r} is not 32 lower-case hex")
        self._add(
            "join_body",
            'the join\'s body is {"commitment": 64 hex, "will_nonce": 32 hex}',
            "fail" if problems else "pass",
            "; ".join(problems),
        )
        return join

    async def _ignores(self, name: str, rule: str, request: Envelope) -> None:
        await self.publish(request)
        answer = await self._next(lambda e: e.in_reply_to == request.message_id, QUIET_S)
        if answer is None:
            self._add(name, rule, "pass")
        else:
            self._add(name, rule, "fail", f"answered it with {answer.message_id}")

    async def _turn(
        self, name: str, body: dict[str, JsonValue], allowed: set[Performative]
    ) -> Envelope | None:
        request = self.envelope(Performative.REQUEST, body)
        kind = body["kind"]
        rule = (
            f"a {kind!r} request is answered within the turn timeout by one envelope whose "
            f"in_reply_to is the request, in its round, one of {sorted(p.value for p in allowed)}"
        )
        await self.publish(request)
        answer = await self._next(lambda e: e.in_reply_to == request.message_id, self.turn_timeout)
        if answer is None:
            detail = f"no answer within {self.turn_timeout:g} s{self._refusals()}"
            self._add(name, rule, "fail", detail)
            return None
        problems = []
        if answer.performative not in allowed:
            problems.append(f"answered with {answer.performative.value!r}")
        if answer.round != request.round:
            problems.append(f"round {answer.round}, the request's is {request.round}")
        if answer.to != HOST:
            problems.append(f"addressed to {answer.to!r}, not the host")
        if answer.performative is Performative.OFFER:
            try:
                self.space.encode_row(OfferBody.outcome_of(answer.body))
            except (ValidationError, OutcomeError) as exc:
                problems.append(f"the offer is not an outcome of the domain: {exc}")
        self._add(name, rule, "fail" if problems else "pass", "; ".join(problems))
        self._authentic(f"{name}_envelope", answer)
        return request

    async def _reveal(self, commitment: str) -> None:
        rule = "after the result the party reveals a profile and salt that open its commitment"
        reveal = await self._next(lambda e: e.performative is Performative.REVEAL, REVEAL_S)
        if reveal is None:
            self._add("reveals", rule, "fail", f"no reveal within {REVEAL_S:g} s")
            return
        try:
            opened = Reveal.model_validate({"party": self.party, **reveal.body})
        except ValidationError as exc:
            self._add("reveals", rule, "fail", f"a malformed reveal: {exc.errors()[0]['msg']}")
            return
        matches = opened.matches(commitment)
        detail = "" if matches else "the profile and salt do not hash to the join's commitment"
        self._add("reveals", rule, "pass" if matches else "fail", detail)
        self._authentic("reveal_envelope", reveal, to=None)

    # -- helpers -----------------------------------------------------------------------------

    def envelope(
        self,
        performative: Performative,
        body: dict[str, JsonValue],
        *,
        to: str | None = "",
        session: str | None = None,
        round_: int = 0,
    ) -> Envelope:
        """A signed host envelope (to the party unless ``to`` says otherwise)."""
        envelope = compose(
            negotiation_id=self.negotiation_id,
            sender=HOST,
            seq=self._seq,
            performative=performative,
            body=body,
            to=self.party if to == "" else to,
            round_=round_,
            session=session or self.session,
        )
        self._seq += 1
        return sign_envelope(envelope, self.key)

    async def publish(self, envelope: Envelope) -> None:
        await self.bus.publish(envelope)

    async def _next(self, wanted: Callable[[Envelope], bool], within: float) -> Envelope | None:
        """The party's next envelope that is ``wanted`` within ``within`` seconds."""
        try:
            async with asyncio.timeout(within):
                while True:
                    envelope = await self.inbox.get()
                    if envelope.sender == self.party and wanted(envelope):
                        return envelope
        except TimeoutError:
            return None

    def _authentic(self, name: str, envelope: Envelope, *, to: str | None = HOST) -> None:
        """Check what every envelope of the party must be."""
        problems = []
        if (problem := self.verifier.problem(envelope)) is not None:
            problems.append(f"signature: {problem}")
        if envelope.session != self.session:
            problems.append(f"session {envelope.session!r}, the open's is {self.session!r}")
        if envelope.message_id != f"{self.party}:{envelope.seq}":
            problems.append(f"message_id {envelope.message_id!r} is not '<party>:<seq>'")
        expected = self._party_seq + 1
        if self._party_seq >= 0 and envelope.seq != expected:
            problems.append(f"seq {envelope.seq}, expected {expected} (no gaps, no repeats)")
        self._party_seq = max(self._party_seq, envelope.seq)
        if envelope.to != to:
            problems.append(f"to {envelope.to!r}, expected {to!r}")
        rule = (
            "signed by the party over every other field, of the session, message_id "
            "'<party>:<seq>', seq one more than the last"
        )
        self._add(name, rule, "fail" if problems else "pass", "; ".join(problems))

    def _refusals(self) -> str:
        """What the broker gate refused in this negotiation, for a failure's detail."""
        refused = [
            f"{refusal.reason} on {topic}: {refusal.detail}"
            for (nid, _, _), (topic, refusal) in self.bus.noise.first.items()
            if nid == self.negotiation_id
        ]
        return f"; refused on arrival: {'; '.join(refused)}" if refused else ""

    def _add(self, name: str, rule: str, status: Status, detail: str = "") -> None:
        self.checks.append(Check(name=name, rule=rule, status=status, detail=detail))

    def _start(self) -> dict[str, JsonValue]:
        body = start_body(self.scenario, self.scenario.mechanism.name)
        body["parties"] = [p.id for p in self.scenario.parties]
        return body

    def _with_event(self, body: dict[str, JsonValue], party: str) -> dict[str, JsonValue]:
        """``body`` carrying one event, as the host's requests do: ``party`` offered an
        outcome of the domain."""
        event: dict[str, JsonValue] = {
            "event": "offer",
            "party": party,
            "outcome": self._some_outcome(),
        }
        return body | {EVENTS: [{"round": 0, "body": event}]}

    def _some_outcome(self) -> dict[str, JsonValue]:
        """An outcome of the domain (its first)."""
        return dict(self.space.outcome_at(0))


def _propose() -> dict[str, JsonValue]:
    return Request(kind="propose").body(0.0)
