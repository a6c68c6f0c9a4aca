"""The mechanism host: runs one mechanism over a session from handshake to result.

Order of events, as every party sees them: each party sends ``join``; the host sends
``start`` to all; the mechanism exchanges ``request``/answer pairs and announces events (each
carried by the host's next request or its result); the host sends ``result`` to all. Party
faults and deadlines raised inside the mechanism become the ending here, so a misbehaving
party ends the negotiation cleanly with its name on it.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue

from accord.errors import (
    DeadlineReached,
    PartyFailed,
    PartyFault,
    PartyLost,
    ProtocolViolation,
    TurnTimeout,
)
from accord.protocols.actions import Ending, EndReason
from accord.protocols.mechanism import Mechanism
from accord.protocols.session import Session
from accord.wire import Performative

__all__ = ["host_negotiation"]

_FAULT_REASONS: dict[type[PartyFault], EndReason] = {
    ProtocolViolation: EndReason.PROTOCOL_VIOLATION,
    TurnTimeout: EndReason.TURN_TIMEOUT,
    PartyFailed: EndReason.STRATEGY_ERROR,
    PartyLost: EndReason.PARTY_LOST,
}


async def host_negotiation(
    session: Session, mechanism: Mechanism, start: Mapping[str, JsonValue]
) -> Ending:
    """Gather the parties, send ``start``, run ``mechanism``, send ``result``; return the
    ending. Raises :class:`~accord.errors.HandshakeTimeout` if a party never joins."""
    await session.gather_parties()
    session.start_clock()
    await session.send(Performative.START, start)
    session.log.info("negotiation_started", mechanism=mechanism.name, parties=session.parties)
    try:
        ending = await mechanism.run(session)
    except DeadlineReached as exc:
        ending = Ending(EndReason.DEADLINE, detail=str(exc))
    except PartyFault as exc:
        ending = Ending(_FAULT_REASONS[type(exc)], party=exc.party, detail=exc.detail)
    session.drain()
    await session.send(
        Performative.RESULT,
        {
            "reason": ending.reason.value,
            "agreement": None
            if ending.agreement is None
            else dict[str, JsonValue](ending.agreement),
            "party": ending.party,
            "detail": ending.detail,
            "rounds": session.rounds_played,
        },
    )
    session.log.info(
        "negotiation_ended",
        reason=ending.reason.value,
        party=ending.party,
        rounds=session.rounds_played,
    )
    return ending
