"""Wire models: the envelope every participant sends and the bodies it carries."""

from accord.wire.envelope import (
    ACTIONS,
    HOST,
    MAX_SAFE_INTEGER,
    WILL_SEQ,
    Envelope,
    Identifier,
    Performative,
    compose,
    new_session,
    now_ns,
)
from accord.wire.events import EVENTS, Event, HostEvent, InformBody, carries_events, events_of
from accord.wire.lifecycle import (
    AlertBody,
    CountersignBody,
    RefuseBody,
    ReportBody,
    ReviseBody,
    SignBody,
)
from accord.wire.oversight import ApprovalBody, BlockedBody
from accord.wire.requests import FailureBody, OfferBody, Request, RequestBody
from accord.wire.result import ResultBody

__all__ = [
    "ACTIONS",
    "EVENTS",
    "HOST",
    "MAX_SAFE_INTEGER",
    "WILL_SEQ",
    "AlertBody",
    "ApprovalBody",
    "BlockedBody",
    "CountersignBody",
    "Envelope",
    "Event",
    "FailureBody",
    "HostEvent",
    "Identifier",
    "InformBody",
    "OfferBody",
    "Performative",
    "RefuseBody",
    "ReportBody",
    "Request",
    "RequestBody",
    "ResultBody",
    "ReviseBody",
    "SignBody",
    "carries_events",
    "compose",
    "events_of",
    "new_session",
    "now_ns",
]
