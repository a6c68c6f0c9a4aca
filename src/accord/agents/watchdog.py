"""A timer signal that interrupts a strategy call running past its time.

Strategy code runs inline on the event loop (:class:`~accord.agents.executor.GuardedExecutor`):
no thread hop per call. What keeps a strategy that blocks, sleeps or loops forever from
freezing every other party in the process is this watchdog: :meth:`Watchdog.enter` sets a
real-time interval timer (``setitimer(ITIMER_REAL)``) for the end of the call's budget, and
when it fires during a strategy call, its ``SIGALRM`` handler raises :class:`Overtime` in the
main thread, inside the strategy's code. It fires again every :data:`REFIRE_S` until the call
is over, so a strategy that swallows the first one (``except BaseException``) is interrupted
again. :class:`Overtime` derives from ``BaseException``, as ``KeyboardInterrupt`` does, so an
ordinary ``except Exception`` in the strategy does not swallow it at all.

The timer is set once per budget, not once per call: a turn's calls (``respond``, then
``propose`` for the counter-offer) share their turn's end, and between and after them the
timer stays set, with a flag saying that no strategy code is running. A firing outside a call
raises nothing and stops the timer (the next call of that budget sets it again, and is
interrupted at once, its budget being spent). Two system calls a turn instead of two a call.

Python runs signal handlers between bytecodes of the main thread, and interrupts the blocking
calls of the standard library that wait on the system (``time.sleep``, ``Event.wait``, socket
reads): those end at once. A C extension that computes for a long time without returning to
the interpreter is interrupted only when it returns; against that, only a process boundary
helps (``accord run --processes``; in a tournament's worker pool, the guard of
:mod:`accord.tournament.guard` kills the worker, told of every call through :attr:`Watchdog.
watch`).

Signals exist only in the main thread and on POSIX (:func:`available`). Elsewhere (a
negotiation in a helper thread, Windows) the runtime runs plug-in strategies on worker threads
instead, as before.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType
from typing import Any, Protocol

__all__ = ["REFIRE_S", "WATCHDOG", "CallWatch", "Overtime", "Watchdog", "available"]

REFIRE_S = 0.05
"""How often the timer fires again while an interrupted call has not ended."""


class Overtime(BaseException):  # an interrupt, like KeyboardInterrupt
    """Raised into a strategy call that ran past its budget; the executor turns it into
    :class:`~accord.errors.StrategyOvertime`, so it never leaves the runtime."""


def available() -> bool:
    """Whether a watchdog can work here: POSIX interval timers, in the main thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class CallWatch(Protocol):
    """Told of every guarded call as it begins and ends (a tournament worker's
    :class:`~accord.tournament.guard.CallBoard`, which its parent reads)."""

    def mark(self, party: str, budget: float) -> None: ...

    def clear(self) -> None: ...


class Watchdog:
    """Sets the process's real-time timer for the calls of one budget at a time.

    Calls on one event loop never overlap, so one timer serves every agent of the process.
    While any guarded executor is open (:meth:`hold` .. :meth:`release`), the ``SIGALRM``
    handler is the watchdog's; the last :meth:`release` puts back the one that was there."""

    def __init__(self) -> None:
        self._previous: Any = signal.SIG_DFL
        self._holders = 0
        self._armed = False
        self._until = 0.0
        self.inside = False
        """Whether a strategy call is running (between :meth:`enter` and :meth:`leave`)."""
        self.watch: CallWatch | None = None
        """Told of each call (``enter``/``leave``), when set."""

    def hold(self) -> None:
        """Install the handler (once for every holder)."""
        if self._holders == 0:
            previous = signal.signal(signal.SIGALRM, self._fire)
            self._previous = signal.SIG_DFL if previous is None else previous
        self._holders += 1

    def release(self) -> None:
        """Undo one :meth:`hold`; the last one stops the timer and restores the handler."""
        self._holders -= 1
        if self._holders == 0:
            self.disarm()
            signal.signal(signal.SIGALRM, self._previous)

    def enter(self, until: float, who: str = "") -> None:
        """A strategy call of ``who`` (the party, for :attr:`watch`) begins, to be interrupted
        (with :class:`Overtime`, which may come from here already) at ``until``
        (``time.monotonic()``); sets the timer unless it is set for that end already.
        :meth:`leave` when the call is over, whatever happened."""
        if self.watch is not None:
            self.watch.mark(who, until - time.monotonic())
        self.inside = True  # first: a timer due at once must find the call begun
        if not self._armed or self._until != until:
            self._until = until
            self._armed = True
            signal.setitimer(signal.ITIMER_REAL, max(until - time.monotonic(), 1e-6), REFIRE_S)

    def leave(self) -> None:
        """The strategy call is over (the timer stays set for the next call of its budget)."""
        self.inside = False
        if self.watch is not None:
            self.watch.clear()

    def disarm(self) -> None:
        """Stop the timer."""
        self.inside = False
        if self._armed:
            self._armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)

    def _fire(self, signum: int, frame: FrameType | None) -> None:
        if not self._armed or time.monotonic() < self._until:
            return
        if self.inside:
            raise Overtime
        self.disarm()  # the budget ran out between calls: nothing to interrupt


WATCHDOG = Watchdog()
"""The process's one watchdog (one timer per process)."""
