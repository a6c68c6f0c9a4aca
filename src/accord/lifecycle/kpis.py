"""What a scenario says about the partnership after the agreement: its KPIs and its charter.

A scenario's ``kpis:`` list names each KPI, its unit, whose gain it measures (a party or the
collective), the party accountable for it, who may report it, the direction that is good, the
target and the threshold whose crossing is a breach, the range of plausible values, and how
often it is reported. ``charter:`` sets the review date, the grace days before a report is
overdue, and what opens a renegotiation. docs/lifecycle.md documents both for users; what
needs the rest of the scenario (parties, issues) is checked by
:func:`accord.scenarios.checks.check_scenario`.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from accord.wire import Identifier

__all__ = ["COLLECTIVE", "CharterSpec", "KpiSpec", "RevisionTrigger", "UpdateSpec"]

COLLECTIVE = "collective"
"""The ``scope`` of a KPI that measures the partnership's joint gain, not one party's."""

RevisionTrigger = Literal["breach", "review", "request"]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value!r}")
    return value


Number = Annotated[float, AfterValidator(_finite)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KpiSpec(_Model):
    """One key performance indicator of the partnership."""

    name: Identifier
    description: str = ""
    unit: Annotated[str, Field(min_length=1, max_length=100)]
    """What a report's value counts (``customers``, ``%``, ``EUR``); a report must say it."""
    scope: Identifier = COLLECTIVE
    """Whose gain it measures: a party id, or ``collective`` for the partnership's."""
    owner: Identifier
    """The party accountable for it: a breach is raised against the owner."""
    reported_by: list[Identifier] = Field(min_length=1)
    """Who may report it: party ids, or ``host`` (the charter's keeper, as monitor)."""
    better: Literal["higher", "lower"] = "higher"
    """Which direction is good."""
    target: Number | None = None
    """The value the partnership aims for; defaults to the agreed value of ``term``."""
    threshold: Number | None = None
    """A report beyond it (below it when higher is better, above it otherwise) is a breach."""
    tolerance: Annotated[float, Field(ge=0)] | None = None
    """Instead of ``threshold``: how far from the target a report may be on the bad side
    (for a KPI whose target is an agreed term, not known before the agreement)."""
    range: tuple[Number, Number] | None = None
    """The plausible values ``[min, max]``: a report outside it is refused, not counted."""
    every_days: Annotated[float, Field(gt=0, le=3660)] = 30.0
    """The length of a reporting period; period ``k`` ends ``k * every_days`` after the start."""
    term: str | None = None
    """The issue of the agreement this KPI tracks (e.g. the agreed revenue share): its agreed
    value is the target when ``target`` is not given (a numeric issue); a breach makes the
    issue weigh more for whose gain the KPI measures in a renegotiation (``kpi-emphasis``)."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.threshold is None) == (self.tolerance is None):
            raise ValueError("give exactly one of threshold and tolerance")
        if self.threshold is None:
            return self
        if self.range is not None and self.range[0] >= self.range[1]:
            raise ValueError(f"range must be [min, max] with min < max, got {list(self.range)}")
        if self.range is not None and not self.range[0] <= self.threshold <= self.range[1]:
            raise ValueError(
                f"threshold {self.threshold:g} is outside range {list(self.range)}: it could "
                "never be reported"
            )
        if self.target is not None and _beyond(self.better, self.target, self.threshold):
            side = "below" if self.better == "higher" else "above"
            raise ValueError(
                f"target {self.target:g} is {side} threshold {self.threshold:g}: with "
                f"{self.better!r} better, the target would itself be a breach"
            )
        return self

    def breached_by(self, value: float) -> bool:
        """Whether a reported ``value`` is on the wrong side of the threshold."""
        if self.threshold is None:
            raise ValueError(f"KPI {self.name!r} has no threshold until its target is known")
        return _beyond(self.better, value, self.threshold)


def _beyond(better: str, value: float, threshold: float) -> bool:
    return value < threshold if better == "higher" else value > threshold


def _every_trigger() -> list[RevisionTrigger]:
    return ["breach", "review", "request"]


class UpdateSpec(_Model):
    """The rule that updates the parties' profiles before a renegotiation
    (:mod:`accord.lifecycle.updates`): a built-in name or ``package.module:Class``."""

    name: Annotated[str, Field(min_length=1)] = "kpi-emphasis"
    params: dict[str, Any] = Field(default_factory=dict)


class CharterSpec(_Model):
    """How the charter an agreement becomes is run."""

    review_after_days: Annotated[float, Field(gt=0, le=36600)] = 180.0
    """When the charter is reviewed (a pilot's end): days after its start."""
    grace_days: Annotated[float, Field(ge=0, le=3660)] = 7.0
    """How long after a period ends its report may still come before it is overdue."""
    sign_timeout: Annotated[float, Field(gt=0, le=3600)] = 10.0
    """Seconds every party has to countersign (or refuse) the charter."""
    revise_on: list[RevisionTrigger] = Field(default_factory=_every_trigger)
    """What opens a renegotiation of the charter's terms."""
    update: UpdateSpec = Field(default_factory=UpdateSpec)
    """How what the KPIs showed changes the parties' profiles for a renegotiation."""
    scale: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    """Pilot, then scale: by KPI name, the factor its target and threshold are multiplied by
    in the version a review renegotiates out of the pilot (the first version is the pilot)."""
