"""The ``Bus`` protocol: how envelopes move between the participants of a negotiation.

Addressing is by envelope: ``to=None`` reaches every participant of the negotiation except the
sender; ``to=ID`` reaches that participant, except in a ``request``, which reaches everybody
(``to`` names the party asked; see :mod:`accord.wire.events`). Observers (the transcript
writer, the recorder) see every envelope of a negotiation, in the order the bus delivers them;
a *local* observer sees what this bus's own participants send and receive, in the order they
do.

A participant must hold its subscription before anyone sends to it; the join handshake
(party subscribes, then sends ``join``) guarantees that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from accord.wire import Envelope

__all__ = ["Bus", "Inbox"]


class Inbox(Protocol):
    """Envelopes delivered to one subscription, in delivery order."""

    async def get(self) -> Envelope:
        """The next envelope; waits until one arrives."""
        ...

    def get_nowait(self) -> Envelope | None:
        """The next envelope if one has arrived, else ``None``."""
        ...

    def __aiter__(self) -> AsyncIterator[Envelope]: ...


class Bus(Protocol):
    """A transport for envelopes. Implementations: :class:`~accord.broker.MemoryBus`."""

    async def publish(self, envelope: Envelope) -> None:
        """Send ``envelope`` to its recipient(s) and every observer."""
        ...

    def subscribe(
        self,
        negotiation_id: str,
        participant: str,
        *,
        will: Envelope | None = None,
        senders: Collection[str] | None = None,
    ) -> AbstractAsyncContextManager[Inbox]:
        """Receive what is sent to ``participant`` and every broadcast of the negotiation
        (only those of ``senders``, when given: the host names the parties, so that a broker
        does not send every broadcast of the host, each request among them, back to it).
        ``will`` is published for the participant if its connection ends without a goodbye
        (a transport without connections, like the memory bus, never publishes it)."""
        ...

    def observe(
        self, negotiation_id: str, *, local: bool = False
    ) -> AbstractAsyncContextManager[Inbox]:
        """Receive every envelope of the negotiation. With ``local``, only those the
        participants subscribed through this bus send or receive (every envelope of the
        protocol, for the host's own observer: parties send to the host or to all); a
        transport may then serve the observer without a subscription of its own."""
        ...
