"""A mandate: what an organisation allows its agent to agree to, separate from its strategy.

Hard limits on issues (``min``/``max`` for numeric issues, ``allowed``/``forbidden`` values for
categorical ones), a minimum utility (of the party's own profile), the mechanisms the agent may
take part in, a wall-clock deadline after which it may offer or accept nothing, and the actions
that need a person's approval (any final acceptance; any offer or acceptance worth less than a
threshold). The agent runtime enforces it (:mod:`accord.agents.runtime`); the auditor checks
the messages a party sent against the mandate it revealed (:mod:`accord.audit.mandates`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

__all__ = ["Action", "ApprovalRule", "IssueLimit", "Mandate", "final_acceptance"]

Action = Literal["offer", "accept"]
"""The two actions a mandate bounds: proposing an outcome and accepting one."""


def final_acceptance(kind: str, options: Mapping[str, object]) -> bool:
    """Whether an acceptance answering a request of ``kind`` can conclude an agreement: every
    one but a single-text vote on a change (``ratify`` false) and a contract-net award."""
    return kind != "award" and options.get("ratify") is not False


_Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IssueLimit(_Model):
    """Hard limits on one issue: ``min``/``max`` (numeric issues) or ``allowed``/``forbidden``
    values (categorical issues)."""

    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    """When set, the only values the agent may agree to."""
    forbidden: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> IssueLimit:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min!r} is above max {self.max!r}")
        numeric = self.min is not None or self.max is not None
        if numeric and (self.allowed is not None or self.forbidden):
            raise ValueError("min/max are for numeric issues, allowed/forbidden for categorical")
        return self

    @property
    def numeric(self) -> bool:
        return self.min is not None or self.max is not None

    def breach(self, issue: str, value: object) -> str | None:
        """Why ``value`` of ``issue`` is outside this limit, or ``None``."""
        if self.numeric:
            return self._numeric_breach(issue, value)
        if str(value) in self.forbidden:
            return f"{issue} is {value!r}, which is forbidden"
        if self.allowed is not None and str(value) not in self.allowed:
            return f"{issue} is {value!r}, not one of the allowed {list(self.allowed)!r}"
        return None

    def _numeric_breach(self, issue: str, value: object) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{issue} is {value!r}, not a number"
        if self.min is not None and value < self.min:
            return f"{issue} is {value!r}, below the minimum {self.min!r}"
        if self.max is not None and value > self.max:
            return f"{issue} is {value!r}, above the maximum {self.max!r}"
        return None


class ApprovalRule(_Model):
    """Which actions need a person's approval before they are sent."""

    acceptance: bool = False
    """Any final acceptance (one that can conclude an agreement)."""
    below_utility: _Unit | None = None
    """Any offer or acceptance of an outcome worth less than this to the party."""


class Mandate(_Model):
    """See the module docstring; every field is optional."""

    issues: dict[str, IssueLimit] = Field(default_factory=dict)
    min_utility: _Unit | None = None
    """The least the party's own profile may value an outcome it offers or accepts."""
    mechanisms: tuple[str, ...] | None = None
    """The mechanisms the agent may take part in (by name, as the host announces it)."""
    deadline: AwareDatetime | None = None
    """After this moment (with a time zone) the agent may offer or accept nothing."""
    approval: ApprovalRule = Field(default_factory=ApprovalRule)

    def breaches(
        self,
        outcome: Mapping[str, object],
        *,
        utility: float | None,
        mechanism: str,
        now: datetime,
    ) -> list[str]:
        """Every way offering or accepting ``outcome`` would break the mandate (empty when it
        is within it). ``utility`` is the party's own (undiscounted) utility of it, when known."""
        reasons: list[str] = []
        if self.mechanisms is not None and mechanism not in self.mechanisms:
            reasons.append(
                f"mechanism {mechanism!r} is not one of the allowed {list(self.mechanisms)!r}"
            )
        if self.deadline is not None and now > self.deadline:
            reasons.append(f"the mandate's deadline {self.deadline.isoformat()} has passed")
        for issue, limit in self.issues.items():
            if issue in outcome and (why := limit.breach(issue, outcome[issue])) is not None:
                reasons.append(why)
        if (
            self.min_utility is not None
            and utility is not None
            and (math.isnan(utility) or utility < self.min_utility)
        ):
            reasons.append(f"utility {utility:.4f} is below the minimum {self.min_utility:g}")
        return reasons

    def approval_needed(self, action: Action, *, final: bool, utility: float | None) -> list[str]:
        """Why ``action`` needs a person's approval (empty when it does not). ``final``: the
        acceptance can conclude an agreement."""
        reasons: list[str] = []
        if action == "accept" and final and self.approval.acceptance:
            reasons.append("every final acceptance needs approval")
        limit = self.approval.below_utility
        if limit is not None and (utility is None or utility < limit):
            shown = "unknown" if utility is None else f"{utility:.4f}"
            reasons.append(f"utility {shown} is below the approval threshold {limit:g}")
        return reasons

    @property
    def requires_approval(self) -> bool:
        return self.approval.acceptance or self.approval.below_utility is not None
