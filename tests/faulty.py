"""Misbehaving strategies, named by import path (``faulty:Raises``) in test scenarios."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from typing import Any, cast

import numpy as np

from accord.agents import AgentContext, Linear, Response, TurnState
from accord.model import Outcome
from accord.protocols import FakeClock


class Raises(Linear):
    """Raises on its second turn."""

    turns = 0

    def propose(self, state: TurnState) -> Outcome:
        self.turns += 1
        if self.turns > 1:
            raise RuntimeError("boom in propose")
        return super().propose(state)

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        return Response.REJECT


RELEASE = threading.Event()
"""Set by a test to let the hanging strategies below return, so no thread outlives it."""


class Hangs(Linear):
    """Blocks its thread on its first proposal (a sync hang, not an await)."""

    def propose(self, state: TurnState) -> Outcome:
        RELEASE.wait(3600)
        return super().propose(state)


class SpinsForever(Linear):
    """Busy-loops in pure Python on its first proposal, never yielding on purpose."""

    def propose(self, state: TurnState) -> Outcome:
        while not RELEASE.is_set():
            pass
        return super().propose(state)


class SleepsAsync(Linear):
    """An async strategy that never answers."""

    async def propose(self, state: TurnState) -> Outcome:  # type: ignore[override]
        await asyncio.sleep(3600)
        return super().propose(state)


class OffersOutside(Linear):
    """Offers a price outside the issue's range."""

    def propose(self, state: TurnState) -> Outcome:
        outcome = dict(super().propose(state))
        outcome["price"] = 99
        return outcome


class OffersGarbage(Linear):
    """Returns something that is not an outcome."""

    def propose(self, state: TurnState) -> Outcome:
        return 42  # type: ignore[return-value]  # the point of the test


class RespondsGarbage(Linear):
    def respond(self, state: TurnState, offer: Outcome) -> Response:
        return "maybe"  # type: ignore[return-value]  # the point of the test


class BrokenStart(Linear):
    def on_start(self, ctx: AgentContext) -> None:
        super().on_start(ctx)
        raise ValueError("on_start failed")


class NoRespond:
    """Can only propose: cannot take part in SAOP."""

    def on_start(self, ctx: AgentContext) -> None: ...

    def propose(self, state: TurnState) -> Outcome:
        return {}


class EndsAtOnce(Linear):
    def respond(self, state: TurnState, offer: Outcome) -> Response:
        return Response.END


class AdvancesClock(Linear):
    """Advances an injected fake clock by one second per proposal."""

    clock: FakeClock | None = None

    def propose(self, state: TurnState) -> Outcome:
        if self.clock is not None:
            self.clock.advance(1.0)
        return super().propose(state)

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        return Response.REJECT


class AcceptsAnything(Linear):
    """Accepts whatever is on the table, however bad for it (an audit's planted victim)."""

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        return Response.ACCEPT


class KillsItsProcess(Linear):
    """Ends the whole process on its first proposal, as a crash of a worker would (only for
    workers that a test can afford to lose, such as a Dask cluster's)."""

    def propose(self, state: TurnState) -> Outcome:
        os._exit(13)


class StopsItsProcess(Linear):
    """Stops its whole process (``SIGSTOP``, as a debugger or an operator would) on its first
    proposal: no answer, no last will (its connection stays open), no exit."""

    def propose(self, state: TurnState) -> Outcome:
        os.kill(os.getpid(), signal.SIGSTOP)
        return super().propose(state)


class AwaitsInSync(Linear):
    """Sync methods that return awaitables which really wait: the runtime awaits them."""

    def propose(self, state: TurnState) -> Outcome:
        async def later() -> Outcome:
            await asyncio.sleep(0.001)
            return Linear.propose(self, state)

        return later()  # type: ignore[return-value]


class OffersNumpy(Linear):
    """Offers with numpy scalars as values: the runtime sends them as plain numbers."""

    def propose(self, state: TurnState) -> Outcome:
        outcome = super().propose(state)
        scalars: dict[str, Any] = {
            "price": np.int64(outcome["price"]),
            "colour": np.str_(outcome["colour"]),
            "term": np.float64(outcome["term"]),
        }
        return scalars


class OffersNaN(Linear):
    """Offers a non-finite value, which no transport could carry."""

    def propose(self, state: TurnState) -> Outcome:
        return {**super().propose(state), "term": float("nan")}


class Tampers(Linear):
    """Writes into everything it is handed (the offer, the options, the offers seen, the
    bodies its hooks get), after deciding as Linear would: none of it may reach a message."""

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        answer = super().respond(state, offer)
        self._tamper(offer, state.options, *(event.outcome for event in self.ctx.offers))
        return answer

    def propose(self, state: TurnState) -> Outcome:
        outcome = super().propose(state)
        self._tamper(state.options, *(event.outcome for event in self.ctx.offers))
        return outcome

    def on_event(self, ctx: AgentContext, event: dict[str, Any]) -> None:
        self._tamper(event, *(v for v in event.values() if isinstance(v, dict)))

    def on_end(self, ctx: AgentContext, result: dict[str, Any]) -> None:
        self._tamper(result, *(v for v in result.values() if isinstance(v, dict)))

    @staticmethod
    def _tamper(*targets: object) -> None:
        for target in targets:
            cast("dict[str, Any]", target)["tampered"] = True


class BrokenInit(Linear):
    """Its constructor raises (not a bad parameter: a bug in the plug-in)."""

    def __init__(self) -> None:
        raise RuntimeError("cannot start")


RELEASE_ON_END = threading.Event()
"""Set by a test to let :class:`HangsAtEnd` return (so its thread is gone before the next)."""


class HangsAtEnd(Linear):
    """Its on_end does not return until the test releases it (or for a minute)."""

    def on_end(self, ctx: AgentContext, result: dict[str, object]) -> None:
        RELEASE_ON_END.wait(60)


class SleepsLong(Linear):
    """Sleeps (a blocking call into the C library) for an hour on its first proposal."""

    def propose(self, state: TurnState) -> Outcome:
        time.sleep(3600)
        return super().propose(state)


class SwallowsErrors(Linear):
    """Loops forever on its first proposal, swallowing every ``Exception`` it meets."""

    def propose(self, state: TurnState) -> Outcome:
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # noqa: BLE001, S112  # the point: a careless catch-all
                continue


class BlocksAsync(Linear):
    """An ``async`` method that blocks the event loop (no await) on its first proposal."""

    async def propose(self, state: TurnState) -> Outcome:  # type: ignore[override]
        time.sleep(3600)  # noqa: ASYNC251  # the point: it blocks the event loop
        return super().propose(state)


class HangsInEvent(Linear):
    """Its ``on_event`` blocks for an hour the first time it is called."""

    hung = False

    def on_event(self, ctx: AgentContext, event: dict[str, Any]) -> None:
        if not self.hung:
            self.hung = True
            RELEASE.wait(3600)


class BlocksTheWatchdog(Linear):
    """On its first proposal, blocks the watchdog's signal and sleeps: as a long call in C
    code that never returns to the interpreter, nothing inside the process can interrupt it."""

    def propose(self, state: TurnState) -> Outcome:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(3600)
        return super().propose(state)
