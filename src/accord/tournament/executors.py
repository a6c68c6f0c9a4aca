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

from accord.agents.watchdog import WATCHDOG
from accord.errors import StrategyStuck
from accord.tournament.guard import TICK_S, CallBoard, Stuck
from accord.tournament.heap import young_threshold_raised
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

_BOARD: CallBoard | None = None
"""This worker's slot of the pool's :class:`~accord.tournament.guard.CallBoard`."""


def _start_worker(
    workload: Workload, setup: Callable[[], None] | None, board: CallBoard | None = None
) -> None:
    global _PLAYER, _BOARD  # noqa: PLW0603  # one player per worker process, by design
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if setup is not None:
        setup()
    if board is not None:
        board.claim()
        WATCHDOG.watch = board
        _BOARD = board
    _PLAYER = Player(workload)
    gc.freeze()  # what the worker starts with lives as long as it: see accord.tournament.heap
    young_threshold_raised()  # this process only plays: see accord.tournament.heap


def _play_in_worker(jobs: list[Job], broker: str | None) -> list[Row]:
    if _PLAYER is None:
        raise RuntimeError("worker process started without a workload")
    rows = []
    for job in jobs:
        if _BOARD is not None:
            _BOARD.job = job.index
        rows.append(_PLAYER.play(job, broker))
    return rows


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
    becomes a failed row, the jobs of a larger one are played again one at a time. A
    strategy call stuck in C code past its turn has its worker killed by the guard
    (:mod:`accord.tournament.guard`): its job is a failed row naming the party."""

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
        pool, board = self._pool(workload)
        pending: dict[Future[list[Row]], list[Job]] = {}
        timed = _Timing()
        killed: dict[int, Stuck] = {}
        """By job index: the stuck calls whose workers the guard killed."""
        guarded = False
        """Whether the guard killed a worker of the current pool."""
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
                done, _ = wait(pending, timeout=TICK_S, return_when=FIRST_COMPLETED)
                for stuck in board.stuck():
                    killed[stuck.job] = stuck
                    board.end(stuck)
                    guarded = True  # this pool breaks because of it, not of its other jobs
                for future in done:
                    batch = pending.pop(future)
                    try:
                        rows = future.result()
                    except Exception as exc:  # noqa: BLE001  # a worker died
                        rows = _lost(batch, exc, killed, alone, replay=guarded)
                    for row in rows:
                        timed.add(row)
                        yield row
                if _broken(pool):
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool, board = self._pool(workload)  # the jobs still queued get a new pool
                    guarded = False
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _pool(self, workload: Workload) -> tuple[ProcessPoolExecutor, CallBoard]:
        """A new pool, and the board its workers mark their strategy calls on."""
        context = _start_method()
        board = CallBoard(self.workers, context)
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(workload, self.setup, board),
        )
        return pool, board


def _lost(
    batch: list[Job],
    exc: BaseException,
    killed: dict[int, Stuck],
    alone: deque[Job],
    *,
    replay: bool,
) -> list[Row]:
    """The rows of a batch lost with its worker: a failed row for a job whose stuck call the
    guard ended, and for the job of a batch of one when nothing else explains the loss; the
    others go to ``alone``, to be played again one at a time (which job killed the worker?
    each alone will tell). With ``replay`` (the guard broke the pool) every other job is
    played again."""
    rows = [
        failed_row(job, "", StrategyStuck(killed[job.index].describe()))
        for job in batch
        if job.index in killed
    ]
    others = [job for job in batch if job.index not in killed]
    if len(others) > 1 or rows or replay:
        alone.extend(others)
    else:
        rows += [failed_row(job, "", exc) for job in others]
    return rows


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
