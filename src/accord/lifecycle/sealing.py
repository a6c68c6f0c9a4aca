"""Sealing a charter: the keeper's ``sign`` and every party's ``countersign`` or ``refuse``.

The keeper publishes ``sign`` with the whole charter (again every :data:`SIGN_REPEAT_S`, the
same envelope, so that a party that subscribed late still hears it) and waits, at most the
charter's ``sign_timeout`` seconds, until every party has answered. Only an answer signed by
its party, of the charter's session and naming the charter's digest counts; anything else on
the bus is noise, counted and held against nobody. The :class:`Sealing` names who signed, who
refused (with the reason they gave) and who stayed silent: the charter is in force only when
every party has signed.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from pydantic import ValidationError

from accord.broker import Bus, Inbox
from accord.ledger.signing import Signer, Verifier
from accord.lifecycle.charter import Charter
from accord.logs import get_logger
from accord.wire import CountersignBody, Envelope, Performative, RefuseBody, compose

__all__ = ["SIGN_REPEAT_S", "Sealing", "answer_of", "seal", "sign_envelope_for"]

log = get_logger("accord.lifecycle")

SIGN_REPEAT_S = 1.0


@dataclass
class Sealing:
    """How every party answered a charter's ``sign``."""

    charter: Charter
    signed: list[str] = field(default_factory=list)
    """Parties that countersigned, in the order they did."""
    refused: dict[str, str] = field(default_factory=dict)
    """Parties that refused, with their reasons."""
    noise: int = 0
    """Envelopes that arrived and did not count (unsigned, forged, another charter's, ...)."""

    @property
    def silent(self) -> list[str]:
        """Parties that neither signed nor refused in time."""
        return [p for p in self.charter.parties if p not in self.signed and p not in self.refused]

    @property
    def in_force(self) -> bool:
        return set(self.signed) == set(self.charter.parties)

    def summary(self) -> str:
        if self.in_force:
            return f"charter {self.charter.digest[:12]} signed by every party"
        said = [f"{p!r} refused ({reason})" for p, reason in self.refused.items()]
        said += [f"{p!r} did not answer" for p in self.silent]
        return f"charter {self.charter.digest[:12]} is not in force: " + "; ".join(said)


def sign_envelope_for(charter: Charter, signer: Signer | None) -> Envelope:
    """The keeper's ``sign`` of ``charter`` (sequence number 0 of the charter's session)."""
    envelope = compose(
        negotiation_id=charter.negotiation_id,
        sender=charter.keeper,
        seq=0,
        performative=Performative.SIGN,
        body={"charter": charter.model_dump(mode="json")},
        session=charter.session,
    )
    return envelope if signer is None else signer(envelope)


async def seal(
    bus: Bus, charter: Charter, *, signer: Signer | None, verifier: Verifier | None
) -> Sealing:
    """Ask every party of ``charter`` to countersign it over ``bus``; see the module
    docstring. ``verifier`` holds the parties' public keys (``None``: answers are taken
    unsigned, for in-process tests only)."""
    sealing = Sealing(charter)
    request = sign_envelope_for(charter, signer)
    bound = log.bind(negotiation_id=charter.negotiation_id, charter=charter.digest[:12])
    async with bus.subscribe(charter.negotiation_id, charter.keeper) as inbox:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(charter.sign_timeout):
                while sealing.silent:
                    await bus.publish(request)
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(SIGN_REPEAT_S):
                            await _answers(inbox, sealing, verifier)
    for party, reason in sealing.refused.items():
        bound.warning("charter_refused", party=party, reason=reason)
    if sealing.silent:
        bound.warning("charter_unanswered", parties=sealing.silent)
    bound.info("charter_sealed" if sealing.in_force else "charter_not_sealed")
    return sealing


async def _answers(inbox: Inbox, sealing: Sealing, verifier: Verifier | None) -> None:
    while sealing.silent:
        envelope = await inbox.get()
        answer = answer_of(envelope, sealing, verifier)
        if answer is None:
            sealing.noise += 1
            continue
        party, reason = answer
        if reason is None:
            sealing.signed.append(party)
        else:
            sealing.refused[party] = reason


def answer_of(
    envelope: Envelope, sealing: Sealing, verifier: Verifier | None
) -> tuple[str, str | None] | None:
    """``(party, None)`` for a countersignature, ``(party, reason)`` for a refusal, ``None``
    for anything that does not count as the party's answer to this charter."""
    charter = sealing.charter
    party = envelope.sender
    if (
        envelope.session != charter.session
        or party not in sealing.silent
        or envelope.performative not in (Performative.COUNTERSIGN, Performative.REFUSE)
        or (verifier is not None and verifier.problem(envelope) is not None)
    ):
        return None
    try:
        if envelope.performative is Performative.COUNTERSIGN:
            digest = CountersignBody.model_validate(envelope.body).charter
            reason = None
        else:
            refusal = RefuseBody.model_validate(envelope.body)
            digest, reason = refusal.charter, refusal.reason
    except ValidationError:
        return None
    return (party, reason) if digest == charter.digest else None
