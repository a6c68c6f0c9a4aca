"""Mediator proposal strategies for the single-text tests, named by import path."""

from __future__ import annotations

import numpy as np

from accord.model import OutcomeSpace
from accord.protocols.mediators import Draft


class Sweeps:
    """Starts from the first outcome and steps the last issue up by one each round,
    counting the votes it hears about."""

    def initial(self, space: OutcomeSpace, rng: np.random.Generator) -> Draft:
        self.shape = space.shape
        self.accepted = 0
        self.rejected = 0
        return tuple(0 for _ in self.shape)

    def propose(self, draft: Draft, relative_time: float) -> Draft:
        last = (draft[-1] + 1) % self.shape[-1]
        return (*draft[:-1], last)

    def feedback(self, proposal: Draft, accepted: bool) -> None:
        if accepted:
            self.accepted += 1
        else:
            self.rejected += 1


class Breaks(Sweeps):
    """Proposes a draft with a position outside its issue's values."""

    def propose(self, draft: Draft, relative_time: float) -> Draft:
        return (*draft[:-1], self.shape[-1] + 5)
