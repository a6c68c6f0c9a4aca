"""Scenario files: the schema, the cross-field checks and the loader."""

from accord.scenarios.checks import Problem, check_scenario
from accord.scenarios.loader import load_scenario, parse_scenario
from accord.scenarios.schema import MechanismSpec, PartySpec, Scenario, StrategySpec

__all__ = [
    "MechanismSpec",
    "PartySpec",
    "Problem",
    "Scenario",
    "StrategySpec",
    "check_scenario",
    "load_scenario",
    "parse_scenario",
]
