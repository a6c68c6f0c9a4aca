"""Bodies of the requests a mechanism host sends to a party, and of the answers it gets."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from accord.model import Value

__all__ = ["FailureBody", "OfferBody", "Request"]


class Request(BaseModel):
    """What a mechanism asks of a party. ``kind`` names the strategy method that answers it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    offer: dict[str, Value] | None = None
    """The offer in question (the standing offer, the text to vote on, ...), if any."""
    proposer: str | None = None
    """Who made ``offer``."""
    relative_time: float = Field(default=0.0, ge=0.0, le=1.0)
    """Elapsed fraction of the deadline, by rounds or by seconds, whichever is further."""
    options: dict[str, JsonValue] = Field(default_factory=dict)
    """Mechanism-specific extras."""

    def body(self, relative_time: float) -> dict[str, JsonValue]:
        """The ``request`` envelope's body at ``relative_time``: ``model_dump()`` with the
        time set, built directly (the host sends one per turn; ``model_dump`` costs ~4 µs)."""
        return {
            "kind": self.kind,
            "offer": None if self.offer is None else dict(self.offer),
            "proposer": self.proposer,
            "relative_time": relative_time,
            "options": dict(self.options),
        }


class OfferBody(BaseModel):
    """Body of an ``offer`` envelope."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: dict[str, Value]


class FailureBody(BaseModel):
    """Body of a ``failure`` envelope: why the party could not act."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: Annotated[str, Field(max_length=100)]
    detail: Annotated[str, Field(max_length=2000)] = ""
