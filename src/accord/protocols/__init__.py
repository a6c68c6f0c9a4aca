"""Mechanisms (negotiation protocols), the session they run over, and their host."""

from accord.plugins import Registry
from accord.protocols.actions import (
    Accept,
    Action,
    Ending,
    EndNegotiation,
    EndReason,
    Offer,
    Reject,
)
from accord.protocols.clock import Clock, FakeClock, SystemClock
from accord.protocols.deadline import Deadline
from accord.protocols.host import host_negotiation
from accord.protocols.mechanism import Mechanism
from accord.protocols.saop import StackedAlternatingOffers
from accord.protocols.session import Session, Violation

__all__ = [
    "MECHANISMS",
    "Accept",
    "Action",
    "Clock",
    "Deadline",
    "EndNegotiation",
    "EndReason",
    "Ending",
    "FakeClock",
    "Mechanism",
    "Offer",
    "Reject",
    "Session",
    "StackedAlternatingOffers",
    "SystemClock",
    "Violation",
    "host_negotiation",
]

MECHANISMS: Registry[Mechanism] = Registry(
    "mechanism",
    "mechanisms",
    "accord.mechanisms",
    {StackedAlternatingOffers.name: StackedAlternatingOffers},
)
"""Every mechanism accord can find by name."""
