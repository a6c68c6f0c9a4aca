"""Negotiations on a Dask distributed cluster (``--executor dask://HOST:PORT``).

The workload (scenarios already loaded and imported, strategies and mechanisms by label, the
domain analyses) is scattered to the cluster once; each job is one task that calls
:func:`~accord.tournament.worker.play` on a worker; rows come back as the tasks finish. The
workers therefore need accord (the same version) and any plug-in strategies or mechanisms the
spec names installed, but not the scenario files or the corpus.

A task that raises, and a task whose worker died more often than the scheduler's
``distributed.scheduler.allowed-failures`` (``KilledWorker``), become ``failed`` rows; the
tournament goes on. A result lost otherwise (the scheduler was lost or restarted, the tasks
cancelled) is not the negotiation's doing: it stops the run with a
:class:`~accord.errors.ClusterError`, like an interruption, and running again resumes. A
cluster that cannot be reached within Dask's connect timeout
(``distributed.comm.timeouts.connect``), that has no worker, or whose workers cannot import
accord is a :class:`~accord.errors.ClusterError` too.

Needs the ``dask`` extra (``pip install accord[dask]``); this module imports ``distributed``
and is imported only when a Dask executor is asked for.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Generator, Sequence

from distributed import Client, Future, as_completed

import accord
from accord.errors import ClusterError
from accord.logs import get_logger
from accord.tournament.plan import Job
from accord.tournament.rows import Row, failed_row
from accord.tournament.worker import play
from accord.tournament.workload import Workload

__all__ = ["DaskExecutor"]

log = get_logger(__name__)

WAIT_FOR_WORKERS_S = 30.0
"""How long a run waits for a cluster without workers to get one."""

RECOUNT_S = 5.0
"""How often the number of threads of the cluster (which sets the jobs in flight) is re-read."""


class DaskExecutor:
    """The jobs as tasks on the Dask cluster whose scheduler is at ``address``
    (``tcp://host:port``, or ``dask://host:port``). At most ``2 x`` the cluster's threads are
    in flight, so stopping early wastes little; closing the iterator cancels them. ``setup``
    runs once in each worker process before its first negotiation (the CLI configures logging
    there); it must be picklable."""

    def __init__(
        self,
        address: str,
        *,
        broker: str | None = None,
        setup: Callable[[], None] | None = None,
        timeout: float | None = None,
    ) -> None:
        self.address = address
        self._scheduler = _scheduler_address(address)
        self.broker = broker
        self.setup = setup
        self.timeout = timeout
        self._client: Client | None = None

    def connect(self) -> None:
        """Connect to the scheduler now (``run`` does it otherwise), and check that the
        workers can run accord: a :class:`ClusterError` if not."""
        if self._client is not None:
            return
        try:
            if self.timeout is None:
                client = Client(self._scheduler, set_as_default=False)
            else:
                client = Client(self._scheduler, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(self.address, f"cannot connect to the scheduler: {exc}") from exc
        try:
            versions = _check_workers(client, self.address)
        except ClusterError:
            client.close()
            raise
        others = {w: v for w, v in versions.items() if v != accord.__version__}
        if others:
            log.warning(
                "cluster_version_mismatch", address=self.address, here=accord.__version__, **others
            )
        self._client = client

    def run(self, workload: Workload, jobs: Sequence[Job]) -> Generator[Row, None, None]:
        self.connect()
        client = self._client
        assert client is not None  # noqa: S101  # connect() set it or raised
        self._client = None  # one run per connection: the next run connects again
        queue = iter(jobs)
        pending: dict[Future[Row], Job] = {}
        run_id = uuid.uuid4().hex[:8]
        try:
            _check_plugins(client, workload, self.address)
            remote = client.scatter(workload, broadcast=True, hash=False)
            in_flight = _threads(client)
            counted = time.monotonic()
            finished = as_completed(loop=client.loop)
            while True:
                for job in queue:
                    future = client.submit(
                        _play_on_worker,
                        remote,
                        job,
                        self.broker,
                        self.setup,
                        key=f"accord-{run_id}-{job.index}",
                        pure=False,
                    )
                    pending[future] = job
                    finished.add(future)
                    if len(pending) >= 2 * in_flight:
                        break
                if not pending:
                    return
                future = next(finished)
                job = pending.pop(future)
                try:
                    row: Row = future.result()
                except Exception as exc:
                    if future.status != "error":  # cancelled, or lost on its way: not the task
                        detail = " ".join(str(exc).split()) or repr(exc)
                        raise ClusterError(self.address, f"the run stopped: {detail}") from exc
                    row = failed_row(job, "", exc)  # the task raised, or killed its workers
                future.release()
                yield row
                if time.monotonic() - counted > RECOUNT_S:
                    in_flight, counted = _threads(client), time.monotonic()
        finally:
            if pending:
                client.cancel(list(pending))
            client.close()


def _check_workers(client: Client, address: str) -> dict[str, str]:
    """The accord version of every worker, once at least one has joined; a
    :class:`ClusterError` saying what went wrong."""
    try:
        client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_S)
    except TimeoutError as exc:
        raise ClusterError(address, f"no worker joined within {WAIT_FOR_WORKERS_S:g} s") from exc
    except OSError as exc:
        raise ClusterError(address, f"lost the connection to the scheduler: {exc}") from exc
    try:
        versions: dict[str, str] = client.run(_accord_version)
    except OSError as exc:  # CommClosedError too
        raise ClusterError(address, f"lost the connection to the scheduler: {exc}") from exc
    except Exception as exc:
        raise ClusterError(
            address, f"its workers cannot run accord (is it installed there?): {exc!r}"
        ) from exc
    return versions


def _check_plugins(client: Client, workload: Workload, address: str) -> None:
    """Refuse, before the first job, a cluster whose workers cannot make every strategy and
    mechanism of the spec (a plug-in installed here and not there): a :class:`ClusterError`
    naming the workers and what they lack, instead of a tournament of failed rows."""
    found: dict[str, list[str]] = client.run(_unloadable, workload)
    missing = {worker: problems for worker, problems in found.items() if problems}
    if not missing:
        return
    worker, problems = next(iter(sorted(missing.items())))
    others = f" (and {len(missing) - 1} more workers)" if len(missing) > 1 else ""
    raise ClusterError(
        address,
        f"worker {worker}{others} cannot play this spec: "
        + "; ".join(problems)
        + "; install the same plug-ins there as here, then run again (nothing was played)",
    )


def _unloadable(workload: Workload) -> list[str]:
    return workload.unloadable()


def _scheduler_address(address: str) -> str:
    scheme, sep, rest = address.partition("://")
    if sep and scheme == "dask":
        return f"tcp://{rest}"
    return address


def _threads(client: Client) -> int:
    """The threads of the cluster's workers (at least 1)."""
    threads: dict[str, int] = client.nthreads()
    return max(1, sum(threads.values()))


def _accord_version() -> str:
    return accord.__version__


_SET_UP = False
"""Whether this worker process ran the executor's ``setup``."""


def _play_on_worker(
    workload: Workload, job: Job, broker: str | None, setup: Callable[[], None] | None
) -> Row:
    """The task: :func:`play`, after ``setup`` the first time in this process. The workload
    is the one object scattered to this worker, so its bound profiles are cached across
    tasks."""
    global _SET_UP  # noqa: PLW0603  # once per worker process, by design
    if setup is not None and not _SET_UP:
        setup()
        _SET_UP = True
    return play(workload, job, broker)
