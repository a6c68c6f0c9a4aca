"""Eager handling: run an agent's handler for each envelope the moment the bus delivers it.

Over the :class:`~accord.broker.MemoryBus`, with strategies inline, a turn would otherwise
cost two trips through the event loop (the host wakes the agent, the agent wakes the host)
for work that never waits on anything. An :class:`EagerConsumer` is the inbox's listener
instead: it starts the handler coroutine at once, inside the publisher's call, and when that
coroutine finishes without suspending (the usual case: a built-in strategy, no approver to
ask), the answer is already in the host's inbox when ``publish`` returns.

A handler that does suspend (a strategy's sync method returned an awaitable that waits) is
finished on a task, and envelopes that arrive meanwhile wait behind it in order; the consumer
goes back to eager handling when it has caught up. Either way each envelope is handled once,
in delivery order, exactly as the agent's own loop would. What such a handler began on the
publisher's task stays there, though: an ``asyncio.timeout`` entered before it suspended
would cancel the publisher. So the agent runtime uses a consumer only where nothing in its
handling sets one (no mandate, no ``async`` strategy methods; see ``Agent._eager``).
"""

from __future__ import annotations

import asyncio
import contextlib
import types
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from typing import Any, TypeVar, cast

from accord.wire import Envelope

__all__ = ["EagerConsumer", "resume"]

T = TypeVar("T")

Handler = Callable[[Envelope], Coroutine[Any, Any, bool]]
"""Handles one envelope; returns ``True`` when the agent is done (``result`` handled)."""

Quick = Callable[[Envelope], bool]
"""Handles one envelope at once if it can (returns ``True``), without a coroutine; an envelope
it leaves (``False``) goes to the handler. For the envelopes most often sent, which need no
waiting at all (an agent recording an ``inform``)."""


class EagerConsumer:
    """The listener of one inbox: hands every envelope to ``handler``, in order.

    ``finished`` resolves when a handler returns ``True`` and holds any exception a handler
    raised (the agent's own loop would have died of it the same way)."""

    def __init__(self, handler: Handler, quick: Quick | None = None) -> None:
        self._handler = handler
        self._quick = quick
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._backlog: deque[Envelope] | None = None
        """Envelopes waiting for a suspended handler; ``None`` while handling is eager."""
        self._task: asyncio.Task[None] | None = None

    def __call__(self, envelope: Envelope) -> None:
        if self.finished.done():
            return  # the agent is done: what comes after is not for it
        if self._backlog is not None:
            self._backlog.append(envelope)
            return
        if self._quick is not None:
            try:
                if self._quick(envelope):
                    return
            except Exception as exc:  # noqa: BLE001  # as for the handler, below
                self.finished.set_exception(exc)
                return
        handling = self._handler(envelope)
        try:
            waiting = handling.send(None)
        except StopIteration as stop:
            if stop.value:
                self.finished.set_result(None)
            return
        except Exception as exc:  # noqa: BLE001  # the agent's task reports it, not the publisher
            self.finished.set_exception(exc)
            return
        self._backlog = deque()
        self._task = asyncio.ensure_future(self._catch_up(handling, waiting))

    async def _catch_up(self, handling: Coroutine[Any, Any, bool], waiting: object) -> None:
        """Finish the suspended ``handling``, then every envelope that queued behind it."""
        try:
            done = await resume(handling, waiting)
            while not done and self._backlog:
                done = await self._handler(self._backlog.popleft())
        except Exception as exc:  # noqa: BLE001  # as in __call__
            if not self.finished.done():
                self.finished.set_exception(exc)
            return
        if done:
            if not self.finished.done():
                self.finished.set_result(None)
            return
        self._backlog = None  # caught up: eager again

    async def close(self) -> None:
        """Stop a handler still running on its task (the agent is being cancelled)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@types.coroutine
def resume(handling: Coroutine[Any, Any, T], waiting: object) -> Generator[Any, None, T]:
    """Drive ``handling``, which was started by hand and yielded ``waiting`` (the future it
    waits on), to its end on the current task: ``yield from`` for a coroutine already begun."""
    while True:
        try:
            yield waiting
        except BaseException as exc:  # noqa: BLE001  # cancellation: the handler gets it
            try:
                waiting = handling.throw(exc)
            except StopIteration as stop:
                return cast("T", stop.value)
            continue
        try:
            waiting = handling.send(None)
        except StopIteration as stop:
            return cast("T", stop.value)
