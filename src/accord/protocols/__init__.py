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
from accord.protocols.coalition_division import CoalitionDivision
from accord.protocols.contract_net import ContractNet
from accord.protocols.deadline import Deadline
from accord.protocols.host import host_negotiation
from accord.protocols.mechanism import Mechanism
from accord.protocols.monotonic_concession import MonotonicConcession
from accord.protocols.saop import StackedAlternatingOffers
from accord.protocols.session import Session, Violation
from accord.protocols.single_text import MediatedSingleText
from accord.protocols.voting import MultilateralVoting

__all__ = [
    "MECHANISMS",
    "Accept",
    "Action",
    "Clock",
    "CoalitionDivision",
    "ContractNet",
    "Deadline",
    "EndNegotiation",
    "EndReason",
    "Ending",
    "FakeClock",
    "Mechanism",
    "MediatedSingleText",
    "MonotonicConcession",
    "MultilateralVoting",
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
    {
        StackedAlternatingOffers.name: StackedAlternatingOffers,
        MonotonicConcession.name: MonotonicConcession,
        MultilateralVoting.name: MultilateralVoting,
        MediatedSingleText.name: MediatedSingleText,
        CoalitionDivision.name: CoalitionDivision,
        ContractNet.name: ContractNet,
    },
)
"""Every mechanism accord can find by name."""
