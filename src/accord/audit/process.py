"""Process metrics: how the negotiation went, read from the messages of the log.

* **Concession curves**: every offer a party made, with its own utility and every other
  party's, by round. A party's *concession* is how far its own utility fell from its first
  offer to its lowest; it *conceded* when that exceeds ``CONCEDED`` (1e-9). A party that never
  conceded while another did is listed in ``never_conceded``: the pattern of exploitation of
  a conceding opponent.
* **Turns**: the announced turn order and who made the first offer.
* **Response times**: for each answer to a host's request, the time between the recorder
  logging the request and logging the answer (one clock, the recorder's, for everybody);
  ``response_time_ratio`` is the slowest party's median over the fastest's.
* **Messages** sent per party and protocol violations, by party. Only what a party signed is
  held against it: a signed envelope that conflicts with another it signed under the same
  sequence number (``conflict``) is its violation; what the recorder refused as unsigned,
  badly signed, from an unknown sender or a repeat is **noise**, listed apart
  (``noise``) with the sender it claimed, and counted under that name as
  ``refused_messages`` only for information.
* **Same information**: whether every event went to every party (events ride only on host
  envelopes to everybody, a ``request`` included: none addressed to some parties only carries
  any) and every offer was announced to all; otherwise the differences.
"""

from __future__ import annotations

import statistics
from collections import Counter

from pydantic import BaseModel, ConfigDict

from accord.audit.transcript import Transcript
from accord.errors import OutcomeError
from accord.model import BoundProfile
from accord.wire import EVENTS, HOST, Performative, carries_events, events_of

__all__ = ["CONCEDED", "NOISE", "OfferPoint", "PartyProcess", "ProcessMetrics", "process_metrics"]

CONCEDED = 1e-9
NOISE = frozenset(
    {"unsigned", "bad_signature", "unknown_sender", "duplicate", "stale_session", "stale_will"}
)
"""Statuses of envelopes nobody can be held to, because anyone can send them: the recorder's
(unsigned, forged, repeated) and the audit's own (an earlier run's envelope, replayed; see
:func:`~accord.audit.transcript.load_transcript`)."""
ANSWERS = {Performative.OFFER, Performative.ACCEPT, Performative.REJECT, Performative.END}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OfferPoint(_Model):
    round: int
    relative_time: float | None
    utilities: dict[str, float]
    """Every party's utility of the offer, the proposer's own included."""


class PartyProcess(_Model):
    offers: list[OfferPoint]
    concession: float
    """First offer's own utility minus the lowest own utility offered (0 without offers)."""
    first_concession_round: int | None
    others_gain_from_concessions: float
    """Mean utility of the other parties in the party's last offer minus in its first."""
    messages: int
    refused_messages: int
    violations: list[str]
    median_response_ms: float | None
    max_response_ms: float | None


class ProcessMetrics(_Model):
    turn_order: list[str]
    first_mover: str | None
    rounds: int
    parties: dict[str, PartyProcess]
    never_conceded: list[str]
    """Parties that never conceded while another party did."""
    response_time_ratio: float | None
    same_information: bool
    information_differences: list[str]
    noise: list[str] = []
    """Envelopes held against nobody (unsigned, badly signed, an unknown sender, a repeat, an
    earlier run's envelope replayed): why, the message id, the sender claimed and the entry."""


def process_metrics(transcript: Transcript, profiles: dict[str, BoundProfile]) -> ProcessMetrics:
    accepted = transcript.accepted
    requests = {
        m.envelope.message_id: m
        for m in accepted
        if m.envelope.sender == HOST and m.envelope.performative is Performative.REQUEST
    }
    offers: dict[str, list[OfferPoint]] = {p: [] for p in transcript.parties}
    waits: dict[str, list[float]] = {p: [] for p in transcript.parties}
    for m in accepted:
        e = m.envelope
        if e.sender not in offers or e.performative not in ANSWERS:
            continue
        request = requests.get(e.in_reply_to or "")
        if request is not None:
            waits[e.sender].append((m.received_ns - request.received_ns) / 1e6)
        if e.performative is Performative.OFFER and isinstance(e.body.get("outcome"), dict):
            outcome = e.body["outcome"]
            try:
                utilities = {p: profiles[p].of(outcome) for p in transcript.parties}  # type: ignore[arg-type]
            except (OutcomeError, ValueError):
                continue  # an offer outside the space: a violation, reported as one
            t = request.envelope.body.get("relative_time") if request is not None else None
            offers[e.sender].append(
                OfferPoint(
                    round=e.round,
                    relative_time=float(t) if isinstance(t, int | float) else None,
                    utilities=utilities,
                )
            )
    sent = Counter(m.envelope.sender for m in accepted)
    refused = Counter(m.envelope.sender for m in transcript.messages if m.status in NOISE)
    violations = _violations(transcript)
    parties = {
        p: _party(
            p,
            offers=offers[p],
            waits=waits[p],
            sent=sent[p],
            refused=refused[p],
            violations=violations.get(p, []),
        )
        for p in transcript.parties
    }
    conceders = [p for p, s in parties.items() if s.concession > CONCEDED]
    never = [p for p, s in parties.items() if conceders and s.concession <= CONCEDED and s.offers]
    medians = [s.median_response_ms for s in parties.values() if s.median_response_ms]
    ratio = max(medians) / min(medians) if len(medians) >= 2 and min(medians) > 0 else None
    first = next(
        (m.envelope.sender for m in accepted if m.envelope.performative is Performative.OFFER),
        None,
    )
    differences = _information(transcript)
    result = transcript.result or {}
    rounds = result.get("rounds")
    return ProcessMetrics(
        turn_order=list(transcript.parties),
        first_mover=first,
        rounds=rounds
        if isinstance(rounds, int)
        else max((m.envelope.round for m in accepted), default=0),
        parties=parties,
        never_conceded=never,
        response_time_ratio=ratio,
        same_information=not differences,
        information_differences=differences,
        noise=[
            f"{m.status}: {m.envelope.message_id} claiming to be {m.envelope.sender!r} "
            f"(entry {m.index})"
            for m in transcript.messages
            if m.status in NOISE
        ],
    )


def _party(
    party: str,
    *,
    offers: list[OfferPoint],
    waits: list[float],
    sent: int,
    refused: int,
    violations: list[str],
) -> PartyProcess:
    own = [o.utilities[party] for o in offers]
    concession = own[0] - min(own) if own else 0.0
    first_round = next((o.round for o in offers if own[0] - o.utilities[party] > CONCEDED), None)

    def others(point: OfferPoint) -> float:
        values = [u for p, u in point.utilities.items() if p != party]
        return sum(values) / len(values) if values else 0.0

    return PartyProcess(
        offers=offers,
        concession=max(concession, 0.0),
        first_concession_round=first_round,
        others_gain_from_concessions=others(offers[-1]) - others(offers[0]) if offers else 0.0,
        messages=sent,
        refused_messages=refused,
        violations=violations,
        median_response_ms=statistics.median(waits) if waits else None,
        max_response_ms=max(waits) if waits else None,
    )


def _violations(transcript: Transcript) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in transcript.messages:
        if m.status == "conflict":  # signed by the party: two envelopes under one seq
            out.setdefault(m.envelope.sender, []).append(
                f"{m.status}: {m.envelope.message_id} (entry {m.index})"
            )
    result = transcript.result or {}
    party, reason = result.get("party"), result.get("reason")
    if reason == "protocol_violation" and isinstance(party, str):
        out.setdefault(party, []).append(f"protocol_violation: {result.get('detail', '')}")
    return out


def _information(transcript: Transcript) -> list[str]:
    """Events not shared with every party."""
    differences = []
    accepted = [m.envelope for m in transcript.accepted]
    for m in transcript.accepted:
        e = m.envelope
        told = e.performative is Performative.INFORM or EVENTS in e.body
        if e.sender == HOST and told and not carries_events(e):
            differences.append(f"entry {m.index}: an event told to {e.to!r} only")
    announced = [
        event.body.get("outcome")
        for event in events_of(accepted)
        if event.body.get("event") == "offer"
    ]
    offered = [
        m.envelope.body.get("outcome")
        for m in transcript.accepted
        if m.envelope.performative is Performative.OFFER and m.envelope.sender != HOST
    ]
    unannounced = [o for o in offered if o not in announced]
    if unannounced and transcript.result is not None:
        reason = transcript.result.get("reason")
        # the offer that ended a negotiation by violating the protocol is never announced
        allowed = 1 if reason in {"protocol_violation", "deadline"} else 0
        if len(unannounced) > allowed:
            differences.append(f"{len(unannounced)} offers were never announced to every party")
    return differences
