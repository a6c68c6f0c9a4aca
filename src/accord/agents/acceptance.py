"""Acceptance conditions for BOA strategies.

Reference: T. Baarslag, K. Hindriks, C. Jonker, "Effective acceptance conditions in
multilateral negotiation", Decision Support Systems 60, 2014 (and "Acceptance conditions in
automated negotiation", 2011).

Each condition is an object with ``accepts(offer_utility, next_bid_utility, t, received)``:
the utility of the offer to decide on, the utility of the bid the party would make instead,
the relative time, and the utilities of every offer received so far (oldest first). The BOA
strategy never accepts below the reservation value, whatever the condition says.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol, runtime_checkable

__all__ = ["AcceptCombi", "AcceptConst", "AcceptNext", "AcceptTime", "AcceptanceCondition"]


@runtime_checkable
class AcceptanceCondition(Protocol):
    def accepts(
        self, offer_utility: float, next_bid_utility: float, t: float, received: Sequence[float]
    ) -> bool: ...


class AcceptNext:
    """AC_next(alpha, beta): ``alpha * u(offer) + beta >= u(next bid)``."""

    summary: ClassVar[str] = "AC_next: accept what is worth at least the next bid"

    def __init__(self, *, alpha: float = 1.0, beta: float = 0.0) -> None:
        self.alpha, self.beta = alpha, beta

    def accepts(
        self, offer_utility: float, next_bid_utility: float, t: float, received: Sequence[float]
    ) -> bool:
        return self.alpha * offer_utility + self.beta >= next_bid_utility - 1e-12


class AcceptConst:
    """AC_const(c): ``u(offer) >= c``."""

    summary: ClassVar[str] = "AC_const: accept what is worth at least a constant"

    def __init__(self, *, c: float = 0.8) -> None:
        self.c = c

    def accepts(
        self, offer_utility: float, next_bid_utility: float, t: float, received: Sequence[float]
    ) -> bool:
        return offer_utility >= self.c


class AcceptTime:
    """AC_time(T): accept anything once the relative time reaches ``T``."""

    summary: ClassVar[str] = "AC_time: accept anything after a time"

    def __init__(self, *, T: float = 0.99) -> None:  # noqa: N803  # the literature's name
        self.T = T

    def accepts(
        self, offer_utility: float, next_bid_utility: float, t: float, received: Sequence[float]
    ) -> bool:
        return t >= self.T


class AcceptCombi:
    """AC_combi(T, MAX): AC_next, or, from time ``T`` on, an offer at least as good as the
    best received so far (Baarslag et al.'s AC_combi with the MAX^T window)."""

    summary: ClassVar[str] = "AC_combi: AC_next, or late the best offer received so far"

    def __init__(self, *, T: float = 0.98) -> None:  # noqa: N803  # the literature's name
        self.T = T
        self.next = AcceptNext()

    def accepts(
        self, offer_utility: float, next_bid_utility: float, t: float, received: Sequence[float]
    ) -> bool:
        if self.next.accepts(offer_utility, next_bid_utility, t, received):
            return True
        return t >= self.T and offer_utility >= max(received, default=offer_utility)
