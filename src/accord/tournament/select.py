"""Choosing where a tournament's negotiations run, from the CLI's ``--executor`` and
``--workers``.

* ``local`` (the default): a pool of ``--workers`` processes on this machine (default: the
  CPUs available); ``--workers 1`` plays in this process.
* ``serial``: in this process, one negotiation after the other (``--workers`` may only be 1).
* ``dask://HOST:PORT``: the Dask cluster whose scheduler listens there; its workers are the
  ones it was started with, so ``--workers`` is refused. Connects at once, so an unreachable
  cluster is reported before anything is written.

Any choice gives the same rows (seeds are derived per negotiation); only ``wall_time_s``
differs.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from accord.errors import InputError
from accord.tournament.executors import Executor, ProcessExecutor, SerialExecutor, default_workers

__all__ = ["EXECUTOR_CHOICES", "make_executor"]

EXECUTOR_CHOICES = "local, serial or dask://HOST:PORT"


def make_executor(
    choice: str,
    *,
    workers: int | None = None,
    broker: str | None = None,
    setup: Callable[[], None] | None = None,
) -> Executor:
    """The executor that ``--executor choice --workers workers`` names; an
    :class:`~accord.errors.InputError` for a choice it does not know, a ``--workers`` that
    does not apply, or a Dask cluster that cannot be used (a
    :class:`~accord.errors.ClusterError`)."""
    if choice == "local":
        count = workers or default_workers()
        if count == 1:
            return SerialExecutor(broker)
        return ProcessExecutor(count, broker=broker, setup=setup)
    if choice == "serial":
        if workers not in {None, 1}:
            raise InputError(
                f"--executor serial plays in this process, so --workers {workers} does not "
                "apply; use --executor local for a pool of worker processes"
            )
        return SerialExecutor(broker)
    if choice.startswith("dask://"):
        return _dask(choice, workers=workers, broker=broker, setup=setup)
    raise InputError(f"--executor must be {EXECUTOR_CHOICES}; got {choice!r}")


def _dask(
    address: str,
    *,
    workers: int | None,
    broker: str | None,
    setup: Callable[[], None] | None,
) -> Executor:
    host, _, port = address.removeprefix("dask://").rpartition(":")
    if not host or not port.isdigit():
        raise InputError(
            f"--executor dask:// needs a host and a port (dask://HOST:PORT); got {address!r}"
        )
    if workers is not None:
        raise InputError(
            f"--workers {workers} applies to --executor local only; a Dask cluster runs on the "
            "workers it was started with (dask worker SCHEDULER --nworkers N)"
        )
    if importlib.util.find_spec("distributed") is None:
        raise InputError(
            f"--executor {address} needs Dask's distributed scheduler: pip install 'accord[dask]'"
        )
    from accord.tournament.dask_executor import DaskExecutor  # noqa: PLC0415  # optional extra

    executor = DaskExecutor(address, broker=broker, setup=setup)
    executor.connect()
    return executor
