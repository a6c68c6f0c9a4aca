"""The plan of a tournament: one job per negotiation, each with its own derived seed.

For a scenario with ``k`` parties every ordered ``k``-tuple of strategies takes the party roles
in turn (with ``assignments: distinct``, only tuples of different strategies), so that no
strategy is favoured by its seat. Jobs are ordered scenario, mechanism, assignment,
repetition; their seeds depend only on the spec's seed and the job's key, never on the order,
the number of workers or what else the spec contains.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from accord.tournament.spec import TournamentSpec

__all__ = ["SEP", "Job", "assignments", "derive_seed", "plan"]

SEP = "|"
"""Separates the parts of a job's key (labels may not contain it)."""


@dataclass(frozen=True, slots=True)
class Job:
    """One negotiation of the tournament."""

    index: int
    """Position in the plan (results are written in the order negotiations finish)."""
    scenario: str
    mechanism: str
    repetition: int
    strategies: tuple[str, ...]
    """Strategy labels by party role (the scenario's party order)."""
    seed: int

    @property
    def assignment(self) -> str:
        return SEP.join(self.strategies)

    @property
    def key(self) -> str:
        """Unique within the tournament: scenario|mechanism|strategies...|repetition."""
        return SEP.join([self.scenario, self.mechanism, *self.strategies, str(self.repetition)])


def derive_seed(spec_seed: int, key: str) -> int:
    """A seed in [0, 2**48) from the spec's seed and a job key (SHA-256, so stable across
    Python versions and machines, unlike ``hash``)."""
    digest = hashlib.sha256(f"{spec_seed}{SEP}{key}".encode()).digest()
    return int.from_bytes(digest[:6], "big")


def assignments(labels: list[str], roles: int, *, distinct: bool) -> Iterator[tuple[str, ...]]:
    """Ordered ``roles``-tuples of ``labels``: with or without repetition."""
    if distinct:
        return itertools.permutations(labels, roles)
    return itertools.product(labels, repeat=roles)


def plan(spec: TournamentSpec, roles: Mapping[str, int]) -> list[Job]:
    """Every job of ``spec``, given the number of party roles of each scenario by label."""
    labels = [s.title for s in spec.strategies]
    jobs: list[Job] = []
    for scenario in spec.scenarios:
        for mechanism in spec.mechanisms:
            for strategies in assignments(
                labels, roles[scenario.title], distinct=spec.assignments == "distinct"
            ):
                for repetition in range(spec.repetitions):
                    key = SEP.join([scenario.title, mechanism.title, *strategies, str(repetition)])
                    jobs.append(
                        Job(
                            index=len(jobs),
                            scenario=scenario.title,
                            mechanism=mechanism.title,
                            repetition=repetition,
                            strategies=strategies,
                            seed=derive_seed(spec.seed, key),
                        )
                    )
    return jobs
