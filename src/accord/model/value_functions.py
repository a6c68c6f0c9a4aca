"""Per-issue value functions of a linear-additive utility, each evaluated on a whole column.

A value function maps one issue's value to a number in ``[0, 1]``:

* ``table``: a number per label of a categorical issue;
* ``linear``: a straight line from ``low`` (at the issue's ``min``) to ``high`` (at its ``max``);
* ``triangular``: 0 at ``start``, 1 at ``peak``, 0 at ``end``, 0 outside;
* ``piecewise-linear``: through ``points`` ``[[x, y], ...]``, flat beyond the first and last.

``bind(issue)`` checks that the function fits the issue and returns a :class:`BoundValue`: a
numpy callable over the issue's column in the numeric row encoding
(:mod:`accord.model.issues`) and a plain-float callable for one value.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Annotated, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.model.issues import CategoricalIssue, ContinuousIssue, IntegerIssue

__all__ = [
    "BoundValue",
    "Column",
    "LinearValue",
    "PiecewiseLinearValue",
    "TableValue",
    "TriangularValue",
    "ValueFunction",
]

Column = npt.NDArray[np.float64]
AnyIssue = CategoricalIssue | IntegerIssue | ContinuousIssue
Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class BoundValue(NamedTuple):
    """A value function checked against one issue."""

    column: Callable[[Column], Column]
    """Values of a whole column (numeric encoding)."""
    scalar: Callable[[float], float]
    """Value of one encoded value."""


class _Base(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _require_numeric(kind: str, issue: AnyIssue) -> IntegerIssue | ContinuousIssue:
    if isinstance(issue, CategoricalIssue):
        raise ValueError(
            f"a {kind} value function needs a numeric issue, but {issue.name!r} is categorical"
        )
    return issue


class TableValue(_Base):
    """A value for every label of a categorical issue."""

    type: Literal["table"] = "table"
    table: dict[str, Unit]

    def bind(self, issue: AnyIssue) -> BoundValue:
        if not isinstance(issue, CategoricalIssue):
            raise ValueError(
                f"a table value function needs a categorical issue, but {issue.name!r} is "
                f"{issue.type}"
            )
        unknown = sorted(set(self.table) - set(issue.values))
        if unknown:
            raise ValueError(
                f"table has labels {unknown!r} that issue {issue.name!r} does not have "
                f"(its values are {list(issue.values)!r})"
            )
        missing = [v for v in issue.values if v not in self.table]
        if missing:
            raise ValueError(f"table gives no value for {missing!r} of issue {issue.name!r}")
        lut = np.array([self.table[v] for v in issue.values], dtype=np.float64)
        values = [self.table[v] for v in issue.values]
        return BoundValue(lambda column: lut[column.astype(np.intp)], lambda x: values[int(x)])


class LinearValue(_Base):
    """A straight line from ``low`` at the issue's minimum to ``high`` at its maximum."""

    type: Literal["linear"] = "linear"
    low: Unit
    high: Unit

    def bind(self, issue: AnyIssue) -> BoundValue:
        numeric = _require_numeric("linear", issue)
        lo, hi = float(numeric.min), float(numeric.max)
        high = self.high
        if hi == lo:
            return BoundValue(lambda column: np.full(column.shape, high), lambda _x: high)
        slope = (self.high - self.low) / (hi - lo)
        low = self.low
        return BoundValue(
            lambda column: low + (column - lo) * slope, lambda x: low + (x - lo) * slope
        )


class TriangularValue(_Base):
    """0 at ``start``, rising to 1 at ``peak``, falling to 0 at ``end``; 0 outside."""

    type: Literal["triangular"] = "triangular"
    start: float
    peak: float
    end: float

    @model_validator(mode="after")
    def _ordered(self) -> TriangularValue:
        if not self.start <= self.peak <= self.end or self.start == self.end:
            raise ValueError(
                "triangular needs start <= peak <= end and start < end, got "
                f"start={self.start!r} peak={self.peak!r} end={self.end!r}"
            )
        return self

    def bind(self, issue: AnyIssue) -> BoundValue:
        _require_numeric("triangular", issue)
        xs = np.array([self.start, self.peak, self.end], dtype=np.float64)
        ys = np.array([0.0, 1.0, 0.0])
        return BoundValue(
            lambda column: np.interp(column, xs, ys, left=0.0, right=0.0),
            lambda x: float(np.interp(x, xs, ys, left=0.0, right=0.0)),
        )


class PiecewiseLinearValue(_Base):
    """Straight segments through ``points``; flat before the first and after the last."""

    type: Literal["piecewise-linear"] = "piecewise-linear"
    points: tuple[tuple[float, Unit], ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _increasing(self) -> PiecewiseLinearValue:
        xs = [x for x, _ in self.points]
        if any(b <= a for a, b in pairwise(xs)):
            raise ValueError(f"points must have strictly increasing x, got x={xs!r}")
        return self

    def bind(self, issue: AnyIssue) -> BoundValue:
        _require_numeric("piecewise-linear", issue)
        xs = np.array([x for x, _ in self.points], dtype=np.float64)
        ys = np.array([y for _, y in self.points], dtype=np.float64)
        return BoundValue(
            lambda column: np.interp(column, xs, ys), lambda x: float(np.interp(x, xs, ys))
        )


ValueFunction = Annotated[
    TableValue | LinearValue | TriangularValue | PiecewiseLinearValue,
    Field(discriminator="type"),
]
"""Any value function; the ``type`` field selects the kind."""
