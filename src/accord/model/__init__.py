"""Domain model: issues, outcome spaces, value and utility functions, preference profiles."""

from accord.model.issues import CategoricalIssue, ContinuousIssue, IntegerIssue, Issue, Value
from accord.model.outcome_space import DEFAULT_MAX_OUTCOMES, Outcome, OutcomeSpace
from accord.model.profile import BoundProfile, Profile
from accord.model.utility import (
    BindError,
    BoundUtility,
    Constraint,
    HyperRectangleUtility,
    LinearAdditiveUtility,
    Utility,
)
from accord.model.value_functions import (
    LinearValue,
    PiecewiseLinearValue,
    TableValue,
    TriangularValue,
    ValueFunction,
)

__all__ = [
    "DEFAULT_MAX_OUTCOMES",
    "BindError",
    "BoundProfile",
    "BoundUtility",
    "CategoricalIssue",
    "Constraint",
    "ContinuousIssue",
    "HyperRectangleUtility",
    "IntegerIssue",
    "Issue",
    "LinearAdditiveUtility",
    "LinearValue",
    "Outcome",
    "OutcomeSpace",
    "PiecewiseLinearValue",
    "Profile",
    "TableValue",
    "TriangularValue",
    "Utility",
    "Value",
    "ValueFunction",
]
