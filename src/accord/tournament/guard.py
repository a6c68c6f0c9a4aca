"""The process guard of a tournament's worker pool: a strategy call stuck past its turn is
ended by killing its worker.

The watchdog (:mod:`accord.agents.watchdog`) interrupts a plug-in strategy's call at the end
of its turn, but only between bytecodes: C code that computes without returning to the
interpreter (a catastrophic regular expression, a long native loop) runs on. In a worker
pool the parent can end it: each worker writes, into shared memory, which call it is in
(the job, the party, when it began, its budget) as each guarded call begins
(:meth:`~accord.agents.watchdog.Watchdog.enter`), and clears it as the call ends. The
parent looks every :data:`TICK_S`; a call past its budget by :data:`GRACE_S` has its worker
killed. The pool then plays the jobs that were in flight
again one by one (:class:`~accord.tournament.executors.ProcessExecutor`), and the job whose
worker was killed alone is a ``failed`` row naming the party.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Any

__all__ = ["GRACE_S", "TICK_S", "CallBoard", "Stuck"]

TICK_S = 0.5
"""How often the parent looks at the board."""

GRACE_S = 2.0
"""How long past its budget a call may run (the watchdog fires at the budget) before its
worker is killed."""

_FIELDS = 5  # pid, job index, began (monotonic), budget, party number
_NAME = 64  # bytes of a party's name
_NAMES = 32  # party names a slot remembers (beyond them, the last one is reused)


@dataclass(frozen=True, slots=True)
class Stuck:
    """A call the guard ended."""

    pid: int
    job: int
    party: str
    seconds: float
    budget: float

    def describe(self) -> str:
        return (
            f"party {self.party!r} was {self.seconds:.1f} s in one strategy call (its turn "
            f"allowed {self.budget:g} s) and did not return to the interpreter: its worker "
            "process was killed"
        )


class CallBoard:
    """One slot per worker process, in memory shared with the parent."""

    def __init__(self, workers: int, context: BaseContext | None = None) -> None:
        ctx: Any = context or multiprocessing.get_context()
        self.workers = workers
        self.numbers = ctx.Array("d", _FIELDS * workers, lock=False)
        self.names = ctx.Array("c", _NAME * _NAMES * workers, lock=False)
        self.claimed = ctx.Value("i", 0)
        self.slot = -1
        """This worker's slot (set by :meth:`claim` in the worker)."""
        self.job = -1
        """The job this worker plays now (set by the worker before each job)."""
        self._numbers: dict[str, int] = {}
        """This worker's party names, by the number its slot holds them under."""

    # -- in a worker ----------------------------------------------------------------------------

    def claim(self) -> None:
        with self.claimed.get_lock():
            self.slot = self.claimed.value
            self.claimed.value += 1
        if 0 <= self.slot < self.workers:
            self.numbers[self.slot * _FIELDS] = os.getpid()

    def mark(self, party: str, budget: float) -> None:
        """A call of ``party``'s strategy begins, with ``budget`` seconds (on the hot path of
        every guarded call: a party's name is written once, then named by its number)."""
        slot = self.slot
        if not 0 <= slot < self.workers:
            return
        number = self._numbers.get(party)
        if number is None:
            number = min(len(self._numbers), _NAMES - 1)
            at = (slot * _NAMES + number) * _NAME
            self.names[at : at + _NAME] = party.encode("utf-8", "replace")[:_NAME].ljust(
                _NAME, b"\0"
            )
            self._numbers[party] = number
        at = slot * _FIELDS
        numbers = self.numbers
        numbers[at + 1] = self.job
        numbers[at + 3] = budget
        numbers[at + 4] = number
        numbers[at + 2] = time.monotonic()  # last: a reader sees a whole mark

    def clear(self) -> None:
        if 0 <= self.slot < self.workers:
            self.numbers[self.slot * _FIELDS + 2] = 0.0

    # -- in the parent --------------------------------------------------------------------------

    def stuck(self, now: float | None = None) -> list[Stuck]:
        """Every call past its budget by :data:`GRACE_S`."""
        now = time.monotonic() if now is None else now
        found = []
        for slot in range(self.workers):
            at = slot * _FIELDS
            began = self.numbers[at + 2]
            budget = self.numbers[at + 3]
            if began > 0 and now - began > budget + GRACE_S:
                name = (slot * _NAMES + int(self.numbers[at + 4])) * _NAME
                raw = bytes(self.names[name : name + _NAME]).rstrip(b"\0")
                found.append(
                    Stuck(
                        pid=int(self.numbers[at]),
                        job=int(self.numbers[at + 1]),
                        party=raw.decode("utf-8", "replace"),
                        seconds=now - began,
                        budget=budget,
                    )
                )
        return found

    def end(self, stuck: Stuck) -> None:
        """Kill the worker of a stuck call (and forget the call)."""
        for slot in range(self.workers):
            if int(self.numbers[slot * _FIELDS]) == stuck.pid:
                self.numbers[slot * _FIELDS + 2] = 0.0
        with contextlib.suppress(ProcessLookupError):  # it ended by itself meanwhile
            os.kill(stuck.pid, signal.SIGKILL)
