"""Mediated single-text negotiation.

Reference: M. Klein, P. Faratin, H. Sayama, Y. Bar-Yam, "Negotiating complex contracts",
Group Decision and Negotiation 12(2), 2003 (after R. Fisher's single negotiating text).

A mediator (the host) keeps one draft contract. Each round its proposal strategy (pluggable,
see :mod:`accord.protocols.mediators`) proposes a changed draft; every party votes on it
(request kind ``vote``: the proposal as the offer, the current draft in
``options.draft``); the change is made only if every party accepts. Mediation stops one round
before the deadline (or after ``patience`` proposals in a row were rejected); then every
party votes on the final draft (``options.ratify`` is ``true``): if all accept, it is the
agreement, otherwise the negotiation ends with ``no_agreement`` naming who refused.

Events (``inform``): ``{"event": "draft", "outcome"}`` for the first draft and every accepted
change, ``{"event": "proposal", "outcome"}`` before each vote, ``{"event": "vote", "party",
"accept"}`` for each vote. Request kinds sent: ``vote``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import numpy as np
from pydantic import JsonValue

from accord.model import OutcomeSpace, Value
from accord.protocols.actions import Accept, Ending, EndReason
from accord.protocols.mechanism import Mechanism
from accord.protocols.mediators import MEDIATORS, Draft, MediatorStrategy
from accord.protocols.session import Session
from accord.wire import HOST, Performative, Request

__all__ = ["MediatedSingleText"]

T = TypeVar("T")

VOTES = frozenset({Performative.ACCEPT, Performative.REJECT})


class MediatedSingleText(Mechanism):
    """``mediator``: the proposal strategy (a name from ``MEDIATORS`` or an import path)
    with ``mediator_params``; ``patience``: stop mediating after this many rejections in a
    row (default: mediate until the round before the deadline)."""

    name: ClassVar[str] = "single-text"
    summary: ClassVar[str] = (
        "Mediated single text (Klein et al. 2003): a mediator proposes changes, parties vote"
    )
    requests: ClassVar[frozenset[str]] = frozenset({"vote"})

    def __init__(
        self,
        *,
        mediator: str = "random-mutation",
        mediator_params: Mapping[str, Any] | None = None,
        patience: int | None = None,
    ) -> None:
        if patience is not None and patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience!r}")
        self.mediator_name = mediator
        self.mediator: MediatorStrategy = MEDIATORS.create(mediator, mediator_params or {})
        self.patience = patience

    async def run(self, session: Session) -> Ending:
        try:
            return await self._mediate(session)
        except _MediatorFailed as exc:
            session.log.exception("mediator_failed", mediator=self.mediator_name, error=str(exc))
            return Ending(EndReason.NO_AGREEMENT, detail=f"the mediator failed: {exc}")

    async def _mediate(self, session: Session) -> Ending:
        space = session.space
        rng = np.random.default_rng(session.seed)
        draft = _call(self.mediator.initial, space, rng)
        if session.status_quo is not None:  # a renegotiation starts from the terms in force
            draft = _positions(space, session.status_quo)
        await session.inform({"event": "draft", "outcome": _json(space, draft)})
        rejections = 0
        while not self._done(session, rejections):
            proposal = _call(self.mediator.propose, draft, session.relative_time)
            outcome = _outcome(space, proposal)
            await session.inform({"event": "proposal", "outcome": dict[str, JsonValue](outcome)})
            refused = await self._vote(session, outcome, _outcome(space, draft), ratify=False)
            _call(self.mediator.feedback, proposal, not refused)
            if refused:
                rejections += 1
            else:
                draft, rejections = proposal, 0
                await session.inform({"event": "draft", "outcome": _json(space, draft)})
            session.next_round()
        final = _outcome(space, draft)
        refused = await self._vote(session, final, final, ratify=True)
        if refused:
            return Ending(
                EndReason.NO_AGREEMENT,
                detail=f"the final draft was not ratified by {refused!r}",
            )
        return Ending(EndReason.AGREEMENT, agreement=final)

    def _done(self, session: Session, rejections: int) -> bool:
        rounds = session.deadline.rounds
        if rounds is not None and session.round >= rounds - 1:
            return True
        return self.patience is not None and rejections >= self.patience

    async def _vote(
        self,
        session: Session,
        offer: dict[str, Value],
        draft: dict[str, Value],
        *,
        ratify: bool,
    ) -> list[str]:
        """Ask every party to vote; return those who rejected."""
        request = Request(
            kind="vote",
            offer=offer,
            proposer=HOST,
            options={"draft": dict[str, JsonValue](draft), "ratify": ratify},
        )
        refused = []
        for party in session.parties:
            action = await session.ask(party, request, VOTES)
            accepts = isinstance(action, Accept)
            if not accepts:
                refused.append(party)
            await session.inform({"event": "vote", "party": party, "accept": accepts})
        return refused


class _MediatorFailed(Exception):  # internal signal, never escapes the mechanism
    """The mediator strategy raised or proposed something that is not a draft."""


def _call(method: Callable[..., T], *args: object) -> T:
    """Call a mediator method; any exception it raises becomes :class:`_MediatorFailed`."""
    try:
        return method(*args)
    except Exception as exc:  # a mediator plug-in must not crash the host
        raise _MediatorFailed(f"{type(exc).__name__}: {exc}") from exc


def _outcome(space: OutcomeSpace, draft: object) -> dict[str, Value]:
    """The outcome of a draft, which must be one valid position per issue."""
    shape = space.shape
    if (
        not isinstance(draft, tuple | list)
        or len(draft) != len(shape)
        or not all(
            isinstance(v, int | np.integer) and 0 <= v < n
            for v, n in zip(draft, shape, strict=True)
        )
    ):
        raise _MediatorFailed(f"a draft is one position per issue within {shape!r}, got {draft!r}")
    return space.outcome_at(int(np.ravel_multi_index(tuple(int(v) for v in draft), shape)))


def _positions(space: OutcomeSpace, outcome: Mapping[str, Value]) -> Draft:
    """The draft of ``outcome``: the position of each issue's value among its values."""
    return tuple(
        next(p for p in range(issue.cardinality) if issue.at(p) == outcome[issue.name])
        for issue in space.issues
    )


def _json(space: OutcomeSpace, draft: Draft) -> dict[str, JsonValue]:
    return dict[str, JsonValue](_outcome(space, draft))
