"""Contract net: partner selection by complementary capabilities, then negotiation of terms.

References: R. G. Smith, "The contract net protocol: high-level communication and control in
a distributed problem solver", IEEE Transactions on Computers C-29(12), 1980; FIPA Contract
Net Interaction Protocol Specification, SC00029H, 2002.

1. **Call for proposals.** The ``initiator`` announces a partnership call with the
   capabilities it ``requires`` (``inform`` ``{"event": "cfp", "initiator", "requires"}``).
2. **Bids.** Every other party is asked to bid (request kind ``bid``, with ``requires`` and
   its own capabilities in the options): it answers with an ``offer`` (its proposed terms) or
   ``reject`` (it refuses). Bids are announced only when all are in.
3. **Awards.** For each bid, in turn order, the initiator decides (request kind ``award``: the
   bid as the offer, the bidder as proposer, the bidder's capabilities and those already
   ``covered`` in the options): ``accept`` awards it, ``reject`` turns it down. Each decision is
   announced (``{"event": "award", "party", "accept"}``); at most ``max_partners`` are awarded.
4. **Terms.** The initiator and the awarded partners negotiate the terms with the ``then``
   mechanism (default: stacked alternating offers), the others standing by. Its ending is the
   ending; without any award the negotiation ends with ``no_agreement``.

Capabilities are mechanism parameters (``capabilities: {party: [...]}``). Request kinds sent:
``bid``, ``award`` and those of the ``then`` mechanism.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import JsonValue

from accord.model import Value
from accord.protocols.actions import Accept, Ending, EndReason, Offer
from accord.protocols.mechanism import Mechanism
from accord.protocols.session import Session
from accord.wire import Performative, Request

__all__ = ["ContractNet"]


class ContractNet(Mechanism):
    """``initiator``: who calls; ``requires``: the capabilities it looks for;
    ``capabilities``: what each party brings; ``max_partners``: how many it may award;
    ``then``: ``{"name": mechanism, "params": {...}}`` for the terms."""

    name: ClassVar[str] = "contract-net"
    summary: ClassVar[str] = (
        "Contract net (Smith 1980; FIPA): call, bids, awards by capability, then terms"
    )
    requests: ClassVar[frozenset[str]] = frozenset({"bid", "award"})

    def __init__(
        self,
        *,
        initiator: str,
        requires: Sequence[str],
        capabilities: Mapping[str, Sequence[str]],
        max_partners: int | None = None,
        then: Mapping[str, Any] | None = None,
    ) -> None:
        from accord.protocols import MECHANISMS  # noqa: PLC0415  # the registry imports us

        if max_partners is not None and max_partners < 1:
            raise ValueError(f"max_partners must be >= 1, got {max_partners!r}")
        if initiator not in capabilities:
            raise ValueError(f"no capabilities given for the initiator {initiator!r}")
        spec = dict(then or {"name": "saop"})
        if spec.get("name") == self.name:
            raise ValueError("the terms cannot be negotiated by another contract net")
        self.initiator = initiator
        self.required = list(requires)
        self.capabilities = {p: list(c) for p, c in capabilities.items()}
        self.max_partners = max_partners
        self.then = MECHANISMS.create(str(spec.get("name")), spec.get("params") or {})
        self.requests = self.requests | self.then.requests  # type: ignore[misc]

    async def run(self, session: Session) -> Ending:
        if self.initiator not in session.parties:
            raise ValueError(f"the initiator {self.initiator!r} is not a party")
        bidders = [p for p in session.parties if p != self.initiator]
        await session.inform(
            {"event": "cfp", "initiator": self.initiator, "requires": list(self.required)}
        )
        bids: dict[str, dict[str, Value]] = {}
        for party in bidders:
            request = Request(
                kind="bid",
                proposer=self.initiator,
                options={"requires": list(self.required), "capabilities": self._of(party)},
            )
            action = await session.ask(party, request, {Performative.OFFER, Performative.REJECT})
            if isinstance(action, Offer):
                bids[party] = action.outcome
        for party in bidders:
            event: dict[str, JsonValue] = {"event": "bid", "party": party, "refused": True}
            if party in bids:
                event = {"event": "offer", "party": party, "outcome": dict(bids[party])}
            await session.inform(event)
        awarded = await self._award(session, bids)
        if not awarded:
            return Ending(EndReason.NO_AGREEMENT, detail="no bid was awarded")
        partners = [p for p in session.parties if p == self.initiator or p in awarded]
        await session.inform({"event": "partners", "parties": list(partners)})
        everybody = session.parties
        session.parties = tuple(partners)  # the terms are negotiated by the partners only
        try:
            ending = await self.then.run(session)
        finally:
            session.parties = everybody
        return dataclasses.replace(ending, bound=tuple(partners))

    async def _award(self, session: Session, bids: Mapping[str, dict[str, Value]]) -> list[str]:
        awarded: list[str] = []
        covered = set(self._of(self.initiator))
        for party, bid in bids.items():
            if self.max_partners is not None and len(awarded) >= self.max_partners:
                break
            request = Request(
                kind="award",
                offer=bid,
                proposer=party,
                options={
                    "requires": list(self.required),
                    "capabilities": self._of(party),
                    "covered": sorted(covered),
                },
            )
            decision = await session.ask(
                self.initiator, request, {Performative.ACCEPT, Performative.REJECT}
            )
            accepted = isinstance(decision, Accept)
            await session.inform({"event": "award", "party": party, "accept": accepted})
            if accepted:
                awarded.append(party)
                covered |= set(self._of(party))
        return awarded

    def _of(self, party: str) -> list[JsonValue]:
        return list(self.capabilities.get(party, []))
