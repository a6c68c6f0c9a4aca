"""Bodies of the envelopes that record a party's mandate at work: ``blocked`` and ``approval``.

Both go from the party to the host, inside a turn (``in_reply_to`` is the request), before the
party's answer; the host ignores them, the recorder logs them, the auditor reads them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.model import Value

__all__ = ["ApprovalBody", "BlockedBody"]


class BlockedBody(BaseModel):
    """An offer or acceptance the party's runtime did not send: it was outside the mandate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Literal["offer", "accept"]
    outcome: dict[str, Value]
    """What the strategy tried to offer, or the offer it tried to accept."""
    reasons: list[Annotated[str, Field(max_length=500)]] = Field(min_length=1)
    kind: str
    """The kind of the request it answered."""


class ApprovalBody(BaseModel):
    """A decision on an action the mandate reserves for approval."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Literal["offer", "accept"]
    outcome: dict[str, Value]
    utility: float | None
    """The party's own utility of the outcome."""
    needs: list[str]
    """Why the mandate wants approval for it."""
    approver: Annotated[str, Field(max_length=200)]
    """Who decided, as the approver reports it (``timeout`` when nobody did in time)."""
    approved: bool
    reason: Annotated[str, Field(max_length=2000)] = ""
    decided_ns: Annotated[str, Field(pattern=r"^[0-9]{1,20}$")]
    """When the decision reached the runtime, nanoseconds since the epoch, as a string."""
