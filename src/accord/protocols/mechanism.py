"""The ``Mechanism`` ABC: the rules of one kind of negotiation, as one async method.

A mechanism is the only place that knows its protocol's rules. It receives a
:class:`~accord.protocols.session.Session` and drives the negotiation with ``session.ask``,
``session.inform`` and ``session.next_round``, returning an
:class:`~accord.protocols.actions.Ending`. ``inform`` sends nothing at once: the host's next
request or result carries the event; a mechanism that waits for anything but an answer (a
timer, an outside system) calls ``session.flush()`` before it waits. It never handles party
faults or deadlines itself: those surface as exceptions from the session, and the host turns
them into an ending.

Subclasses set ``name`` (the registry key), ``summary`` (one line for ``accord mechanisms``)
and ``requests`` (the request kinds it sends, which strategies must answer); parameters are
keyword arguments of ``__init__``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from accord.protocols.actions import Ending
from accord.protocols.session import Session

__all__ = ["Mechanism"]


class Mechanism(ABC):
    """Base class of every negotiation protocol."""

    name: ClassVar[str]
    summary: ClassVar[str]
    requests: ClassVar[frozenset[str]]

    @abstractmethod
    async def run(self, session: Session) -> Ending:
        """Drive the negotiation to its end and say how it ended."""
