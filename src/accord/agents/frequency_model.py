"""A frequency-based opponent model, one per opponent.

Reference: T. Baarslag, M. Hendrikx, K. Hindriks, C. Jonker, "Predicting the performance of
opponent models in automated negotiation", WI-IAT 2013 (the HardHeaded frequency model of
van Krimpen, Looije and Hajizadeh, ANAC 2011).

An opponent is assumed to keep the values it cares about: each time an issue's value is the
same as in the opponent's previous offer, that issue's weight grows by ``learning_rate`` (the
weights are then normalised); each value is estimated by how often the opponent has offered it
(relative to its most offered value of the issue, with add-one smoothing). The predicted
utility of an outcome is the weighted sum of its estimated values, for every outcome of the
space at once.

:class:`OpponentModels` keeps one model per opponent and predicts the *least* predicted
utility among them: an offer has to please every opponent, not only one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from accord.agents.strategy import OfferEvent
from accord.model import Outcome, OutcomeSpace

__all__ = ["FrequencyModel", "OpponentModels"]

Column = npt.NDArray[np.float64]


class FrequencyModel:
    """What one opponent seems to want, learnt from the offers it made."""

    def __init__(self, space: OutcomeSpace, *, learning_rate: float = 0.1) -> None:
        self.space = space
        self.learning_rate = learning_rate
        self.axes = [space.axis_values(k) for k in range(len(space.issues))]
        self.counts = [np.zeros(len(axis)) for axis in self.axes]
        self.weights = np.full(len(self.axes), 1.0 / len(self.axes))
        self.offers = 0
        self._last: list[int] | None = None

    def positions(self, outcome: Outcome) -> list[int]:
        """Each issue's value in ``outcome`` as its position among the issue's values."""
        row = self.space.encode(outcome)
        return [int(np.argmin(np.abs(axis - v))) for axis, v in zip(self.axes, row, strict=True)]

    def update(self, outcome: Outcome) -> None:
        positions = self.positions(outcome)
        if self._last is not None:
            unchanged = np.array([a == b for a, b in zip(positions, self._last, strict=True)])
            self.weights = self.weights + self.learning_rate * unchanged
            self.weights /= self.weights.sum()
        for count, position in zip(self.counts, positions, strict=True):
            count[position] += 1
        self._last = positions
        self.offers += 1

    def value_estimates(self) -> list[Column]:
        """For each issue, the estimated value (0 to 1) of each of its values."""
        smoothed = [count + 1.0 for count in self.counts]
        return [s / s.max() for s in smoothed]

    def predict(self, indices: npt.NDArray[np.int32] | None = None) -> Column:
        """Predicted utility of the outcomes whose per-issue positions are ``indices``
        (default: the whole space)."""
        rows = self.space.indices if indices is None else indices
        total = np.zeros(len(rows))
        for k, estimate in enumerate(self.value_estimates()):
            total += self.weights[k] * estimate[rows[:, k]]
        return total


class OpponentModels:
    """A :class:`FrequencyModel` per opponent, fed from the offers every party sees."""

    summary: ClassVar[str] = "Frequency model per opponent; predicts the least-pleased one"

    def __init__(self, *, learning_rate: float = 0.1) -> None:
        self.learning_rate = learning_rate
        self.models: dict[str, FrequencyModel] = {}
        self._seen = 0

    def observe(self, me: str, space: OutcomeSpace, offers: Iterable[OfferEvent]) -> None:
        """Learn from the offers made since the last call (``offers`` is the whole list)."""
        events = list(offers)
        for event in events[self._seen :]:
            if event.party == me:
                continue
            model = self.models.get(event.party)
            if model is None:
                model = self.models[event.party] = FrequencyModel(
                    space, learning_rate=self.learning_rate
                )
            model.update(event.outcome)
        self._seen = len(events)

    def predict(self, indices: npt.NDArray[np.int32] | None = None) -> Column | None:
        """The least predicted utility over the opponents, or ``None`` before any offer."""
        if not self.models:
            return None
        stacked = np.vstack([m.predict(indices) for m in self.models.values()])
        return np.asarray(stacked.min(axis=0), dtype=np.float64)
