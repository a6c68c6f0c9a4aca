"""Body of the host's ``result``: how the negotiation ended, and the events not sent yet."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from accord.model import Value
from accord.wire.envelope import MAX_SAFE_INTEGER
from accord.wire.events import HostEvent

__all__ = ["ResultBody"]


class ResultBody(BaseModel):
    """Body of a ``result`` envelope (see docs/protocol.md, "Records, and the result's
    reason")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str
    """Why it ended: ``agreement``, ``deadline``, ``ended_by_party``, ``protocol_violation``,
    ``turn_timeout``, ``strategy_error``, ``party_lost`` or ``no_agreement``."""
    agreement: dict[str, Value] | None
    party: str | None
    """The party responsible for the ending, if one is."""
    detail: str
    rounds: Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER, strict=True)]
    """Rounds begun."""
    events: list[HostEvent] = Field(default_factory=list)
    """The events the host announced since its last envelope to everybody (in ``saop``, the
    acceptance that made the agreement; see :mod:`accord.wire.events`)."""
