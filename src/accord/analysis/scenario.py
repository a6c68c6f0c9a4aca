"""Analyse the domain of a scenario file, with every party's profile."""

from __future__ import annotations

from collections.abc import Mapping

from accord.analysis.domain import analyze_domain
from accord.analysis.metrics import OutcomeMetrics, outcome_metrics
from accord.analysis.report import DomainAnalysis
from accord.errors import OutcomeSpaceTooLarge
from accord.logs import get_logger
from accord.model import Value
from accord.scenarios import Scenario

__all__ = ["RESULT_METRICS_LIMIT", "analyze_scenario", "scenario_metrics"]

log = get_logger(__name__)

RESULT_METRICS_LIMIT = 10_000_000
"""Largest space whose frontier ``accord run`` computes for the metrics in ``result.json``."""


def analyze_scenario(scenario: Scenario, *, max_outcomes: int | None = None) -> DomainAnalysis:
    """The frontier and reference points of ``scenario`` (profiles are checked when the
    scenario is loaded, so binding cannot fail here)."""
    space = scenario.outcome_space()
    profiles = {party.id: party.profile.bind(space) for party in scenario.parties}
    return analyze_domain(space, profiles, max_outcomes=max_outcomes)


def scenario_metrics(
    scenario: Scenario, outcome: Mapping[str, Value] | None
) -> OutcomeMetrics | None:
    """The outcome metrics of ``outcome`` in ``scenario`` (``None`` means no agreement), or
    ``None`` when the space is too large to scan for them."""
    space = scenario.outcome_space()
    profiles = {party.id: party.profile.bind(space) for party in scenario.parties}
    try:
        analysis = analyze_domain(space, profiles, max_outcomes=RESULT_METRICS_LIMIT)
    except OutcomeSpaceTooLarge as exc:
        log.warning("metrics_skipped", reason=str(exc))
        return None
    return outcome_metrics(profiles, analysis, outcome)
