"""One event loop for many negotiations in a row, each run as ``asyncio.run`` would run it.

``asyncio.run`` makes and closes a loop per call (~0.2 ms), and even ``asyncio.Runner``, which
keeps its loop, installs and removes a Ctrl-C handler on every call and runs every call in
one shared ``contextvars`` context. A :class:`ReusedLoop` keeps its loop and its handler until
:meth:`~ReusedLoop.close`; each :meth:`~ReusedLoop.run` runs the coroutine as a task of its
own in a copy of the caller's context, then cancels and awaits whatever tasks it left behind,
so nothing crosses from one run to the next.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Coroutine
from types import FrameType
from typing import Any, TypeVar

__all__ = ["ReusedLoop"]

T = TypeVar("T")


class ReusedLoop:
    """Runs coroutines one at a time on one event loop, in the thread that calls it.

    In the main thread, with Python's default Ctrl-C handling, the first Ctrl-C cancels the
    running coroutine and :meth:`run` raises ``KeyboardInterrupt`` once it has wound down (as
    ``asyncio.run`` does); a Ctrl-C between runs, or a second one, interrupts at once."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._interrupted = False
        self._handling_sigint = False

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        loop = self._loop if self._loop is not None else self._open()
        task = loop.create_task(coroutine)
        self._task, self._interrupted = task, False
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            if self._interrupted:
                raise KeyboardInterrupt from None
            raise
        finally:
            self._task = None
            _settle(loop)

    def close(self) -> None:
        """Finish the loop's asynchronous generators and executor, close it and give Ctrl-C
        back to Python's default handler."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            _settle(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            if self._handling_sigint and signal.getsignal(signal.SIGINT) == self._on_sigint:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            self._handling_sigint = False
            loop.close()

    def _open(self) -> asyncio.AbstractEventLoop:
        loop = self._loop = asyncio.new_event_loop()
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            signal.signal(signal.SIGINT, self._on_sigint)
            self._handling_sigint = True
        return loop

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        task, loop = self._task, self._loop
        if task is None or loop is None or task.done() or self._interrupted:
            raise KeyboardInterrupt
        self._interrupted = True
        task.cancel()
        loop.call_soon_threadsafe(lambda: None)  # wake a loop blocked in select()


def _settle(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the tasks a run left in ``loop`` and wait until they have finished."""
    if left := asyncio.all_tasks(loop):
        for task in left:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
