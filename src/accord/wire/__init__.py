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
from accord.wire.lifecycle import (
    AlertBody,
    CountersignBody,
    RefuseBody,
    ReportBody,
    ReviseBody,
    SignBody,
)
from accord.wire.oversight import ApprovalBody, BlockedBody
from accord.wire.requests import FailureBody, OfferBody, Request

__all__ = [
    "ACTIONS",
    "HOST",
    "MAX_SAFE_INTEGER",
    "WILL_SEQ",
    "AlertBody",
    "ApprovalBody",
    "BlockedBody",
    "CountersignBody",
    "Envelope",
    "FailureBody",
    "Identifier",
    "OfferBody",
    "Performative",
    "RefuseBody",
    "ReportBody",
    "Request",
    "ReviseBody",
    "SignBody",
    "compose",
    "new_session",
    "now_ns",
]
