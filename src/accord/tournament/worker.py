"""Playing one job: negotiate its scenario and turn the result into a row.

A negotiation that crashes (an error accord did not contain as a party's fault) becomes a
``failed`` row with the error; it never stops the tournament. A strategy that raises, breaks
the protocol or times out is contained by the negotiation itself: its row is ``ok`` with the
reason (``strategy_error``, ``protocol_violation``, ``turn_timeout``) and the responsible party.

Every negotiation of a scenario reuses the profiles that the workload bound once in this
process (:meth:`~accord.tournament.workload.Workload.profiles`), with their utilities over the
whole outcome space and their sorted orders: on large domains that sort was most of a
negotiation's time. The results are those of profiles bound afresh. The outcome metrics of
an outcome are computed once per scenario and process too
(:meth:`~accord.tournament.workload.Workload.metrics`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from accord.broker.select import open_bus
from accord.logs import get_logger
from accord.model import BoundProfile
from accord.runner import Negotiation, negotiate
from accord.scenarios import Scenario
from accord.tournament.plan import Job
from accord.tournament.reused_loop import ReusedLoop
from accord.tournament.rows import Row, failed_row, result_row
from accord.tournament.workload import Workload

__all__ = ["Player", "play"]

log = get_logger(__name__)


def play(workload: Workload, job: Job, broker: str | None = None) -> Row:
    """Negotiate ``job`` (over the memory bus, or over MQTT through ``broker``) in a new event
    loop; never raises for a failed negotiation."""
    with Player(workload) as player:
        return player.play(job, broker)


class Player:
    """Plays jobs of one workload one after another on one event loop of its own.

    Making and closing a loop per negotiation (``asyncio.run``) cost ~0.2 ms, ~2% of a
    negotiation of the tournament benchmark; nothing crosses from one job to the next all the
    same (see :mod:`~accord.tournament.reused_loop`). In a thread that already runs a loop (a
    notebook, an async application), the loop runs in a helper thread."""

    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self._loop = ReusedLoop()
        self._helper: concurrent.futures.ThreadPoolExecutor | None = None

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def play(self, job: Job, broker: str | None = None) -> Row:
        """Negotiate ``job`` (over the memory bus, or over MQTT through ``broker``); never
        raises for a failed negotiation."""
        workload = self.workload
        scenario = workload.scenario_for(job)
        negotiation_id = scenario.negotiation_id(job.seed)
        try:
            profiles = workload.profiles(job.scenario)
            negotiation = self._blocking(
                functools.partial(
                    _negotiate, scenario, job.seed, broker, sign=workload.sign, profiles=profiles
                )
            )
            metrics = workload.metrics(job.scenario, negotiation.result.outcome)
            return result_row(job, negotiation.result, metrics)
        except Exception as exc:  # noqa: BLE001  # recorded as a failed row, by design
            log.warning("negotiation_failed", negotiation_id=negotiation_id, error=repr(exc))
            return failed_row(job, negotiation_id, exc)

    def close(self) -> None:
        """Close the loop (and the helper thread, if one was needed)."""
        if self._helper is None:
            self._loop.close()
            return
        self._helper.submit(self._loop.close).result()
        self._helper.shutdown()

    def _blocking(self, start: Callable[[], Coroutine[Any, Any, Negotiation]]) -> Negotiation:
        if self._helper is None and _loop_running():
            self._helper = concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix="accord-play"
            )
        if self._helper is not None:
            return self._helper.submit(lambda: self._loop.run(start())).result()
        return self._loop.run(start())


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _negotiate(
    scenario: Scenario,
    seed: int,
    broker: str | None,
    *,
    sign: bool,
    profiles: Mapping[str, BoundProfile],
) -> Negotiation:
    if broker is None:
        return await negotiate(scenario, seed=seed, sign=sign, profiles=profiles)
    async with open_bus("mqtt", broker) as bus:
        return await negotiate(scenario, seed=seed, bus=bus, sign=sign, profiles=profiles)
