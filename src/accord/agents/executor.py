"""Where strategy code runs: inline on the event loop, or on a dedicated worker thread.

A strategy may be third-party code. On a worker thread a strategy that blocks or loops
forever cannot freeze the event loop: the host's turn timeout still fires, the negotiation ends
with the party named, and the stuck daemon thread is abandoned when the process exits.
``inline`` skips the thread hop (a few tens of microseconds per call), which is safe for
strategies known not to block. ``auto`` (the default) runs accord's own built-in strategies
inline and every other strategy on a worker thread.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import threading
from collections.abc import Callable
from typing import Any, Literal, Protocol

__all__ = [
    "ExecutorKind",
    "InlineExecutor",
    "StrategyExecutor",
    "ThreadExecutor",
    "make_executor",
    "pending",
]

ExecutorKind = Literal["auto", "thread", "inline"]


class StrategyExecutor(Protocol):
    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Start ``fn(*args)``: its result, or an awaitable of it when the call has to wait (a
        worker thread, an ``async`` method, a sync method that returned an awaitable). The
        caller awaits only those (:func:`pending`): a turn's strategy calls then cost no
        coroutine."""
        ...

    def close(self) -> None: ...


def pending(result: object) -> bool:
    """Whether what :meth:`StrategyExecutor.call` returned must still be awaited."""
    if result is None or isinstance(result, dict | str):
        return False  # an outcome or a response: no isawaitable ABC check on the hot path
    return inspect.isawaitable(result)


class InlineExecutor:
    """Calls the strategy directly on the event loop."""

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args)

    def close(self) -> None:
        pass


_STOP = object()


class ThreadExecutor:
    """Calls the strategy on one daemon worker thread per agent, one call at a time.

    ``async def`` strategy methods run on the event loop instead (they cannot block it
    without awaiting, and the turn timeout cancels them)."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not _STOP:
            loop, future, fn, args = job
            try:
                outcome: tuple[Any, BaseException | None] = (fn(*args), None)
            except BaseException as exc:  # noqa: BLE001  # handed to the awaiting coroutine
                outcome = (None, exc)
            try:
                loop.call_soon_threadsafe(_settle, future, *outcome)
            except RuntimeError:  # the loop closed while the strategy was stuck: nobody waits
                return

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if inspect.iscoroutinefunction(fn):
            return fn(*args)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._jobs.put((loop, future, fn, args))
        return future

    def close(self) -> None:
        self._jobs.put(_STOP)


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.cancelled():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


def make_executor(kind: ExecutorKind, strategy: object, name: str) -> StrategyExecutor:
    """The executor of ``kind`` for ``strategy``; ``auto`` trusts only accord's own code."""
    if kind == "auto":
        builtin = type(strategy).__module__.startswith("accord.")
        kind = "inline" if builtin else "thread"
    if kind == "inline":
        return InlineExecutor()
    return ThreadExecutor(name)
