"""The core of a TU game and how a division of the grand coalition's value fares.

A division ``x`` (one amount per player) is in the core when it is efficient
(``sum(x) = v(N)``) and no coalition could do better on its own (``sum(x[S]) >= v(S)`` for
every ``S``). The check looks at all ``2**n`` coalitions, so it is exact and for small games
only (up to :data:`~accord.coalition.shapley.EXACT_LIMIT` players); beyond, the answer is
``None`` (unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from accord.coalition.game import Game
from accord.coalition.shapley import EXACT_LIMIT, shapley

__all__ = ["CoreCheck", "DivisionReport", "core_check", "division_report"]

TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class CoreCheck:
    """Whether a division is in the core; if not, the coalition that gains most by leaving
    (``blocking``) and by how much (``excess = v(S) - x(S)``); ``efficient`` says whether
    it divides exactly ``v(N)``."""

    in_core: bool | None
    efficient: bool
    blocking: tuple[str, ...] | None = None
    excess: float = 0.0


def core_check(game: Game, division: Mapping[str, float], *, limit: int = EXACT_LIMIT) -> CoreCheck:
    """Check ``division`` against every coalition of ``game`` (``None`` beyond ``limit``)."""
    x = np.array([float(division[p]) for p in game.players])
    efficient = abs(float(x.sum()) - game.grand) <= TOLERANCE * max(1.0, abs(game.grand))
    if game.n > limit:
        return CoreCheck(in_core=None, efficient=efficient)
    sums = np.zeros(1 << game.n)
    for k in range(game.n):
        bit = 1 << k
        sums[bit : 2 * bit] = sums[:bit] + x[k]
    excess = game.table() - sums
    worst = int(np.argmax(excess))
    blocked = float(excess[worst]) > TOLERANCE
    if not efficient or blocked:
        blocking = game.members(worst) if blocked else None
        return CoreCheck(
            in_core=False,
            efficient=efficient,
            blocking=blocking,
            excess=max(float(excess[worst]), 0.0),
        )
    return CoreCheck(in_core=True, efficient=efficient)


@dataclass(frozen=True, slots=True)
class DivisionReport:
    """A division against the Shapley value, the core and each player's stand-alone value."""

    division: dict[str, float]
    shapley: dict[str, float]
    standalone: dict[str, float]
    core: CoreCheck

    @property
    def over_standalone(self) -> dict[str, float]:
        """What each player gets beyond what it could create alone."""
        return {p: self.division[p] - self.standalone[p] for p in self.division}

    def as_json(self) -> dict[str, object]:
        return {
            "division": self.division,
            "shapley": self.shapley,
            "standalone": self.standalone,
            "over_standalone": self.over_standalone,
            "in_core": self.core.in_core,
            "efficient": self.core.efficient,
            "blocking": None if self.core.blocking is None else list(self.core.blocking),
            "excess": self.core.excess,
        }


def division_report(
    game: Game, division: Mapping[str, float], *, rng: np.random.Generator | None = None
) -> DivisionReport:
    return DivisionReport(
        division={p: float(division[p]) for p in game.players},
        shapley=shapley(game, rng=rng),
        standalone=game.standalone(),
        core=core_check(game, division),
    )
