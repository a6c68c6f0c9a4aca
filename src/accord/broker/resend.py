"""Publishing again what a broker restart may have lost.

A broker that is killed loses what it had accepted but not yet delivered, and one without
persistence also forgets every session, so what is published after it is back, before a
subscriber has subscribed again, reaches nobody. A QoS 1 acknowledgement only says the
broker took the message. So when any connection of a bus is lost, the bus publishes again,
byte for byte, what it published from :data:`WINDOW_S` before the loss on: once every one of
its own subscriptions is back, then after each pause of :data:`PAUSES_S` (the other
participants' subscriptions come back on their own schedule, at most
:data:`~accord.broker.mqtt.RECONNECT_MAX_S` apart). Receivers drop the byte-identical repeat
of what they already have (:mod:`accord.broker.mqtt`), so a repeat costs a little traffic and
nothing else; what was lost arrives. A loss during the repair starts it over.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable

from accord.logs import get_logger

__all__ = ["KEPT", "PAUSES_S", "WINDOW_S", "Resender"]

log = get_logger("accord.mqtt")

WINDOW_S = 1.0
"""What was published this long before a loss was noticed is published again with what
followed it."""
PAUSES_S = (0.0, 0.5, 1.0, 2.0)
"""The pauses before each repeat, counted from when the bus's own subscriptions are back."""
KEPT = 256
"""The most recent envelopes kept for a repeat."""


class Resender:
    """Keeps what a bus published; after a loss, publishes the recent part of it again."""

    def __init__(
        self,
        send: Callable[[str, bytes], Awaitable[None]],
        subscribed: Callable[[], Awaitable[None]],
    ) -> None:
        self._send = send
        """Publishes one payload (retrying until the broker takes it)."""
        self._subscribed = subscribed
        """Returns once every subscription of the bus is subscribed again."""
        self._sent: deque[tuple[float, str, bytes]] = deque(maxlen=KEPT)
        self._lost_at: float | None = None
        self._again = False
        self._task: asyncio.Task[None] | None = None
        self.repeated = 0
        """Payloads published again, in all."""

    def published(self, topic: str, payload: bytes) -> None:
        self._sent.append((time.monotonic(), topic, payload))

    def lost(self) -> None:
        """A connection of the bus was lost: repair once it is back (again, if repairing)."""
        if self._lost_at is None:
            self._lost_at = time.monotonic()
        self._again = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._repair(), name="resend")

    async def _repair(self) -> None:
        while self._again:
            self._again = False
            await self._subscribed()
            for pause in PAUSES_S:
                await asyncio.sleep(pause)
                if self._again:
                    break  # lost again meanwhile: start over once everything is back
                await self._repeat()
        self._lost_at = None

    async def _repeat(self) -> None:
        since = (self._lost_at or 0.0) - WINDOW_S
        window = [(topic, payload) for at, topic, payload in self._sent if at >= since]
        for topic, payload in window:
            await self._send(topic, payload)
        self.repeated += len(window)
        log.info("published_again_after_a_loss", envelopes=len(window))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
