"""Helpers for strategy authors: play a strategy against accord's built-ins and assert on it.

:func:`play` seats the strategy, in turn, at every seat of every example scenario whose
mechanism it can answer, with one built-in opponent in all the other seats, for every
opponent and seed, and returns the :class:`Games`. Their ``assert_*`` methods raise
:class:`AssertionError` naming the games that fail, so they read naturally in a test::

    from accord.testing import play

    def test_my_strategy() -> None:
        games = play("mypackage.halfway:HalfWay")
        games.assert_no_violations()           # never breaks the protocol, raises or hangs
        games.assert_never_below_reservation() # never agrees to less than its reservation
        games.assert_agrees(at_least=0.8)      # agreement in 80% of the games or more
        games.assert_near_nash(within=0.3)     # mean distance to the Nash point

A strategy is named as in a scenario: a registered name (built-in or entry point), an import
path ``package.module:Class``, or a spec ``{"name": ..., "params": {...}}``. Negotiations run
over the memory bus, unsigned (the rules are enforced the same way), one after the other.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from accord.agents import STRATEGIES
from accord.analysis import DomainAnalysis, analyze_domain, outcome_metrics
from accord.analysis.metrics import OutcomeMetrics
from accord.analysis.scenario import RESULT_METRICS_LIMIT
from accord.errors import InputError, OutcomeSpaceTooLarge
from accord.model import BoundProfile
from accord.protocols import MECHANISMS
from accord.result import NegotiationResult, PartyOutcome
from accord.runner import negotiate
from accord.scenarios import Scenario, StrategySpec, load_scenario

__all__ = [
    "DEFAULT_OPPONENTS",
    "FAULTS",
    "Game",
    "Games",
    "example_scenarios",
    "play",
]

DEFAULT_OPPONENTS: tuple[str, ...] = (
    "boulware",
    "conceder",
    "linear",
    "hardliner",
    "tit-for-tat",
    "micro",
    "boa",
    "hill-climber",
    "annealer",
    "zeuthen",
)
"""The built-ins :func:`play` uses by default; each plays only the mechanisms it can answer."""

FAULTS = frozenset({"protocol_violation", "strategy_error", "turn_timeout"})
"""Endings that count against the responsible party."""

StrategyLike = str | StrategySpec | Mapping[str, Any]
ScenarioLike = str | Path | Scenario


def example_scenarios(*names: str) -> list[Path]:
    """The example scenario files that come with accord (``scenarios/*.yaml``), sorted; only
    those named (by file stem: ``"platform-isv"``) when ``names`` are given."""
    here = Path(__file__).resolve().parent
    for folder in (here / "example_scenarios", here.parent.parent / "scenarios"):
        if folder.is_dir():  # installed from a wheel, or an editable checkout
            found = {path.stem: path for path in sorted(folder.glob("*.yaml"))}
            break
    else:
        raise InputError(f"accord's example scenarios are not installed beside {here}")
    if unknown := [name for name in names if name not in found]:
        raise InputError(f"no example scenario {unknown!r}; there are {sorted(found)!r}")
    return [found[name] for name in names] if names else list(found.values())


@dataclass(frozen=True, slots=True)
class Game:
    """One negotiation: the strategy at ``seat``, ``opponent`` at every other seat."""

    scenario: str
    seat: str
    opponent: str
    seed: int
    result: NegotiationResult
    metrics: OutcomeMetrics | None
    """Outcome metrics (Nash distance, Pareto, ...); ``None`` when the space is too large."""

    @property
    def party(self) -> PartyOutcome:
        """The strategy's own standing at the end."""
        return next(p for p in self.result.parties if p.id == self.seat)

    @property
    def agreement(self) -> bool:
        return self.result.agreement

    @property
    def utility(self) -> float:
        """The strategy's utility of the agreement, or its reservation value without one."""
        return self.party.utility

    @property
    def fault(self) -> str | None:
        """What the strategy did wrong (``protocol_violation: ...``), or ``None``."""
        if self.result.responsible == self.seat and self.result.reason in FAULTS:
            return f"{self.result.reason}: {self.result.detail}"
        mine = [v for v in self.result.violations if v.party == self.seat]
        return f"{mine[0].kind}: {mine[0].detail}" if mine else None

    def distance_to(self, point: str = "nash") -> float | None:
        """Euclidean distance in utility space from the result (every party's utility, the
        reservation values without agreement) to ``point``: ``nash``, ``kalai_smorodinsky``
        or ``egalitarian``; ``None`` when it was not computed."""
        return None if self.metrics is None else self.metrics.distance_to.get(point)

    def __str__(self) -> str:
        return (
            f"{self.scenario} seat {self.seat!r} vs {self.opponent!r} seed {self.seed}: "
            f"{self.result.reason}, utility {self.utility:.3f} "
            f"(reservation {self.party.reservation:.3f})"
        )


@dataclass(frozen=True)
class Games(Sequence[Game]):
    """The games :func:`play` played, with aggregates and assertions over them."""

    games: tuple[Game, ...]
    skipped: tuple[str, ...] = field(default=())
    """Pairings left out because some strategy cannot answer the mechanism's requests."""

    @overload
    def __getitem__(self, index: int) -> Game: ...
    @overload
    def __getitem__(self, index: slice) -> Games: ...
    def __getitem__(self, index: int | slice) -> Game | Games:
        if isinstance(index, slice):
            return Games(self.games[index], self.skipped)
        return self.games[index]

    def __len__(self) -> int:
        return len(self.games)

    def __iter__(self) -> Iterator[Game]:
        return iter(self.games)

    def where(
        self, *, scenario: str | None = None, opponent: str | None = None, seat: str | None = None
    ) -> Games:
        """The games of one scenario, opponent and/or seat."""
        return Games(
            tuple(
                g
                for g in self.games
                if scenario in (None, g.scenario)
                and opponent in (None, g.opponent)
                and seat in (None, g.seat)
            ),
            self.skipped,
        )

    def agreement_rate(self) -> float:
        """The fraction of games that ended in agreement (0 when there are none)."""
        return sum(g.agreement for g in self.games) / len(self.games) if self.games else 0.0

    def mean_distance_to(self, point: str = "nash") -> float | None:
        """The mean of :meth:`Game.distance_to` over the games where it was computed;
        games without agreement count with the reservation values as their result."""
        distances = [d for g in self.games if (d := g.distance_to(point)) is not None]
        return sum(distances) / len(distances) if distances else None

    def faults(self) -> list[Game]:
        """Games in which the strategy broke the protocol, raised or timed out."""
        return [g for g in self.games if g.fault is not None]

    def below_reservation(self) -> list[Game]:
        """Games the strategy ended with less than its reservation value."""
        return [g for g in self.games if g.utility < g.party.reservation - 1e-9]

    def table(self) -> str:
        """One line per game, for reading or for a failure message."""
        return "\n".join(str(g) for g in self.games)

    def assert_agrees(self, *, at_least: float) -> None:
        """At least the fraction ``at_least`` (0 to 1) of the games ended in agreement."""
        self._played()
        rate = self.agreement_rate()
        if rate < at_least:
            failed = [str(g) for g in self.games if not g.agreement]
            raise AssertionError(
                f"expected agreement in at least {at_least:.0%} of {len(self)} games, got "
                f"{rate:.0%}; without agreement:\n" + "\n".join(failed)
            )

    def assert_never_below_reservation(self) -> None:
        """The strategy never ended with less than its reservation value."""
        self._played()
        if below := self.below_reservation():
            raise AssertionError(
                f"expected the strategy never to end below its reservation value, but in "
                f"{len(below)} of {len(self)} games it did:\n" + "\n".join(map(str, below))
            )

    def assert_no_violations(self) -> None:
        """The strategy never broke the protocol, raised or timed out."""
        self._played()
        if faults := self.faults():
            raise AssertionError(
                f"expected no protocol violation, error or timeout, but {len(faults)} of "
                f"{len(self)} games had one:\n" + "\n".join(f"{g}: {g.fault}" for g in faults)
            )

    def assert_near_nash(self, *, within: float, point: str = "nash") -> None:
        """On average over the games, the result is within ``within`` of the Nash point (or
        another ``point``: ``kalai_smorodinsky``, ``egalitarian``) in utility space."""
        self._played()
        mean = self.mean_distance_to(point)
        if mean is None:
            raise AssertionError(f"no game has a {point} distance (outcome spaces too large?)")
        if mean > within:
            worst = sorted(self.games, key=lambda g: -(g.distance_to(point) or 0.0))[:5]
            raise AssertionError(
                f"expected a mean distance to the {point} point of at most {within:g}, got "
                f"{mean:.3f}; farthest:\n"
                + "\n".join(f"{g}: {g.distance_to(point)}" for g in worst)
            )

    def _played(self) -> None:
        if not self.games:
            reasons = "; ".join(self.skipped) or "nothing to play"
            raise AssertionError(f"no games were played: {reasons}")


def play(
    strategy: StrategyLike,
    *,
    scenarios: Iterable[ScenarioLike] | None = None,
    opponents: Iterable[StrategyLike] = DEFAULT_OPPONENTS,
    seeds: Iterable[int] = (0,),
) -> Games:
    """Play ``strategy`` at every seat of every scenario against every opponent (at all the
    other seats), once per seed, and return the games.

    ``scenarios`` defaults to :func:`example_scenarios`. A pairing in which the strategy or an
    opponent cannot answer the requests that the scenario's mechanism sends is left out (and
    listed in :attr:`Games.skipped`). Raises :class:`~accord.errors.InputError` (a
    :class:`~accord.errors.PluginError` for a strategy that cannot be found or built) when
    the strategy, an opponent or a scenario is wrong. Blocking; from inside a running event
    loop it plays in a helper thread."""
    mine = _spec(strategy)
    theirs = [_spec(o) for o in opponents]
    loaded = [_scenario(s) for s in (example_scenarios() if scenarios is None else scenarios)]
    seeds = list(seeds)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_play(mine, theirs, loaded, seeds))
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="accord-testing") as pool:
        return pool.submit(lambda: asyncio.run(_play(mine, theirs, loaded, seeds))).result()


async def _play(
    mine: StrategySpec,
    theirs: list[StrategySpec],
    scenarios: list[tuple[str, Scenario]],
    seeds: list[int],
) -> Games:
    games: list[Game] = []
    skipped: list[str] = []
    for label, base in scenarios:
        requests = MECHANISMS.create(base.mechanism.name, base.mechanism.params).requests
        if missing := _missing(mine, requests):
            skipped.append(f"{label}: {mine.name!r} cannot answer {missing!r}")
            continue
        space = base.outcome_space()
        profiles = {p.id: p.profile.bind(space) for p in base.parties}
        analysis = _analysis(base, profiles)
        for opponent in theirs:
            if missing := _missing(opponent, requests):
                skipped.append(f"{label}: opponent {opponent.name!r} cannot answer {missing!r}")
                continue
            for seat in base.parties:
                parties = [
                    p.model_copy(update={"strategy": mine if p.id == seat.id else opponent})
                    for p in base.parties
                ]
                scenario = base.model_copy(update={"parties": parties})
                for seed in seeds:
                    done = await negotiate(scenario, seed=seed, sign=False, profiles=profiles)
                    outcome = done.result.outcome
                    metrics = (
                        None if analysis is None else outcome_metrics(profiles, analysis, outcome)
                    )
                    games.append(Game(label, seat.id, opponent.name, seed, done.result, metrics))
    return Games(tuple(games), tuple(skipped))


def _spec(strategy: StrategyLike) -> StrategySpec:
    if isinstance(strategy, StrategySpec):
        return strategy
    if isinstance(strategy, str):
        return StrategySpec(name=strategy)
    return StrategySpec.model_validate(dict(strategy))


def _scenario(scenario: ScenarioLike) -> tuple[str, Scenario]:
    if isinstance(scenario, Scenario):
        return scenario.name, scenario
    path = Path(scenario)
    return path.stem, load_scenario(path)


def _missing(spec: StrategySpec, requests: frozenset[str]) -> list[str]:
    """The request kinds ``spec`` cannot answer (raises PluginError when it cannot be built)."""
    instance = STRATEGIES.create(spec.name, spec.params)
    return sorted(r for r in requests if not callable(getattr(instance, r, None)))


def _analysis(scenario: Scenario, profiles: Mapping[str, BoundProfile]) -> DomainAnalysis | None:
    try:
        return analyze_domain(scenario.outcome_space(), profiles, max_outcomes=RESULT_METRICS_LIMIT)
    except OutcomeSpaceTooLarge:
        return None
