"""An in-process bus: the fast transport for simulations and most tests."""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager

from accord.errors import BusError
from accord.wire import Envelope, Performative

__all__ = ["MemoryBus", "QueueInbox"]


class QueueInbox:
    """An unbounded :class:`~accord.broker.bus.Inbox` for one consumer task.

    A deque and at most one waiting future: cheaper than ``asyncio.Queue``, which matters
    because every envelope of a simulation passes through one of these. A consumer that
    would rather be called than wait sets a listener (:meth:`listen`)."""

    def __init__(self) -> None:
        self._items: deque[Envelope] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._listener: Callable[[Envelope], None] | None = None

    def listen(self, listener: Callable[[Envelope], None]) -> None:
        """From now on, hand every envelope to ``listener`` inside :meth:`put` instead of
        queueing it (what is queued already goes first). Used by an agent whose handling
        never needs to wait (see :mod:`accord.agents.eager`)."""
        while self._items:
            listener(self._items.popleft())
        self._listener = listener

    def put(self, envelope: Envelope, *, wake: bool = True) -> None:
        """Queue ``envelope``; with ``wake=False`` the consumer is not woken for it and
        finds it, in order, the next time it is woken or polls."""
        if self._listener is not None:
            self._listener(envelope)
            return
        self._items.append(envelope)
        waiter = self._waiter
        if wake and waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Envelope:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()

    def get_nowait(self) -> Envelope | None:
        return self._items.popleft() if self._items else None

    async def __aiter__(self) -> AsyncIterator[Envelope]:
        while True:
            yield await self.get()


_WAKES_OBSERVERS = frozenset({Performative.RESULT, Performative.PROOF_REQUEST})


class MemoryBus:
    """Delivers envelopes between coroutines of one event loop, in publish order.

    Order is all a participant can observe, so the bus saves event-loop wake-ups that change
    nothing: an agent running its strategy inline handles what it is sent inside
    :meth:`publish` (:mod:`accord.agents.eager`), so a turn needs no trip through the event
    loop at all; a broadcast ``inform``, and a ``request`` (which goes to everybody, for the
    events it carries) to the parties it does not ask, are queued without waking them (each
    finds them, in order, before the next envelope that asks or tells it something), and
    observers are woken only by the
    ``result`` and by proof requests, which the recorder answers (they can poll with
    ``get_nowait`` at any time).

    With ``roundtrip=True`` every envelope is serialised to JSON and parsed back on publish,
    exactly as a network transport would, which catches bodies that would not survive one.
    """

    def __init__(self, *, roundtrip: bool = False) -> None:
        self.roundtrip = roundtrip
        self._inboxes: dict[str, dict[str, QueueInbox]] = defaultdict(dict)
        self._observers: dict[str, list[QueueInbox]] = defaultdict(list)

    async def publish(self, envelope: Envelope) -> None:
        if self.roundtrip:
            envelope = Envelope.model_validate_json(envelope.model_dump_json())
        neg = envelope.negotiation_id
        final = envelope.performative in _WAKES_OBSERVERS
        for observer in self._observers.get(neg, ()):
            observer.put(envelope, wake=final)
        inboxes = self._inboxes.get(neg)
        if not inboxes:
            return
        to, performative = envelope.to, envelope.performative
        if to is None or performative is Performative.REQUEST:
            wake = performative is not Performative.INFORM
            for participant, inbox in inboxes.items():
                if participant != envelope.sender:
                    inbox.put(envelope, wake=wake and (to is None or to == participant))
        elif (recipient := inboxes.get(to)) is not None:
            recipient.put(envelope)

    @asynccontextmanager
    async def subscribe(
        self,
        negotiation_id: str,
        participant: str,
        *,
        will: Envelope | None = None,
        senders: Collection[str] | None = None,
    ) -> AsyncIterator[QueueInbox]:
        del will  # no connection to lose: coroutines of one event loop
        del senders  # a participant never gets its own broadcasts back here anyway
        inboxes = self._inboxes[negotiation_id]
        if participant in inboxes:
            raise BusError(
                f"participant {participant!r} is already subscribed to {negotiation_id!r}"
            )
        inbox = inboxes[participant] = QueueInbox()
        try:
            yield inbox
        finally:
            del inboxes[participant]
            if not inboxes:
                del self._inboxes[negotiation_id]

    @asynccontextmanager
    async def observe(
        self, negotiation_id: str, *, local: bool = False
    ) -> AsyncIterator[QueueInbox]:
        del local  # every participant of a memory bus is local
        inbox = QueueInbox()
        self._observers[negotiation_id].append(inbox)
        try:
            yield inbox
        finally:
            self._observers[negotiation_id].remove(inbox)
            if not self._observers[negotiation_id]:
                del self._observers[negotiation_id]
