"""Utility functions: a number in ``[0, 1]`` for every outcome, evaluated a batch at a time.

* :class:`LinearAdditiveUtility`: ``sum_i weight_i * value_i(x_i)`` with weights summing to 1.
* :class:`HyperRectangleUtility`: the constraint utilities of the ANAC 2014 domains: each
  constraint is a box (a closed interval on some issues) with a utility; an outcome earns the
  utility of every box it lies in; the sum is divided by ``scale`` (default: the sum of the
  positive constraint utilities) and clipped to ``[0, 1]``.

``bind(space)`` validates the function against an :class:`~accord.model.OutcomeSpace` and
returns a :class:`BoundUtility` that evaluates ``(n, issues)`` float64 matrices.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.model.issues import CategoricalIssue
from accord.model.outcome_space import OutcomeSpace
from accord.model.value_functions import BoundValue, Column, ValueFunction

__all__ = [
    "BindError",
    "BoundUtility",
    "Constraint",
    "HyperRectangleUtility",
    "LinearAdditiveUtility",
    "Utility",
]

WEIGHT_TOLERANCE = 1e-6
Matrix = npt.NDArray[np.float64]


class BindError(ValueError):
    """A utility function does not fit an outcome space; ``loc`` is the path of the field at
    fault inside the utility function (for example ``("values", "duration")``)."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        self.loc = loc
        super().__init__(message)


class BoundUtility:
    """A utility function checked against one outcome space; call it on a value matrix."""

    def __init__(
        self,
        space: OutcomeSpace,
        evaluate: Callable[[Matrix], Column],
        scalar: Callable[[list[float]], float] | None = None,
        whole: Callable[[], Column] | None = None,
        lookup: Callable[[Mapping[str, object]], float] | None = None,
    ) -> None:
        self.space = space
        self._evaluate = evaluate
        self._scalar = scalar
        self._lookup = lookup
        """The utility of a valid outcome straight from its values (every issue
        categorical: a table per issue); raises ``LookupError``/``TypeError`` on any other,
        which the validating path then words."""
        self._whole = whole

    def __call__(self, values: Matrix) -> Column:
        """Utilities of the rows of ``values`` (``(n, issues)`` float64), as a ``(n,)`` array."""
        return self._evaluate(np.atleast_2d(values))

    def whole_space(self) -> Column:
        """Utilities of every outcome of the space, in enumeration order; refuses beyond the
        space's ``max_outcomes``. Equal, to the bit, to ``self(space.values)``."""
        self.space.check_size()
        if self._whole is not None:
            return self._whole()
        return self._evaluate(self.space.values)

    def of(self, outcome: Mapping[str, object]) -> float:
        """Utility of one ``{issue: value}`` outcome (validated)."""
        if self._lookup is not None:
            try:
                return self._lookup(outcome)
            except (LookupError, TypeError):
                pass  # not a valid outcome: encode_row says why
        row = self.space.encode_row(outcome)
        if self._scalar is not None:
            return self._scalar(row)
        return float(self._evaluate(np.array([row], dtype=np.float64))[0])


class _Base(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LinearAdditiveUtility(_Base):
    """Weighted sum of per-issue value functions."""

    type: Literal["linear-additive"] = "linear-additive"
    weights: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]]
    values: dict[str, ValueFunction]

    @model_validator(mode="after")
    def _consistent(self) -> LinearAdditiveUtility:
        total = math.fsum(self.weights.values())
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise ValueError(f"weights must sum to 1, got {total:.6g}")
        if set(self.weights) != set(self.values):
            raise ValueError(
                "weights and values must name the same issues; only in weights: "
                f"{sorted(set(self.weights) - set(self.values))!r}, only in values: "
                f"{sorted(set(self.values) - set(self.weights))!r}"
            )
        return self

    def bind(self, space: OutcomeSpace) -> BoundUtility:
        unknown = sorted(set(self.weights) - set(space.names))
        if unknown:
            raise BindError(
                ("weights", unknown[0]),
                f"unknown issue {unknown[0]!r}; the issues are {list(space.names)!r}",
            )
        missing = [n for n in space.names if n not in self.weights]
        if missing:
            raise BindError(("weights",), f"no weight and value function for issues {missing!r}")
        parts = []
        for k, issue in enumerate(space.issues):
            try:
                bound = self.values[issue.name].bind(issue)
            except ValueError as exc:
                raise BindError(("values", issue.name), str(exc)) from exc
            parts.append((k, self.weights[issue.name], bound))

        def evaluate(values: Matrix) -> Column:
            total = np.zeros(values.shape[0], dtype=np.float64)
            for k, weight, bound in parts:
                if weight:
                    total += weight * bound.column(values[:, k])
            return total

        def whole() -> Column:
            # an outer sum over the issue axes: no (n, issues) matrix is ever built; the
            # additions happen in the same order as in ``evaluate``, so the bits agree
            shape = space.shape
            total = np.zeros(shape, dtype=np.float64)
            for k, weight, bound in parts:
                if weight:
                    axis = [1] * len(shape)
                    axis[k] = shape[k]
                    total += (weight * bound.column(space.axis_values(k))).reshape(axis)
            return total.reshape(-1)

        def scalar(row: list[float]) -> float:
            # the same operations in the same order as ``evaluate``, so both agree to the bit
            total = 0.0
            for k, weight, bound in parts:
                if weight:
                    total += weight * bound.scalar(row[k])
            return total

        return BoundUtility(space, evaluate, scalar, whole, _lookup(space, parts))


def _lookup(
    space: OutcomeSpace, parts: list[tuple[int, float, BoundValue]]
) -> Callable[[Mapping[str, object]], float] | None:
    """When every issue is categorical: the utility of an outcome from one table per issue of
    ``weight * value`` (the same products, added in the same order, as the linear-additive
    ``scalar``: equal to the bit), with the outcome checked on the way (exactly the issues,
    each a value of its issue). ``None`` otherwise."""
    if not all(isinstance(issue, CategoricalIssue) for issue in space.issues):
        return None
    terms: list[tuple[str, dict[object, float]]] = []
    checks: list[tuple[str, frozenset[object]]] = []
    for k, weight, bound in parts:
        issue = space.issues[k]
        assert isinstance(issue, CategoricalIssue)  # noqa: S101  # checked above
        if weight:
            table: dict[object, float] = {
                v: weight * bound.scalar(float(i)) for i, v in enumerate(issue.values)
            }
            terms.append((issue.name, table))
        else:  # no term in the sum, but the value must still be one of the issue's
            checks.append((issue.name, frozenset(issue.values)))
    size = len(space.issues)

    def lookup(outcome: Mapping[str, object]) -> float:
        if len(outcome) != size:
            raise LookupError(size)
        for name, valid in checks:
            if outcome[name] not in valid:
                raise LookupError(name)
        total = 0.0
        for name, table in terms:
            total += table[outcome[name]]
        return total

    return lookup


class Constraint(_Base):
    """A box over some issues (closed intervals) and the utility an outcome inside it earns."""

    utility: float
    bounds: dict[str, tuple[float, float]] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Constraint:
        for name, (lo, hi) in self.bounds.items():
            if hi < lo:
                raise ValueError(f"bounds of {name!r} must be [low, high], got [{lo!r}, {hi!r}]")
        return self


class HyperRectangleUtility(_Base):
    """Sum of the utilities of the boxes an outcome lies in, scaled into ``[0, 1]``."""

    type: Literal["hyper-rectangle"] = "hyper-rectangle"
    constraints: tuple[Constraint, ...] = Field(min_length=1)
    scale: float | None = Field(default=None, gt=0.0)

    def bind(self, space: OutcomeSpace) -> BoundUtility:
        columns: list[tuple[float, list[tuple[int, float, float]]]] = []
        for n, constraint in enumerate(self.constraints):
            box = []
            for name, (lo, hi) in constraint.bounds.items():
                if name not in space.names:
                    raise BindError(
                        ("constraints", n, "bounds", name),
                        f"unknown issue {name!r}; the issues are {list(space.names)!r}",
                    )
                box.append((space.names.index(name), lo, hi))
            columns.append((constraint.utility, box))
        scale = self.scale or math.fsum(max(c.utility, 0.0) for c in self.constraints) or 1.0

        def evaluate(values: Matrix) -> Column:
            total = np.zeros(values.shape[0], dtype=np.float64)
            for utility, box in columns:
                inside = np.ones(values.shape[0], dtype=bool)
                for k, lo, hi in box:
                    inside &= (values[:, k] >= lo) & (values[:, k] <= hi)
                total += np.where(inside, utility, 0.0)
            return np.clip(total / scale, 0.0, 1.0)

        return BoundUtility(space, evaluate)


Utility = Annotated[LinearAdditiveUtility | HyperRectangleUtility, Field(discriminator="type")]
"""Any utility function; the ``type`` field selects the kind."""
