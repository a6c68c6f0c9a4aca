"""Where strategy code runs: inline on the event loop, guarded by a watchdog, or on a thread.

A strategy may be third-party code that blocks, sleeps or loops forever; that must not freeze
the event loop, where the host and every other party of the process run.

* ``guarded``: inline, each call bounded by the budget the runtime sets (:meth:`limit`, the
  turn timeout): the :mod:`~accord.agents.watchdog` interrupts a call that runs past it, and
  the executor raises :class:`~accord.errors.StrategyOvertime`. No thread hop: a call costs
  two ``setitimer`` system calls (about a microsecond) instead of tens of microseconds and two
  trips through the event loop.
* ``thread``: one worker thread per agent; a stuck call is abandoned (the host's turn timeout
  still fires) and its daemon thread with it when the process exits.
* ``inline``: a plain call, for strategies known not to block.
* ``auto`` (the default): accord's own built-in strategies ``inline``, every other strategy
  ``guarded`` where the watchdog works (the main thread, POSIX) and on a ``thread`` elsewhere.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import threading
import time
import types
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Literal, Protocol

from accord.agents.strategy import Response
from accord.agents.watchdog import WATCHDOG, Overtime, available
from accord.errors import StrategyOvertime

__all__ = [
    "ExecutorKind",
    "GuardedExecutor",
    "InlineExecutor",
    "StrategyExecutor",
    "ThreadExecutor",
    "make_executor",
    "pending",
]

ExecutorKind = Literal["auto", "guarded", "thread", "inline"]


class StrategyExecutor(Protocol):
    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Start ``fn(*args)``: its result, or an awaitable of it when the call has to wait (a
        worker thread, an ``async`` method, a sync method that returned an awaitable). The
        caller awaits only those (:func:`pending`): a turn's strategy calls then cost no
        coroutine."""
        ...

    def limit(self, seconds: float | None) -> None:
        """Calls from now on must end within ``seconds`` from now (``None``: no bound); only
        a guarded executor enforces it."""
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

    def limit(self, seconds: float | None) -> None:
        pass

    def close(self) -> None:
        pass


class GuardedExecutor:
    """Calls the strategy directly on the event loop, interrupting a call past its budget.

    A coroutine (an ``async def`` method) is driven step by step, each step within what is
    left of the budget: an ``async`` method that blocks between its awaits is interrupted
    too. Must be made, used and closed in the main thread (:func:`~accord.agents.watchdog.
    available`)."""

    def __init__(self, party: str = "") -> None:
        WATCHDOG.hold()
        self.party = party
        self._closed = False
        self._until: float | None = None
        self._budget = 0.0

    def limit(self, seconds: float | None) -> None:
        self._budget = seconds or 0.0
        self._until = None if seconds is None else time.monotonic() + seconds

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        until = self._until
        if until is None:
            return fn(*args)
        result = self._bounded(until, fn, fn, *args)
        if type(result) in _PLAIN_RESULTS or not inspect.iscoroutine(result):
            return result
        return self._stepped(result, until, fn)

    def _bounded(
        self, until: float, called: Callable[..., Any], fn: Callable[..., Any], *args: Any
    ) -> Any:
        """``fn(*args)`` (a step of ``called``), interrupted at ``until`` (as
        :class:`StrategyOvertime`)."""
        dog = WATCHDOG
        try:
            dog.enter(until, self.party)
            return fn(*args)
        except Overtime:
            raise StrategyOvertime(_name(called), self._budget) from None
        finally:
            dog.leave()

    @types.coroutine
    def _stepped(
        self, coroutine: Coroutine[Any, Any, Any], until: float, called: Callable[..., Any]
    ) -> Generator[Any, Any, Any]:
        """Drive ``coroutine`` as ``await`` would, each step bounded by ``until``."""
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            try:
                if thrown is None:
                    yielded = self._bounded(until, called, coroutine.send, sent)
                else:
                    yielded = self._bounded(until, called, coroutine.throw, thrown)
            except StopIteration as stop:
                return stop.value
            try:
                sent, thrown = (yield yielded), None
            except GeneratorExit:  # closed unfinished: close what it drives too
                coroutine.close()
                raise
            except BaseException as exc:  # noqa: BLE001  # handed on to the coroutine, as await does
                sent, thrown = None, exc

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            WATCHDOG.release()


_PLAIN_RESULTS = frozenset({dict, str, Response, type(None)})
"""What strategy calls return most (an outcome, a response): no coroutine check for those."""

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

    def limit(self, seconds: float | None) -> None:
        pass

    def close(self) -> None:
        self._jobs.put(_STOP)


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.cancelled():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def make_executor(kind: ExecutorKind, strategy: object, name: str) -> StrategyExecutor:
    """The executor of ``kind`` for ``strategy``; ``auto`` trusts only accord's own code to
    run unguarded. ``guarded`` where the watchdog cannot work is a ``thread``."""
    if kind == "auto":
        builtin = type(strategy).__module__.startswith("accord.")
        kind = "inline" if builtin else "guarded"
    if kind == "inline":
        return InlineExecutor()
    if kind == "guarded" and available():
        return GuardedExecutor(name.removeprefix("strategy-"))
    return ThreadExecutor(name)
