"""Bodies of the requests a mechanism host sends to a party, and of the answers it gets."""

from __future__ import annotations

from typing import Annotated, cast

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from accord.model import Value
from accord.wire.checked import filled
from accord.wire.events import HostEvent

__all__ = ["FailureBody", "OfferBody", "Request", "RequestBody"]


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

    @classmethod
    def checked(
        cls, kind: str, *, offer: dict[str, Value] | None = None, proposer: str | None = None
    ) -> Request:
        """A request made of values the host has checked already (a mechanism's own ``kind``,
        a standing offer the session validated), built without validating them again: SAOP
        makes one per turn, and validation cost ~2 us of it. ``tests/test_wire.py`` checks
        that the result equals the validated request."""
        fields = {
            "kind": kind,
            "offer": offer,
            "proposer": proposer,
            "relative_time": 0.0,
            "options": {},
        }
        return filled(cls, fields, _GIVEN)

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


class RequestBody(Request):
    """Body of a ``request`` envelope: the :class:`Request`, and the events the host announced
    since its last envelope to everybody (see :mod:`accord.wire.events`), which a request
    carries to every party, the one asked and the others."""

    events: list[HostEvent] = Field(default_factory=list)


class OfferBody(BaseModel):
    """Body of an ``offer`` envelope."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: dict[str, Value]

    @classmethod
    def outcome_of(cls, body: dict[str, JsonValue]) -> dict[str, Value]:
        """The outcome of an offer's ``body``, a dict of its own (the body stays as it was
        signed, whatever a mechanism does with the outcome). A body that is plainly
        ``{"outcome": {name: str | int | float}}`` is copied as it is (the host reads one per
        turn; pydantic took ~2 us); any other goes through :class:`OfferBody`, which converts
        what it can and words the error. Raises ``ValidationError``."""
        outcome = body.get("outcome") if len(body) == 1 else None
        if type(outcome) is dict and all(
            type(name) is str and type(value) in _PLAIN for name, value in outcome.items()
        ):
            return dict(cast("dict[str, Value]", outcome))
        return cls.model_validate(body).outcome


_GIVEN = frozenset({"kind", "offer", "proposer"})
"""The fields :meth:`Request.checked` is given (what pydantic reports as explicitly set)."""

_PLAIN = frozenset({str, int, float})


class FailureBody(BaseModel):
    """Body of a ``failure`` envelope: why the party could not act."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: Annotated[str, Field(max_length=100)]
    detail: Annotated[str, Field(max_length=2000)] = ""
