"""Admission: what a payload off the wire must be before anything else in accord sees it.

Every byte from a broker is an attacker's until it verifies. :func:`admit` is the one gate
every MQTT subscription (host, agent, recorder, observer) passes a payload through: a payload
that is too big, is not JSON, does not fit the envelope schema, cannot be canonicalised
(``NaN``, ``Infinity``, an integer beyond 2^53, a lone surrogate), belongs to another
negotiation, claims a sender other than its topic's or came on a topic other than the one its
``sender`` and ``to`` select is refused here, with the reason, and
counted as *noise*. Nothing behind the gate (signature checks, the session, the recorder, a
strategy) can then fail on the shape of a message: the worst an admitted envelope can be is
unsigned or badly signed, which the receiver's :class:`~accord.ledger.signing.Verifier`
decides, and noise is never anybody's violation (see ``docs/protocol.md``, "Hostile peers").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pydantic import ValidationError

from accord.broker.topics import sender_of, topic_for
from accord.errors import LedgerError
from accord.ledger.canonical import admitted, signing_bytes
from accord.logs import get_logger
from accord.wire import Envelope

__all__ = ["MAX_PAYLOAD", "NoiseCounter", "Refusal", "admit", "refused_count"]

log = get_logger("accord.admission")

MAX_PAYLOAD = 64 * 1024
"""Largest envelope accepted, in bytes of JSON."""
MAX_FIRST_KEPT = 1000
"""How many first refusals a :class:`NoiseCounter` keeps (the sender level of a topic is
anyone's to choose)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a payload was not admitted: ``reason`` is one of ``oversized``, ``malformed``,
    ``not_canonical``, ``foreign_negotiation``, ``sender_topic_mismatch`` or ``wrong_topic``
    (an envelope is admitted only on the one topic its sender and ``to`` select)."""

    reason: str
    detail: str
    claimed_sender: str | None = None
    """The sender level of the topic it came on (who it claimed to be), if any."""


@dataclass
class NoiseCounter:
    """How many payloads were refused, by negotiation and reason (for the result and the
    log); one bus may serve several negotiations at once."""

    refused: Counter[tuple[str, str]] = field(default_factory=Counter)
    first: dict[tuple[str, str, str | None], tuple[str, Refusal]] = field(default_factory=dict)
    """The first refusal of each (negotiation, reason, claimed sender), with its topic (at
    most :data:`MAX_FIRST_KEPT`): what a participant whose messages never arrive needs to be
    told (the host's notice, ``accord conformance``)."""

    def count(self, refusal: Refusal, *, negotiation_id: str, topic: str) -> None:
        key = (negotiation_id, refusal.reason)
        first = self.refused[key] == 0
        self.refused[key] += 1
        kept = (negotiation_id, refusal.reason, refusal.claimed_sender)
        if kept not in self.first and len(self.first) < MAX_FIRST_KEPT:
            self.first[kept] = (topic[:200], refusal)
        # the first of each kind at warning level, the rest at debug: a flood must not
        # turn into a flood of log lines
        (log.warning if first else log.debug)(
            "noise_dropped",
            negotiation_id=negotiation_id,
            reason=refusal.reason,
            detail=refusal.detail,
            topic=topic[:200],
            claimed_sender=refusal.claimed_sender,
        )

    def total(self, negotiation_id: str) -> int:
        return sum(n for (nid, _), n in self.refused.items() if nid == negotiation_id)


def admit(payload: object, *, topic: str, negotiation_id: str) -> Envelope | Refusal:
    """The envelope ``payload`` holds, if it may enter negotiation ``negotiation_id``
    through ``topic``; otherwise the :class:`Refusal` saying why not."""
    claimed = sender_of(topic)
    envelope = _parse(payload, claimed)
    if isinstance(envelope, Refusal):
        return envelope
    if envelope.negotiation_id != negotiation_id:
        return Refusal(
            "foreign_negotiation",
            f"negotiation_id {envelope.negotiation_id!r}, expected {negotiation_id!r}",
            claimed,
        )
    if topic != (own := topic_for(envelope)):
        # another sender's topic, or e.g. a notice to one party replayed on the broadcast
        # topic to reach the others (a request belongs on the broadcast topic)
        reason = "sender_topic_mismatch" if claimed != envelope.sender else "wrong_topic"
        return Refusal(reason, f"belongs on {own!r}", claimed)
    try:
        admitted(envelope, signing_bytes(envelope))  # for the receiver's signature check
    except LedgerError as exc:
        return Refusal("not_canonical", str(exc.__cause__ or exc)[:200], claimed)
    except RecursionError:
        return Refusal("not_canonical", "nested too deeply to canonicalise", claimed)
    return envelope


def _parse(payload: object, claimed: str | None) -> Envelope | Refusal:
    if not isinstance(payload, bytes | bytearray):
        return Refusal("malformed", f"payload of type {type(payload).__name__}", claimed)
    if len(payload) > MAX_PAYLOAD:
        return Refusal("oversized", f"{len(payload)} bytes, over {MAX_PAYLOAD}", claimed)
    try:
        return Envelope.model_validate_json(payload)
    except ValidationError as exc:
        return Refusal("malformed", _first_error(exc), claimed)
    except RecursionError:
        return Refusal("malformed", "nested too deeply", claimed)


def refused_count(bus: object, negotiation_id: str) -> int:
    """How many payloads of ``negotiation_id``'s subscriptions ``bus`` has refused (0 for a
    bus without a gate, such as the memory bus, whose envelopes come from code in the same
    process)."""
    noise = getattr(bus, "noise", None)
    return noise.total(negotiation_id) if isinstance(noise, NoiseCounter) else 0


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return "not an envelope"
    err = errors[0]
    where = ".".join(str(p) for p in err["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where or 'payload'}: {err['msg']}{more}"[:300]
