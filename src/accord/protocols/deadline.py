"""A negotiation's time limits: rounds and/or seconds overall, and a per-turn timeout."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Deadline"]


class Deadline(BaseModel):
    """``rounds`` and ``seconds`` bound the whole negotiation (whichever comes first);
    ``turn_timeout`` bounds how long one party may take to answer one request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rounds: int | None = Field(default=100, ge=1)
    seconds: float | None = Field(default=None, gt=0)
    turn_timeout: float = Field(default=10.0, gt=0)
    join_timeout: float = Field(default=30.0, gt=0)
    """How long the host waits for every party to join before giving up."""

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        if self.rounds is None and self.seconds is None:
            raise ValueError("a deadline needs rounds, seconds or both; got neither")
        return self
