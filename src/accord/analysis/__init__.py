"""Outcome analysis: the Pareto frontier and the Nash, Kalai-Smorodinsky, egalitarian and
maximum-welfare points of a domain, for any number of parties, in bounded memory."""

from accord.analysis.domain import CHUNK, analyze_domain
from accord.analysis.frontier import FrontierBuilder, pareto_indices
from accord.analysis.metrics import (
    OutcomeMeter,
    OutcomeMetrics,
    PartyStanding,
    gini,
    outcome_metrics,
)
from accord.analysis.report import DomainAnalysis, Point
from accord.analysis.scenario import analyze_scenario, scenario_metrics

__all__ = [
    "CHUNK",
    "DomainAnalysis",
    "FrontierBuilder",
    "OutcomeMeter",
    "OutcomeMetrics",
    "PartyStanding",
    "Point",
    "analyze_domain",
    "analyze_scenario",
    "gini",
    "outcome_metrics",
    "pareto_indices",
    "scenario_metrics",
]
