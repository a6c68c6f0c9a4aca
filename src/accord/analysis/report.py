"""The result of analysing a domain: its size, frontier and reference points, as JSON-ready
pydantic models (``accord analyze --json`` prints :class:`DomainAnalysis`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from accord.model import Value

__all__ = ["DomainAnalysis", "Point"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Point(_Model):
    """One outcome and every party's (undiscounted) utility of it."""

    outcome: dict[str, Value]
    utilities: dict[str, float]
    index: int | None = None
    """Position in the enumeration of the outcome space; ``None`` for a point found by
    continuous optimisation between grid points."""


class DomainAnalysis(_Model):
    """Reference points of a domain (see :mod:`accord.analysis.points` for the definitions)."""

    size: int
    """Outcomes enumerated (grid points for continuous issues)."""
    parties: list[str]
    reservations: dict[str, float]
    pareto: list[Point]
    """One outcome per distinct Pareto-optimal utility vector, in enumeration order."""
    nash: Point | None
    kalai_smorodinsky: Point | None
    egalitarian: Point | None
    max_welfare: Point | None
    opposition: float
    optimised: bool = False
    """Whether the points were refined by continuous optimisation (continuous issues)."""
