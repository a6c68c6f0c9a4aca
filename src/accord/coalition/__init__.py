"""Coalition value division: TU games, the Shapley value, the core."""

from accord.coalition.core import CoreCheck, DivisionReport, core_check, division_report
from accord.coalition.game import Game
from accord.coalition.shapley import (
    EXACT_LIMIT,
    SampledShapley,
    exact_shapley,
    sampled_shapley,
    shapley,
)

__all__ = [
    "EXACT_LIMIT",
    "CoreCheck",
    "DivisionReport",
    "Game",
    "SampledShapley",
    "core_check",
    "division_report",
    "exact_shapley",
    "sampled_shapley",
    "shapley",
]
