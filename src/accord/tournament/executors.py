"""Where negotiations run: in this process, or in a local pool of worker processes.

An :class:`Executor` takes the :class:`~accord.tournament.workload.Workload` (sent to each
worker once) and the jobs, and yields one row per job as the negotiations finish, in any
order. Closing the iterator early (``--stop-after``, Ctrl-C) must stop the remaining work; rows
already yielded are kept by the caller. Another backend (a Dask cluster, say) is one more class
with a ``run`` method: ship the workload once (``scatter``), submit
:func:`~accord.tournament.worker.play` per job, yield results ``as_completed``.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing.context import BaseContext
from typing import Protocol

from accord.tournament.plan import Job
from accord.tournament.rows import Row, failed_row
from accord.tournament.worker import Player
from accord.tournament.workload import Workload

__all__ = ["Executor", "ProcessExecutor", "SerialExecutor", "default_workers"]


class Executor(Protocol):
    """Runs the jobs of a tournament and yields their rows as they finish."""

    def run(self, workload: Workload, jobs: Sequence[Job]) -> Generator[Row, None, None]:
        """One row per job, in completion order; stops the remaining work when closed."""
        ...


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


class SerialExecutor:
    """Every negotiation in this process, one after the other (``--workers 1``)."""

    def __init__(self, broker: str | None = None) -> None:
        self.broker = broker

    def run(self, workload: Workload, jobs: Sequence[Job]) -> Generator[Row, None, None]:
        with Player(workload) as player:
            for job in jobs:
                yield player.play(job, self.broker)


_PLAYER: Player | None = None
"""The player of this worker process (its workload and event loop), set once by
:func:`_start_worker`; it lives as long as the process."""


def _start_worker(workload: Workload, setup: Callable[[], None] | None) -> None:
    global _PLAYER  # noqa: PLW0603  # one player per worker process, by design
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if setup is not None:
        setup()
    _PLAYER = Player(workload)
    gc.freeze()  # what the worker starts with lives as long as it: see accord.tournament.heap


def _play_in_worker(jobs: list[Job], broker: str | None) -> list[Row]:
    if _PLAYER is None:
        raise RuntimeError("worker process started without a workload")
    return [_PLAYER.play(job, broker) for job in jobs]


BATCH_SECONDS = 0.05
"""A batch of jobs sent to a worker in one message takes about this long to play: each
message costs the parent and the worker ~0.4 ms of CPU, as much as a twentieth of a short
negotiation, and the parent shares the machine's cores with the workers."""

MAX_BATCH = 16


def batch_size(remaining: int, workers: int, seconds_per_job: float | None) -> int:
    """How many of the ``remaining`` jobs to send in the next batch: one until finished rows
    tell how long a negotiation takes, then about :data:`BATCH_SECONDS`' worth, and smaller
    batches towards the end (a quarter of each worker's share at most), so that no worker
    waits long for the last ones."""
    if seconds_per_job is None:
        return 1
    by_time = int(BATCH_SECONDS / max(seconds_per_job, 1e-6))
    return max(1, min(MAX_BATCH, by_time, remaining // (4 * workers)))


class ProcessExecutor:
    """A local pool of ``workers`` processes (forked while this process has no other thread,
    from a ``forkserver`` otherwise: see :func:`_start_method`). ``setup`` runs once in each
    worker (the CLI configures logging there); it must be picklable. Jobs go to the workers
    in batches (:func:`batch_size`), at most ``2 * workers`` batches in flight, so stopping
    early wastes little. A worker that dies fails the batches in flight: a batch of one job
    becomes a failed row, the jobs of a larger one are played again one at a time."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        broker: str | None = None,
        setup: Callable[[], None] | None = None,
    ) -> None:
        self.workers = workers or default_workers()
        self.broker = broker
        self.setup = setup

    def run(self, workload: Workload, jobs: Sequence[Job]) -> Generator[Row, None, None]:
        queue = deque(jobs)
        alone: deque[Job] = deque()  # of batches lost with a worker: played again one by one
        pool = self._pool(workload)
        pending: dict[Future[list[Row]], list[Job]] = {}
        timed = _Timing()
        try:
            while True:
                while (queue or alone) and len(pending) < 2 * self.workers:
                    if alone:
                        batch = [alone.popleft()]
                    else:
                        size = batch_size(len(queue), self.workers, timed.mean)
                        batch = [queue.popleft() for _ in range(min(size, len(queue)))]
                    pending[pool.submit(_play_in_worker, batch, self.broker)] = batch
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    batch = pending.pop(future)
                    try:
                        rows = future.result()
                    except Exception as exc:  # noqa: BLE001  # a worker died
                        if len(batch) > 1:
                            alone.extend(batch)  # which job killed it? each alone will tell
                            continue
                        rows = [failed_row(batch[0], "", exc)]
                    for row in rows:
                        timed.add(row)
                        yield row
                if _broken(pool):
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._pool(workload)  # the jobs still queued get a new pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _pool(self, workload: Workload) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=_start_method(),
            initializer=_start_worker,
            initargs=(workload, self.setup),
        )


class _Timing:
    """The mean ``wall_time_s`` of the rows seen so far."""

    def __init__(self) -> None:
        self._total = 0.0
        self._count = 0

    def add(self, row: Row) -> None:
        seconds = row.get("wall_time_s")
        if isinstance(seconds, int | float):
            self._total += seconds
            self._count += 1

    @property
    def mean(self) -> float | None:
        return self._total / self._count if self._count else None


def _start_method() -> BaseContext:
    """``fork`` while this process has no other thread: the workers start with accord
    already imported (importing it takes most of a second) and fork all at once, before the
    pool's own manager thread exists. A process with threads (a progress bar, a notebook) is
    never forked: its workers come from a ``forkserver`` that imports accord once, or are
    spawned where there is none."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        # the server imports accord once; each worker is forked from it, ready to play
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def _broken(pool: ProcessPoolExecutor) -> bool:
    """Whether a worker of ``pool`` died (every later submission would fail)."""
    return bool(getattr(pool, "_broken", False))
