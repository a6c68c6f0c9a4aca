"""Coalition value division: the members of a coalition agree how to share what it creates.

References: L. S. Shapley, "A value for n-person games", 1953 (the Shapley value); D. B.
Gillies, "Solutions to general non-zero-sum games", 1959 (the core). The proposal-and-vote
procedure is the unanimity bargaining of A. Okada, "A noncooperative coalitional bargaining
game with random proposers", Games and Economic Behavior 16, 1996, with proposers in turn.

The value of every sub-coalition comes from the mechanism's parameters (``game``: an explicit
characteristic function ``values`` or a model of complementary ``capabilities`` and
``projects``, see :class:`~accord.coalition.Game`). The scenario has one numeric issue per
party, named by its id: the party's share, in the game's units; a division must share out
exactly ``v(N)`` (otherwise it is a violation, ``inefficient_division``).

The host announces the game (``inform`` ``{"event": "game", "game": spec, "grand": v(N)}``).
Then, in turn order, one party proposes a division (request kind ``divide``; answer ``offer``)
and every other party votes on it (``vote``; ``accept`` or ``reject``). A division every party
accepts is the agreement, and the host reports it against the Shapley value, the core and the
stand-alone values (``{"event": "division", ...}``, see
:class:`~accord.coalition.DivisionReport`). A round is one cycle of proposers.

Request kinds sent: ``divide``, ``vote``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

import numpy as np
from pydantic import JsonValue

from accord.coalition import Game, division_report
from accord.errors import InputError
from accord.protocols.actions import Accept, Ending, EndReason, Offer
from accord.protocols.mechanism import Mechanism
from accord.protocols.session import Session
from accord.wire import Performative, Request

__all__ = ["CoalitionDivision"]

VOTES = frozenset({Performative.ACCEPT, Performative.REJECT})


class CoalitionDivision(Mechanism):
    """``game``: ``{"values": {"a+b": 3, ...}}`` or ``{"capabilities": {party: [...]},
    "projects": [{"requires": [...], "value": 5}, ...]}``."""

    name: ClassVar[str] = "coalition"
    summary: ClassVar[str] = (
        "Coalition value division: proposers in turn, unanimous votes; Shapley value and core"
    )
    requests: ClassVar[frozenset[str]] = frozenset({"divide", "vote"})

    def __init__(self, *, game: Mapping[str, Any]) -> None:
        if not isinstance(game, Mapping):
            raise ValueError(f"game must be a mapping, got {game!r}")
        Game.from_spec(_players_named_in(game), game)  # checks the form early
        self.spec = dict(game)

    async def run(self, session: Session) -> Ending:
        parties = session.parties
        if sorted(session.space.names) != sorted(parties):
            raise InputError(
                "the coalition mechanism needs one issue per party, named by its id: the "
                f"parties are {sorted(parties)!r}, the issues {sorted(session.space.names)!r}"
            )
        game = Game.from_spec(parties, self.spec)
        grand = game.grand
        await session.inform(
            {"event": "game", "game": cast("JsonValue", self.spec), "grand": grand}
        )
        turn = 0
        while True:
            if turn and turn % len(parties) == 0:
                session.next_round()
            proposer = parties[turn % len(parties)]
            turn += 1
            action = await session.ask(
                proposer, Request(kind="divide", options={"grand": grand}), {Performative.OFFER}
            )
            if not isinstance(action, Offer):  # pragma: no cover - only offers are allowed
                raise TypeError(f"expected an offer from {proposer!r}, got {action!r}")
            division = {p: float(cast("float", action.outcome[p])) for p in parties}
            total = sum(division.values())
            if abs(total - grand) > 1e-9 * max(1.0, abs(grand)):
                raise session.violation(
                    proposer,
                    "inefficient_division",
                    f"shares sum to {total:g}, the coalition is worth {grand:g}",
                )
            await session.inform(
                {
                    "event": "offer",
                    "party": proposer,
                    "outcome": dict[str, JsonValue](action.outcome),
                }
            )
            if await _unanimous(session, proposer, action):
                report = division_report(game, division, rng=np.random.default_rng(session.seed))
                await session.inform(
                    {"event": "division", **cast("dict[str, JsonValue]", report.as_json())}
                )
                core = {True: "in the core", False: "not in the core", None: "core not checked"}
                return Ending(
                    EndReason.AGREEMENT,
                    agreement=action.outcome,
                    detail=f"the division of {proposer!r}, {core[report.core.in_core]}",
                )


async def _unanimous(session: Session, proposer: str, offer: Offer) -> bool:
    request = Request(kind="vote", offer=offer.outcome, proposer=proposer)
    everybody = True
    for voter in session.parties:
        if voter == proposer:
            continue
        accepts = isinstance(await session.ask(voter, request, VOTES), Accept)
        await session.inform({"event": "vote", "party": voter, "accept": accepts})
        everybody = everybody and accepts
    return everybody


def _players_named_in(spec: Mapping[str, Any]) -> list[str]:
    """The players a game specification mentions (to check its form before the parties are
    known)."""
    if "values" in spec and isinstance(spec["values"], Mapping):
        names = {m.strip() for key in spec["values"] for m in str(key).split("+") if m.strip()}
        return sorted(names)
    if isinstance(spec.get("capabilities"), Mapping):
        return sorted(str(p) for p in spec["capabilities"])
    return []
