"""What every worker needs: the loaded scenarios, the strategies and mechanisms by label,
and each scenario's domain analysis, computed once per scenario in the parent process and
shipped to the workers (not recomputed per negotiation).

Each process also keeps, per scenario, the profiles bound to its outcome space and the
outcome metrics of the outcomes reached so far: many negotiations of a scenario end on the
same outcome (or on none), whose metrics are the same every time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from accord.agents import STRATEGIES
from accord.analysis import DomainAnalysis, OutcomeMeter, OutcomeMetrics, analyze_domain
from accord.analysis.scenario import RESULT_METRICS_LIMIT
from accord.errors import OutcomeSpaceTooLarge
from accord.importers import genius_scenario
from accord.logs import get_logger
from accord.model import BoundProfile, Value
from accord.protocols import MECHANISMS
from accord.scenarios import MechanismSpec, Scenario, StrategySpec, load_scenario
from accord.tournament.plan import Job
from accord.tournament.spec import TournamentSpec, resolve

__all__ = ["METRICS_CACHED", "Workload", "prepare", "scenario_digest"]

log = get_logger(__name__)

METRICS_CACHED = 4096
"""Outcome metrics kept per process (the oldest is dropped first)."""


@dataclass
class Workload:
    """The spec's scenarios, strategies and mechanisms by label, with the analyses. Picklable
    (bound profiles and outcome metrics are made lazily, per process)."""

    scenarios: dict[str, Scenario]
    strategies: dict[str, StrategySpec]
    mechanisms: dict[str, MechanismSpec]
    analyses: dict[str, DomainAnalysis | None]
    sign: bool = False
    _profiles: dict[str, dict[str, BoundProfile]] = field(default_factory=dict, repr=False)
    _metrics: dict[tuple[str, str], OutcomeMetrics] = field(default_factory=dict, repr=False)
    _meters: dict[str, OutcomeMeter] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_profiles"] = {}
        state["_metrics"] = {}
        state["_meters"] = {}
        return state

    def unloadable(self) -> list[str]:
        """What of the spec cannot be made in this process, one line each: a strategy or a
        mechanism (and the mediator it names) whose plug-in is not installed here, or that
        refuses its parameters. Empty where every negotiation can be played."""
        problems = []
        for label, strategy in self.strategies.items():
            try:
                STRATEGIES.create(strategy.name, strategy.params)
            except Exception as exc:  # noqa: BLE001  # reported, with the label
                problems.append(f"strategy {label!r}: {exc}")
        for label, mechanism in self.mechanisms.items():
            try:
                MECHANISMS.create(mechanism.name, mechanism.params)
            except Exception as exc:  # noqa: BLE001  # reported, with the label
                problems.append(f"mechanism {label!r}: {exc}")
        return problems

    def roles(self) -> dict[str, int]:
        return {label: len(s.parties) for label, s in self.scenarios.items()}

    def scenario_for(self, job: Job) -> Scenario:
        """The scenario of ``job``: its strategies in the party roles, its mechanism and seed."""
        base = self.scenarios[job.scenario]
        parties = [
            party.model_copy(update={"strategy": self.strategies[label]})
            for party, label in zip(base.parties, job.strategies, strict=True)
        ]
        return base.model_copy(
            update={
                "parties": parties,
                "mechanism": self.mechanisms[job.mechanism],
                "seed": job.seed,
            }
        )

    def profiles(self, label: str) -> dict[str, BoundProfile]:
        """The bound profiles of scenario ``label``, by party id (cached)."""
        if label not in self._profiles:
            scenario = self.scenarios[label]
            space = scenario.outcome_space()
            self._profiles[label] = {p.id: p.profile.bind(space) for p in scenario.parties}
        return self._profiles[label]

    def metrics(self, label: str, outcome: Mapping[str, Value] | None) -> OutcomeMetrics | None:
        """The outcome metrics of ``outcome`` (``None``: no agreement) in scenario ``label``,
        or ``None`` when its domain was too large to analyse (cached)."""
        analysis = self.analyses.get(label)
        if analysis is None:
            return None
        key = (label, json.dumps(outcome, sort_keys=True, separators=(",", ":")))
        found = self._metrics.get(key)
        if found is None:
            meter = self._meters.get(label)
            if meter is None:
                meter = self._meters[label] = OutcomeMeter(self.profiles(label), analysis)
            found = meter(outcome)
            if len(self._metrics) >= METRICS_CACHED:
                del self._metrics[next(iter(self._metrics))]
            self._metrics[key] = found
        return found


def prepare(spec: TournamentSpec, base: Path) -> Workload:
    """Load every scenario of ``spec`` (paths relative to ``base``) and analyse its domain."""
    scenarios: dict[str, Scenario] = {}
    for entry in spec.scenarios:
        path = resolve(base, entry.path)
        if path.is_dir():
            scenarios[entry.title] = Scenario.model_validate(genius_scenario(path))
        else:
            scenarios[entry.title] = load_scenario(path)
    workload = Workload(
        scenarios=scenarios,
        strategies={s.title: StrategySpec(name=s.name, params=s.params) for s in spec.strategies},
        mechanisms={
            m.title: MechanismSpec(name=m.name, params=m.params, deadline=m.deadline)
            for m in spec.mechanisms
        },
        analyses={},
        sign=spec.sign,
    )
    for label, scenario in scenarios.items():
        profiles = workload.profiles(label)
        try:
            analysis = analyze_domain(
                scenario.outcome_space(), profiles, max_outcomes=RESULT_METRICS_LIMIT
            )
        except OutcomeSpaceTooLarge as exc:
            log.warning("metrics_skipped", scenario=label, reason=str(exc))
            analysis = None
        else:
            # the analysis computed every outcome's utilities; the concession strategies want
            # them sorted, and worker processes forked from this one inherit the order
            for profile in profiles.values():
                profile.sorted_outcomes()
        workload.analyses[label] = analysis
    return workload


def scenario_digest(scenario: Scenario) -> str:
    """A SHA-256 of what a tournament takes from a scenario: the issues and each party's id
    and profile (not its strategy, mechanism or seed, which the tournament replaces)."""
    data = scenario.model_dump(mode="json", include={"name", "issues", "max_outcomes"})
    data["parties"] = [
        {"id": p.id, "profile": p.profile.model_dump(mode="json")} for p in scenario.parties
    ]
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
