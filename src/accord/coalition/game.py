"""Cooperative games with transferable utility: who can create how much value together.

A :class:`Game` gives every coalition (a set of players) a value ``v(S)``, with
``v(empty) = 0``. It comes from a scenario in one of two forms (:meth:`Game.from_spec`):

- ``values``: an explicit characteristic function, coalitions written as player ids joined
  by ``+`` (``"left+right1"``); coalitions not listed are worth 0;
- ``capabilities`` and ``projects``: a model of complementary capabilities. Each player has
  capabilities; each project requires a set of capabilities and is worth ``value``; a
  coalition is worth the sum of the projects its members' capabilities cover together.

Coalitions are bit masks internally: player ``k`` (in ``players`` order) is bit ``k``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Game"]


class Game:
    """A TU game over ``players`` with characteristic function ``value``."""

    def __init__(self, players: Sequence[str], value: Any) -> None:
        """``value`` maps a coalition bit mask to its worth."""
        if len(set(players)) != len(players):
            raise ValueError(f"players must be unique, got {list(players)!r}")
        self.players: tuple[str, ...] = tuple(players)
        self.n = len(self.players)
        self._value = lru_cache(maxsize=1 << 16)(value)

    def value(self, mask: int) -> float:
        """The worth of the coalition ``mask`` (0 for the empty coalition)."""
        return 0.0 if mask == 0 else float(self._value(mask))

    def mask(self, coalition: Sequence[str]) -> int:
        position = {p: k for k, p in enumerate(self.players)}
        try:
            return sum(1 << position[p] for p in set(coalition))
        except KeyError as exc:
            raise ValueError(
                f"unknown player {exc.args[0]!r}; the players are {list(self.players)!r}"
            ) from None

    def members(self, mask: int) -> tuple[str, ...]:
        return tuple(p for k, p in enumerate(self.players) if mask >> k & 1)

    def of(self, coalition: Sequence[str]) -> float:
        """The worth of ``coalition`` given by player ids."""
        return self.value(self.mask(coalition))

    @property
    def grand(self) -> float:
        """``v(N)``: what all players create together."""
        return self.value((1 << self.n) - 1)

    def standalone(self) -> dict[str, float]:
        """``v({i})`` for every player: what each can create alone."""
        return {p: self.value(1 << k) for k, p in enumerate(self.players)}

    def table(self) -> npt.NDArray[np.float64]:
        """``v`` of every coalition, indexed by mask (``2**n`` entries: small games only)."""
        return np.array([self.value(mask) for mask in range(1 << self.n)], dtype=np.float64)

    # -- constructors ------------------------------------------------------------------------

    @classmethod
    def from_values(cls, players: Sequence[str], values: Mapping[str, float]) -> Game:
        """An explicit characteristic function: ``{"a+b": 3.0, ...}``; unlisted coalitions
        are worth 0."""
        game = cls(players, lambda _mask: 0.0)
        table: dict[int, float] = {}
        for key, worth in values.items():
            members = [m.strip() for m in key.split("+") if m.strip()]
            table[game.mask(members)] = float(worth)
        return cls(players, lambda mask: table.get(mask, 0.0))

    @classmethod
    def from_capabilities(
        cls,
        players: Sequence[str],
        capabilities: Mapping[str, Sequence[str]],
        projects: Sequence[Mapping[str, Any]],
    ) -> Game:
        """Complementary capabilities: a coalition is worth the projects it can staff."""
        missing = [p for p in players if p not in capabilities]
        if missing:
            raise ValueError(f"no capabilities given for players {missing!r}")
        names = sorted({c for p in players for c in capabilities[p]})
        bit = {c: 1 << k for k, c in enumerate(names)}
        has = [sum(bit[c] for c in capabilities[p]) for p in players]
        needs: list[tuple[int, float]] = []
        for k, project in enumerate(projects):
            requires = list(project.get("requires", []))
            unknown = [c for c in requires if c not in bit]
            if unknown:
                raise ValueError(f"projects[{k}] requires {unknown!r}, which no player has")
            needs.append((sum(bit[c] for c in requires), float(project["value"])))

        def value(mask: int) -> float:
            covered = 0
            for k, caps in enumerate(has):
                if mask >> k & 1:
                    covered |= caps
            return sum(worth for need, worth in needs if need & covered == need)

        return cls(players, value)

    @classmethod
    def from_spec(cls, players: Sequence[str], spec: Mapping[str, Any]) -> Game:
        """A game from scenario parameters: ``{"values": ...}`` or ``{"capabilities": ...,
        "projects": ...}``; raises ``ValueError`` naming the problem."""
        if "values" in spec:
            return cls.from_values(players, spec["values"])
        if "projects" in spec and "capabilities" in spec:
            return cls.from_capabilities(players, spec["capabilities"], spec["projects"])
        raise ValueError("a game needs 'values', or 'capabilities' and 'projects'")
