"""accord tournament on a Dask cluster: a real scheduler and two worker processes on loopback,
started here and stopped at the end; the rows are those of the local executor, resume after
--stop-after works, failures become rows, an unreachable cluster is exit 2."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed", reason="needs Dask: pip install 'accord[dask]' (test extra)")

from accord.errors import ClusterError, InputError
from accord.tournament import ProcessExecutor, SerialExecutor, TournamentRun, run_tournament
from accord.tournament.dask_executor import DaskExecutor
from accord.tournament.results import read_results
from accord.tournament.select import make_executor
from test_tournament import DOMAINS, comparable, tournament_of, write_spec

TESTS = Path(__file__).resolve().parent
STARTUP_S = 60.0
"""How long the cluster may take to start on a busy machine."""

CLUSTER_ENV = {
    # a worker that dies under a task fails that task at once (the default retries it 3 times
    # on other workers); and each worker holds only the task it runs, so no other task is
    # lost with it
    "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
    "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
    "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(*command: str) -> subprocess.Popen[bytes]:
    """A Dask process in its own process group (a nanny's workers included), quiet."""
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", *command],
        env=os.environ | CLUSTER_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group, SIGKILL to what is left after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        with contextlib.suppress(ProcessLookupError):  # the leader exited; its workers may not
            os.killpg(process.pid, signal.SIGKILL)
        return


def workers_of(address: str) -> int:
    from distributed import Client  # noqa: PLC0415

    with Client(address, timeout=5, set_as_default=False) as client:
        return len(client.nthreads())


@contextlib.contextmanager
def dask_cluster(workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``tcp://127.0.0.1:PORT`` and the scheduler's process: a scheduler and ``workers``
    single-thread worker processes (under a nanny, which restarts a worker that dies), with
    the tests folder importable; every process stopped at the end."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    local = ["--no-dashboard", "--host", "127.0.0.1"]
    scheduler = start("distributed.cli.dask_scheduler", *local, "--port", str(port))
    pool = None
    try:
        pool = start(
            "distributed.cli.dask_worker",
            address,
            "--nworkers",
            str(workers),
            "--nthreads",
            "1",
            "--memory-limit",
            "0",
            *local,
        )
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                if workers_of(address) == workers:
                    break
            except OSError:
                pass
            assert scheduler.poll() is None, "the Dask scheduler exited"
            assert time.monotonic() < deadline, "the Dask cluster did not start in time"
            time.sleep(0.2)
        yield address, scheduler
    finally:
        if pool is not None:
            stop(pool)
        stop(scheduler)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A scheduler and two workers for the tests of this module."""
    with dask_cluster(2) as (address, _):
        yield address


@pytest.fixture(scope="module")
def spec_path(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_spec(tmp_path_factory.mktemp("spec"), corpus)


@pytest.fixture(scope="module")
def reference(spec_path: Path, tmp_path_factory: pytest.TempPathFactory) -> TournamentRun:
    """The whole tournament with the local executor, in this process."""
    return run_tournament(tournament_of(spec_path), tmp_path_factory.mktemp("reference"))


def tournament_command(spec: Path, out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "accord", "tournament", str(spec), "--out", str(out), *options],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"COLUMNS": "200"},
        timeout=120,
    )


def rows_in(out: Path, spec: Path) -> list[dict[str, Any]]:
    """The rows of ``out/results.csv``, typed, in plan order."""
    tournament = tournament_of(spec)
    found = read_results(out / "results.csv", tournament.columns, tournament.roles)
    return sorted(found.values(), key=lambda row: int(row["index"]))


@pytest.mark.corpus
@pytest.mark.slow
def test_the_cli_on_a_dask_cluster_gives_the_local_rows_and_resumes_after_stop_after(
    cluster: str, spec_path: Path, reference: TournamentRun, tmp_path: Path
) -> None:
    executor = "--executor", cluster.replace("tcp://", "dask://")
    first = tournament_command(spec_path, tmp_path, *executor, "--stop-after", "9", "--no-progress")
    assert first.returncode == 0, first.stderr
    assert f"9 of {reference.total} negotiations done" in first.stdout
    assert len(rows_in(tmp_path, spec_path)) == 9

    second = tournament_command(spec_path, tmp_path, *executor, "--no-progress")
    assert second.returncode == 0, second.stderr
    assert f"{reference.total - 9} negotiations played now, 9 found done, 0 failed" in second.stdout
    rows = rows_in(tmp_path, spec_path)
    assert comparable(rows) == comparable(reference.rows)
    keys = [line.split(",")[1] for line in (tmp_path / "results.csv").read_text().splitlines()[1:]]
    assert len(keys) == len(set(keys)) == reference.total  # no duplicates, nothing missing


@pytest.mark.corpus
def test_a_task_that_raises_and_a_worker_that_dies_become_failed_rows(
    cluster: str, corpus: Path, tmp_path: Path
) -> None:
    coffee = str(corpus / "genius" / DOMAINS[0])
    spec = write_spec(
        tmp_path, corpus, strategies=["linear", "faulty:KillsItsProcess"], scenarios=[coffee]
    )
    tournament = tournament_of(spec)
    jobs = {job.assignment: job for job in tournament.jobs if job.repetition == 0}
    fine, dies = jobs["linear|linear"], jobs["faulty:KillsItsProcess|linear"]
    raises = dataclasses.replace(fine, index=99, scenario="nowhere")  # KeyError in the task
    local = list(SerialExecutor().run(tournament.workload, [fine]))

    rows = list(DaskExecutor(cluster).run(tournament.workload, [fine, dies, raises]))

    by_index = {row["index"]: row for row in rows}
    assert set(by_index) == {fine.index, dies.index, 99}
    assert comparable([by_index[fine.index]]) == comparable(local)
    assert by_index[dies.index]["status"] == "failed"
    assert str(by_index[dies.index]["error"]).startswith("KilledWorker: ")
    assert (by_index[99]["status"], by_index[99]["error"]) == ("failed", "KeyError: 'nowhere'")


@pytest.mark.corpus
def test_a_plugin_missing_on_the_workers_is_refused_before_the_first_job(
    cluster: str, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A strategy importable here (this process's path) but not on the workers: the run
    refuses at once, naming the workers and the strategy, and plays nothing; it used to fill
    results.csv with failed rows that a resume then kept as done."""
    here = tmp_path / "only-here"
    here.mkdir()
    (here / "only_here.py").write_text(
        "from accord.agents import Conceder\n\n\nclass Mine(Conceder):\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(here))
    coffee = str(corpus / "genius" / DOMAINS[0])
    spec = write_spec(tmp_path, corpus, strategies=["linear", "only_here:Mine"], scenarios=[coffee])
    with pytest.raises(ClusterError) as refused:
        run_tournament(tournament_of(spec), tmp_path / "out", executor=DaskExecutor(cluster))
    message = str(refused.value)
    assert "cannot play this spec: strategy 'only_here:Mine'" in message
    assert "cannot import module 'only_here'" in message
    assert "install the same plug-ins there as here" in message
    results = tmp_path / "out" / "results.csv"
    assert not results.exists() or len(results.read_text().splitlines()) <= 1  # no row


@pytest.mark.corpus
def test_an_unreachable_cluster_is_exit_2_naming_its_address(
    tmp_path: Path, spec_path: Path
) -> None:
    address = f"dask://127.0.0.1:{free_port()}"  # nothing listens there
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "accord", "tournament", str(spec_path), "--executor", address],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=os.environ | {"COLUMNS": "200", "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"},
        timeout=60,
    )
    assert done.returncode == 2
    assert f"error: Dask cluster at {address}: cannot connect to the scheduler" in done.stderr
    assert not (tmp_path / "runs").exists()  # refused before anything was written


@pytest.mark.parametrize(
    ("choice", "workers", "message"),
    [
        ("serial", 2, "--executor serial plays in this process, so --workers 2 does not apply"),
        ("dask://127.0.0.1:8786", 2, "--workers 2 applies to --executor local only"),
        ("dask://127.0.0.1", None, "needs a host and a port"),
        ("dask:/127.0.0.1:8786", None, "--executor must be local, serial or dask://HOST:PORT"),
    ],
)
def test_executor_and_workers_are_coherent(choice: str, workers: int | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        make_executor(choice, workers=workers)


def test_local_is_a_pool_of_workers_or_this_process() -> None:
    assert isinstance(make_executor("local", workers=1), SerialExecutor)
    assert isinstance(make_executor("serial", workers=1), SerialExecutor)
    pool = make_executor("local", workers=3)
    assert isinstance(pool, ProcessExecutor)
    assert pool.workers == 3


@pytest.mark.corpus
def test_a_lost_scheduler_stops_the_run_resumably_not_as_failed_rows(
    corpus: Path, tmp_path: Path
) -> None:
    coffee = str(corpus / "genius" / DOMAINS[0])
    spec = write_spec(tmp_path, corpus, strategies=["linear", "faulty:Hangs"], scenarios=[coffee])
    tournament = tournament_of(spec)
    jobs = {job.assignment: job for job in tournament.jobs if job.repetition == 0}
    with dask_cluster(2) as (address, scheduler):
        rows = DaskExecutor(address, timeout=2).run(
            tournament.workload, [jobs["faulty:Hangs|linear"], jobs["linear|linear"]]
        )
        first = next(rows)  # linear|linear; the other hangs on its worker
        os.killpg(scheduler.pid, signal.SIGKILL)
        with pytest.raises(ClusterError, match=f"Dask cluster at {address}: the run stopped: "):
            next(rows)
    assert (first["assignment"], first["status"]) == ("linear|linear", "ok")
