"""Events: what the host tells every party, carried inside its next envelope to everybody.

A mechanism announces an event (an offer made, an acceptance, a vote, a draft) with
``session.inform(body)``. The host does not send it on its own: it keeps it, and its next
envelope that every party receives (a ``request``, which goes to everybody and names the party
asked in ``to``, or a ``result``, ``start``, ...) carries every event kept since, in order, in
its body's ``events`` list; each entry is ``{"round": r, "body": {...}}``, ``r`` the round the
host was in when it announced the event. So every event is signed once, by the host, inside an
envelope every party and the recorder receive. A host that must wait for something other than
the answer to a request it just sent flushes what it keeps as an ``inform`` whose body is only
``{"events": [...]}`` (:meth:`accord.protocols.Session.flush`).

An envelope addressed to one party only (a ``notice``) never carries events: every party must
see the same events (the audit's ``same_information``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from accord.wire.envelope import HOST, MAX_SAFE_INTEGER, Envelope, Performative

__all__ = ["EVENTS", "Event", "HostEvent", "InformBody", "carries_events", "events_of"]

EVENTS = "events"
"""The body field of a host envelope that carries events."""


class HostEvent(BaseModel):
    """One entry of a host envelope's ``events``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    round: Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER, strict=True)]
    """The round the host was in when it announced the event."""
    body: dict[str, JsonValue]
    """The event, as the mechanism announced it (``{"event": "offer", ...}``)."""


class InformBody(BaseModel):
    """Body of an ``inform``: events the host flushed because no other envelope to everybody
    was about to carry them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    events: Annotated[list[HostEvent], Field(min_length=1)]


def carries_events(envelope: Envelope) -> bool:
    """Whether ``envelope`` is one that may carry events: the host's, to everybody (a
    ``request`` goes to everybody whoever it asks)."""
    return envelope.sender == HOST and (
        envelope.to is None or envelope.performative is Performative.REQUEST
    )


class Event(NamedTuple):
    """An event found in a transcript: its round, its body and the host envelope carrying it."""

    round: int
    body: dict[str, JsonValue]
    message_id: str


def events_of(envelopes: Iterable[Envelope]) -> Iterator[Event]:
    """Every event the host's envelopes to everybody among ``envelopes`` carry, in order
    (entries that are not ``{"round": int, "body": {...}}`` are skipped). An ``inform``
    without ``events`` is one event, its body, in its round: what a log written before
    2026-12-05 holds (docs/ledger.md, "Old logs")."""
    for envelope in envelopes:
        if not carries_events(envelope):
            continue
        events = envelope.body.get(EVENTS)
        if events is None and envelope.performative is Performative.INFORM:
            yield Event(envelope.round, envelope.body, envelope.message_id)
            continue
        if not isinstance(events, list):
            continue
        for entry in events:
            if not isinstance(entry, dict):
                continue
            round_, body = entry.get("round"), entry.get("body")
            if type(round_) is int and isinstance(body, dict):
                yield Event(round_, body, envelope.message_id)
