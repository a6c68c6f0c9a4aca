"""The Shapley value of a TU game: exact for small games, sampled for large ones.

Reference: L. S. Shapley, "A value for n-person games", Contributions to the Theory of Games
II, 1953. Player ``i`` receives its marginal contribution ``v(S + i) - v(S)`` averaged over
all orders in which the players could join. Exactly, that is a weighted sum over the ``2**(n-1)``
coalitions without ``i`` (vectorised over bit masks; up to :data:`EXACT_LIMIT` players). For
larger games, :func:`sampled_shapley` averages over random orders (Castro, Gomez and Tejada,
"Polynomial calculation of the Shapley value based on sampling", Computers & Operations
Research 36, 2009) and reports, per player, the standard error and the half-width of a
confidence interval at the requested level (normal approximation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from accord.coalition.game import Game

__all__ = ["EXACT_LIMIT", "SampledShapley", "exact_shapley", "sampled_shapley", "shapley"]

EXACT_LIMIT = 16
"""Largest number of players for which the exact value is computed by default."""


def exact_shapley(game: Game) -> dict[str, float]:
    """The exact Shapley value (``2**n`` coalition values: small games only)."""
    n = game.n
    table = game.table()
    masks = np.arange(1 << n, dtype=np.int64)
    sizes = np.zeros(1 << n, dtype=np.int64)
    for k in range(n):
        sizes += (masks >> k) & 1
    weights = np.array(
        [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    )
    result = {}
    for k, player in enumerate(game.players):
        without = masks[(masks >> k) & 1 == 0]
        marginal = table[without | (1 << k)] - table[without]
        result[player] = float(np.sum(weights[sizes[without]] * marginal))
    return result


@dataclass(frozen=True, slots=True)
class SampledShapley:
    """A sampled Shapley value: the estimates, their standard errors, and the half-width of
    the ``confidence`` interval around each estimate."""

    value: dict[str, float]
    standard_error: dict[str, float]
    half_width: dict[str, float]
    samples: int
    confidence: float


def sampled_shapley(
    game: Game,
    samples: int = 2000,
    *,
    rng: np.random.Generator | None = None,
    confidence: float = 0.95,
) -> SampledShapley:
    """The Shapley value estimated from ``samples`` random join orders."""
    if samples < 2:
        raise ValueError(f"samples must be >= 2, got {samples!r}")
    rng = rng or np.random.default_rng(0)
    n = game.n
    contributions = np.zeros((samples, n))
    for s in range(samples):
        mask, before = 0, 0.0
        for k in rng.permutation(n):
            mask |= 1 << int(k)
            after = game.value(mask)
            contributions[s, k] = after - before
            before = after
    mean = contributions.mean(axis=0)
    error = contributions.std(axis=0, ddof=1) / math.sqrt(samples)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    players = game.players
    return SampledShapley(
        value=dict(zip(players, mean.tolist(), strict=True)),
        standard_error=dict(zip(players, error.tolist(), strict=True)),
        half_width=dict(zip(players, (z * error).tolist(), strict=True)),
        samples=samples,
        confidence=confidence,
    )


def shapley(
    game: Game, *, rng: np.random.Generator | None = None, samples: int = 2000
) -> dict[str, float]:
    """The exact value up to :data:`EXACT_LIMIT` players, a sampled estimate beyond."""
    if game.n <= EXACT_LIMIT:
        return exact_shapley(game)
    return sampled_shapley(game, samples, rng=rng).value
