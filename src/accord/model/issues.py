"""Negotiation issues: what a partnership's terms are made of.

Three kinds: a :class:`CategoricalIssue` (a finite list of labels), an :class:`IntegerIssue`
(every integer in ``[min, max]``) and a :class:`ContinuousIssue` (any real in ``[min, max]``,
enumerated on an evenly spaced grid of ``grid`` points when a whole space must be listed).

Inside accord an outcome is a row of numbers, one column per issue: the label's position for a
categorical issue, the value itself for numeric ones. ``code``/``decode`` convert single values;
``values_of`` converts a column of enumeration indices to that numeric form in one numpy call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.errors import OutcomeError

__all__ = ["CategoricalIssue", "ContinuousIssue", "IntegerIssue", "Issue", "Value"]

Value = str | int | float
"""A value as it appears in a scenario file or on the wire."""

_NAME = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$", max_length=100)


class _IssueBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, _NAME]
    description: str = ""


class CategoricalIssue(_IssueBase):
    """An issue whose value is one of a list of labels."""

    type: Literal["categorical"] = "categorical"
    values: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> CategoricalIssue:
        if len(set(self.values)) != len(self.values):
            dupes = sorted({v for v in self.values if self.values.count(v) > 1})
            raise ValueError(f"values must be unique, found duplicates {dupes!r}")
        return self

    @property
    def cardinality(self) -> int:
        return len(self.values)

    def code(self, value: object) -> float:
        return self.coder()(value)

    def decode(self, code: float) -> Value:
        return self.values[int(code)]

    def at(self, index: int) -> Value:
        """The value at position ``index`` of this issue's enumeration."""
        return self.values[index]

    def values_of(self, indices: npt.NDArray[np.integer]) -> npt.NDArray[np.float64]:
        return indices.astype(np.float64)

    def coder(self) -> Callable[[object], float]:
        """A fast validating :meth:`code` for hot paths (one dict look-up)."""
        index = {v: float(i) for i, v in enumerate(self.values)}

        def code(value: object) -> float:
            try:
                return index[value]  # type: ignore[index]  # unhashable values fail below
            except (KeyError, TypeError):
                raise OutcomeError(
                    f"issue {self.name!r} expects one of {list(self.values)!r}, got {value!r}"
                ) from None

        return code


class IntegerIssue(_IssueBase):
    """An issue whose value is any integer from ``min`` to ``max`` inclusive."""

    type: Literal["integer"] = "integer"
    min: int
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> IntegerIssue:
        if self.max < self.min:
            raise ValueError(f"max must be >= min, got min={self.min!r} max={self.max!r}")
        return self

    @property
    def cardinality(self) -> int:
        return self.max - self.min + 1

    def code(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise OutcomeError(f"issue {self.name!r} expects an integer, got {value!r}")
        if value != int(value) or not self.min <= value <= self.max:
            raise OutcomeError(
                f"issue {self.name!r} expects an integer in [{self.min}, {self.max}], got {value!r}"
            )
        return float(value)

    def coder(self) -> Callable[[object], float]:
        return self.code

    def decode(self, code: float) -> Value:
        return int(code)

    def at(self, index: int) -> Value:
        return self.min + index

    def values_of(self, indices: npt.NDArray[np.integer]) -> npt.NDArray[np.float64]:
        return indices.astype(np.float64) + self.min


class ContinuousIssue(_IssueBase):
    """An issue whose value is any real number from ``min`` to ``max`` inclusive."""

    type: Literal["continuous"] = "continuous"
    min: float
    max: float
    grid: int = Field(default=11, ge=2, le=1_000_000)
    """Number of evenly spaced points used when the whole outcome space is enumerated."""

    @model_validator(mode="after")
    def _ordered(self) -> ContinuousIssue:
        if not self.max > self.min:
            raise ValueError(f"max must be > min, got min={self.min!r} max={self.max!r}")
        return self

    @property
    def cardinality(self) -> int:
        return self.grid

    def code(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise OutcomeError(f"issue {self.name!r} expects a number, got {value!r}")
        if not self.min <= value <= self.max:
            raise OutcomeError(
                f"issue {self.name!r} expects a number in [{self.min}, {self.max}], got {value!r}"
            )
        return float(value)

    def coder(self) -> Callable[[object], float]:
        return self.code

    def decode(self, code: float) -> Value:
        return float(code)

    def at(self, index: int) -> Value:
        return float(self.values_of(np.array([index]))[0])

    def values_of(self, indices: npt.NDArray[np.integer]) -> npt.NDArray[np.float64]:
        step = (self.max - self.min) / (self.grid - 1)
        return self.min + indices.astype(np.float64) * step


Issue = Annotated[CategoricalIssue | IntegerIssue | ContinuousIssue, Field(discriminator="type")]
"""Any issue; the ``type`` field selects the kind."""
