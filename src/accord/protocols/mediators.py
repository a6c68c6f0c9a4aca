"""Mediator proposal strategies for the mediated single-text protocol.

A mediator strategy is any object with the two methods of :class:`MediatorStrategy` (a
``typing.Protocol``: no base class needed). The mechanism calls ``initial`` once, then, each
round, ``propose`` with the current draft and, after the vote, ``feedback`` with whether every
party accepted the change. Drafts are positions: one index per issue into the issue's
enumerated values (``OutcomeSpace.shape``), so a strategy never deals with value types.

Built-ins are found by name in :data:`MEDIATORS` (``random-mutation``); other strategies by
entry point (group ``accord.mediators``) or import path (``package.module:Class``).
"""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from accord.model import OutcomeSpace
from accord.plugins import Registry

__all__ = ["MEDIATORS", "Draft", "MediatorStrategy", "RandomMutation"]

Draft = tuple[int, ...]
"""A draft contract: for each issue, the position of its value among the issue's values."""


@runtime_checkable
class MediatorStrategy(Protocol):
    def initial(self, space: OutcomeSpace, rng: np.random.Generator) -> Draft:
        """The first draft."""
        ...

    def propose(self, draft: Draft, relative_time: float) -> Draft:
        """A changed draft to put to the vote."""
        ...

    def feedback(self, proposal: Draft, accepted: bool) -> None:
        """Whether every party accepted ``proposal`` (it is the draft now if so)."""
        ...


class RandomMutation:
    """Klein et al.'s mediator: starts from a random contract and each round changes
    ``mutations`` randomly chosen issues to another random value."""

    summary: ClassVar[str] = "Random contract, then random changes of one (or more) issues"

    def __init__(self, *, mutations: int = 1) -> None:
        if mutations < 1:
            raise ValueError(f"mutations must be >= 1, got {mutations!r}")
        self.mutations = mutations

    def initial(self, space: OutcomeSpace, rng: np.random.Generator) -> Draft:
        self.shape = space.shape
        self.rng = rng
        return tuple(int(rng.integers(size)) for size in self.shape)

    def propose(self, draft: Draft, relative_time: float) -> Draft:
        changeable = [k for k, size in enumerate(self.shape) if size > 1]
        if not changeable:
            return draft
        count = min(self.mutations, len(changeable))
        proposal = list(draft)
        for k in self.rng.choice(changeable, size=count, replace=False):
            k = int(k)  # noqa: PLW2901  # numpy integer to index
            other = int(self.rng.integers(self.shape[k] - 1))
            proposal[k] = other if other < draft[k] else other + 1  # any value but the current
        return tuple(proposal)

    def feedback(self, proposal: Draft, accepted: bool) -> None:
        """Random mutation learns nothing from votes."""


MEDIATORS: Registry[MediatorStrategy] = Registry(
    "mediator", "mediators", "accord.mediators", {"random-mutation": RandomMutation}
)
"""Every mediator proposal strategy accord can find by name."""
