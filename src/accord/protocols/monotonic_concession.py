"""Monotonic concession protocol (MCP).

Reference: J. S. Rosenschein and G. Zlotkin, *Rules of Encounter: Designing Conventions for
Automated Negotiation among Computers*, MIT Press, 1994 (chapter 3); the concession rule its
strategies follow is F. Zeuthen's, *Problems of Monopoly and Economic Warfare*, 1930.

The protocol assumes complete information, as Rosenschein and Zlotkin do: the host first
tells every party every party's profile (an ``inform`` ``{"event": "profiles", ...}``), so
each can weigh what the others stand to lose. Then:

1. Every party proposes a deal (request kind ``propose``). Proposals are simultaneous: the
   host announces them only when it has all of them.
2. If one party's proposal is worth at least as much to every other party as that party's
   own proposal, it is the agreement (when several are, one of them at random, seeded).
3. Otherwise, a new round: every party makes a new proposal (request kind ``concede``, with
   every current proposal in ``options.proposals``). It may repeat its proposal (stand
   still) or concede; a new proposal that is worth less to any other party than the one it
   replaces goes backwards, a protocol violation that ends the negotiation naming the party.
4. If nobody conceded, the negotiation ends in the conflict deal (``no_agreement``).

The host checks agreement and monotonicity with the profiles it holds, so no party can
claim a concession it did not make. Request kinds sent: ``propose``, ``concede``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from pydantic import JsonValue

from accord.model import BoundProfile, Value
from accord.protocols.actions import Ending, EndReason, Offer
from accord.protocols.mechanism import Mechanism
from accord.protocols.session import Session
from accord.wire import Performative, Request

__all__ = ["MonotonicConcession"]

EPSILON = 1e-12
"""Utilities closer than this are equal (a concession must gain somebody more than this)."""


class MonotonicConcession(Mechanism):
    """Simultaneous proposals, monotonic concessions, conflict when nobody concedes."""

    name: ClassVar[str] = "mcp"
    summary: ClassVar[str] = (
        "Monotonic concession protocol (Rosenschein & Zlotkin 1994): simultaneous proposals, "
        "concede or stand still"
    )
    requests: ClassVar[frozenset[str]] = frozenset({"propose", "concede"})

    async def run(self, session: Session) -> Ending:
        profiles = session.profiles
        if profiles is None:
            raise RuntimeError("the monotonic concession protocol needs the parties' profiles")
        parties = session.parties
        await session.inform(
            {
                "event": "profiles",
                "profiles": {p: profiles[p].profile.model_dump(mode="json") for p in parties},
            }
        )
        rng = np.random.default_rng(session.seed)
        proposals: dict[str, dict[str, Value]] = {}
        for party in parties:
            proposals[party] = await _proposal(session, party, Request(kind="propose"))
        await _announce(session, proposals)
        while True:
            agreed = _agreements(proposals, profiles)
            if agreed:
                chosen = agreed[int(rng.integers(len(agreed)))] if len(agreed) > 1 else agreed[0]
                return Ending(EndReason.AGREEMENT, agreement=proposals[chosen], party=None)
            session.next_round()
            request = Request(kind="concede", options={"proposals": _json(proposals)})
            previous, conceded = dict(proposals), False
            for party in parties:
                new = await _proposal(session, party, request)
                for other in parties:
                    if other == party:
                        continue
                    before = profiles[other].of(previous[party])
                    after = profiles[other].of(new)
                    if after < before - EPSILON:
                        raise session.violation(
                            party,
                            "backward_concession",
                            f"its new proposal is worth {after:.6g} to {other!r}, less than "
                            f"its previous one ({before:.6g})",
                        )
                    conceded = conceded or after > before + EPSILON
                proposals[party] = new
            await _announce(session, proposals)
            if not conceded:
                return Ending(
                    EndReason.NO_AGREEMENT,
                    detail=f"nobody conceded in round {session.round}: the conflict deal",
                )


async def _proposal(session: Session, party: str, request: Request) -> dict[str, Value]:
    action = await session.ask(party, request, {Performative.OFFER})
    if not isinstance(action, Offer):  # pragma: no cover - the session allows only offers
        raise TypeError(f"expected an offer from {party!r}, got {action!r}")
    return action.outcome


async def _announce(session: Session, proposals: Mapping[str, dict[str, Value]]) -> None:
    for party, outcome in proposals.items():
        await session.inform(
            {"event": "offer", "party": party, "outcome": dict[str, JsonValue](outcome)}
        )


def _agreements(
    proposals: Mapping[str, dict[str, Value]], profiles: Mapping[str, BoundProfile]
) -> list[str]:
    """The parties whose proposal every other party likes at least as much as its own."""
    return [
        party
        for party, outcome in proposals.items()
        if all(
            profiles[other].of(outcome) >= profiles[other].of(own) - EPSILON
            for other, own in proposals.items()
            if other != party
        )
    ]


def _json(proposals: Mapping[str, dict[str, Value]]) -> dict[str, JsonValue]:
    return {party: dict[str, JsonValue](outcome) for party, outcome in proposals.items()}
