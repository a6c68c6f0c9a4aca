"""The envelope: the one message format every participant sends and every log records.

Transport-neutral and canonical-JSON-friendly: only strings, booleans, finite numbers, lists and
objects; integers stay below 2**53 and the send time is nanoseconds since the epoch *as a
string*, so that RFC 8785 canonicalisation (used for signatures) never rounds a value.
"""

from __future__ import annotations

import secrets
import time
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, JsonValue

from accord.wire.checked import filled

__all__ = [
    "HOST",
    "MAX_SAFE_INTEGER",
    "SESSION_PATTERN",
    "WILL_SEQ",
    "Envelope",
    "Identifier",
    "Performative",
    "compose",
    "new_session",
    "now_ns",
]

HOST = "host"
"""The participant id of the mechanism host."""

MAX_SAFE_INTEGER = 2**53 - 1

WILL_SEQ = MAX_SAFE_INTEGER
"""The sequence number of a party's last will (``lost``): above any it will really use."""

SESSION_PATTERN = r"^[0-9a-f]{32}$"
"""A session nonce: 128 random bits, as lower-case hex."""

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
"""Ids of negotiations and participants: safe inside an MQTT topic level and a file name."""


class Performative(StrEnum):
    """What an envelope does. Who sends each one is documented on the member."""

    OPEN = "open"
    """host -> all, repeated until every party has joined: the negotiation is open, and its
    ``session`` (a fresh nonce) is the one every later envelope of this run carries."""
    JOIN = "join"
    """party -> host, answering ``open``: the party is subscribed and ready; body has its
    commitment and the nonce of its last will (``will_nonce``)."""
    START = "start"
    """host -> all: the negotiation begins; body has parties, mechanism and deadline."""
    REQUEST = "request"
    """host -> one party: asks for an action; body is a :class:`~accord.wire.Request`."""
    OFFER = "offer"
    """party -> host: proposes ``body.outcome`` (answers a request)."""
    ACCEPT = "accept"
    """party -> host: accepts the standing offer (answers a request)."""
    REJECT = "reject"
    """party -> host: rejects the offer in question (answers a request)."""
    END = "end"
    """party -> host: ends the negotiation without agreement (answers a request)."""
    FAILURE = "failure"
    """party -> host: the party could not produce an action; body has ``reason``/``detail``."""
    INFORM = "inform"
    """host -> all: an event every party may see (an offer made, an acceptance, ...)."""
    RESULT = "result"
    """host -> all: the negotiation is over; body is the result."""
    REVEAL = "reveal"
    """party -> all, after the result: its preference profile and the salt of its commitment."""
    LOST = "lost"
    """party -> host, published by the broker: the party's MQTT last will, sent when its
    connection ends without a goodbye (its process died, its network went away). Its ``seq``
    is :data:`WILL_SEQ` and, since it is signed before the party has seen ``open``, its
    ``session`` is ``None``; body ``{"reason": "connection lost", "nonce": N}``, where ``N`` is
    the ``will_nonce`` of the party's ``join`` in this run (a will of another run has another).
    The host has a will too: host -> all, of the run's session, body ``{"reason": "connection
    lost"}``; the parties stop when it arrives."""
    NOTICE = "notice"
    """host -> one party: an envelope in the party's name was refused and held against nobody
    (body: ``refused`` message id, ``performative``, ``reason``, ``detail``); sent once per
    reason, so that a party whose messages are refused (a wrong key, another run's session)
    learns why. Informational: nothing in the negotiation changes."""
    PROOF_REQUEST = "proof_request"
    """party -> recorder, after the result: asks for receipts of ``body.message_ids``."""
    RECEIPT = "receipt"
    """recorder -> party: one receipt (``body.receipt``) or why there is none (``body.error``)."""
    BLOCKED = "blocked"
    """party -> host, within a turn: the party's runtime stopped an offer or acceptance outside
    its mandate (body: :class:`~accord.wire.BlockedBody`); for the log, the host ignores it."""
    APPROVAL = "approval"
    """party -> host, within a turn: a person's (or system's) decision on an action the
    mandate reserves for approval (body: :class:`~accord.wire.ApprovalBody`); for the log."""
    SIGN = "sign"
    """keeper (``host``) -> all, after the result: the charter the agreement becomes (body:
    :class:`~accord.wire.SignBody`), signed by the keeper, for every party to countersign.
    Envelopes of a charter carry its :attr:`~accord.lifecycle.Charter.session`, not the
    negotiation run's (see docs/lifecycle.md)."""
    COUNTERSIGN = "countersign"
    """party -> keeper: the party signs the charter (body: :class:`~accord.wire.CountersignBody`,
    the charter's digest)."""
    REFUSE = "refuse"
    """party -> keeper: the party will not sign the charter, and why
    (body: :class:`~accord.wire.RefuseBody`)."""
    REPORT = "report"
    """reporter -> all, any time after the charter: one observation of one KPI for one
    reporting period (body: :class:`~accord.wire.ReportBody`)."""
    REVISE = "revise"
    """party -> keeper: the party asks for the charter to be renegotiated, and why (body:
    :class:`~accord.wire.ReviseBody`); the keeper opens a renegotiation when the charter's
    ``revise_on`` has ``request``."""
    ALERT = "alert"
    """keeper (as monitor) -> all: a KPI breached its threshold, a report is overdue, or a
    report was refused (body: :class:`~accord.wire.AlertBody`)."""


ACTIONS = frozenset(
    {
        Performative.OFFER,
        Performative.ACCEPT,
        Performative.REJECT,
        Performative.END,
        Performative.FAILURE,
    }
)
"""Performatives a party sends in answer to a request."""


def _json_integer(value: object) -> object:
    """``value`` if it is an integer (not ``1.0``, not ``true``): ``v`` is not coerced."""
    if type(value) is not int:
        raise ValueError(f"must be a JSON integer, got {value!r}")
    return value


def new_session() -> str:
    """A fresh session nonce (:data:`SESSION_PATTERN`)."""
    return secrets.token_hex(16)


def now_ns() -> str:
    """The current wall-clock time in nanoseconds since the epoch, as the envelope wants it."""
    return str(time.time_ns())


class Envelope(BaseModel):
    """One message of one negotiation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Annotated[Literal[1], BeforeValidator(_json_integer)] = 1
    """Wire protocol version."""
    negotiation_id: Identifier
    session: Annotated[str, Field(pattern=SESSION_PATTERN)] | None = None
    """The run this envelope belongs to: the nonce of the host's ``open``. A negotiation id is
    reused when a scenario is run again with the same seed; the session is new each run, so an
    envelope signed in one run is never valid in another. ``None`` only in a party's last will
    (see :attr:`Performative.LOST`) and in runs without a host session (tests)."""
    message_id: Annotated[str, Field(min_length=1, max_length=200)]
    """Unique within the negotiation's session; accord uses ``<sender>:<seq>``."""
    sender: Identifier
    to: Identifier | None = None
    """The one recipient, or ``None`` for everybody in the negotiation."""
    seq: Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER, strict=True)]
    """Per-sender sequence number, from 0, without gaps; a JSON integer (``"3"`` or ``3.0``
    is refused, not coerced: the signature is over what was sent)."""
    performative: Performative
    round: Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER, strict=True)] = 0
    in_reply_to: str | None = None
    """The ``message_id`` of the request this envelope answers."""
    body: dict[str, JsonValue] = Field(default_factory=dict)
    sent_ns: Annotated[str, Field(pattern=r"^[0-9]{1,20}$")]
    """Send time, nanoseconds since the Unix epoch, as a decimal string."""
    sig: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{86}==$")] | None = None
    """The sender's Ed25519 signature (base64) over the RFC 8785 canonical JSON of every
    other field; see :mod:`accord.ledger.signing`."""


def compose(
    *,
    negotiation_id: str,
    sender: str,
    seq: int,
    performative: Performative,
    body: dict[str, JsonValue],
    to: str | None = None,
    round_: int = 0,
    in_reply_to: str | None = None,
    session: str | None = None,
    sent_ns: int | None = None,
) -> Envelope:
    """A new envelope from ``sender`` with message id ``<sender>:<seq>``, stamped now (or at
    ``sent_ns``: a transcript materialised after the run keeps the times of its events).

    Built without re-validation: the sender assembles it from values it has already checked,
    and every receiver that gets it from a transport validates what arrives. This is the
    hottest allocation of a simulation (see :mod:`accord.wire.checked`; ``tests/test_wire.py``
    checks that the result equals a validated envelope)."""
    fields = {
        "v": 1,
        "negotiation_id": negotiation_id,
        "session": session,
        "message_id": f"{sender}:{seq}",
        "sender": sender,
        "to": to,
        "seq": seq,
        "performative": performative,
        "round": round_,
        "in_reply_to": in_reply_to,
        "body": body,
        "sent_ns": str(_time_ns() if sent_ns is None else sent_ns),  # now_ns(), inlined
        "sig": None,
    }
    return filled(Envelope, fields, _ALL_FIELDS)


_ALL_FIELDS = frozenset(Envelope.model_fields)
_time_ns = time.time_ns
