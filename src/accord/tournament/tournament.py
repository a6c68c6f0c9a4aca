"""Running a tournament into an output folder, resuming what an earlier run left.

The folder holds ``tournament.json`` (the manifest), ``results.csv`` (one row per negotiation,
appended as they finish), and, once the run stops, ``results.parquet`` (when pyarrow is
importable; rows in plan order), ``summary.csv`` and the figures ``utility.png`` and
``agreement.png``. Running again on the same folder skips the negotiations already in
``results.csv`` (failed ones included) and refuses a spec that changed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.logs import get_logger
from accord.tournament.executors import Executor, SerialExecutor
from accord.tournament.heap import frozen_heap
from accord.tournament.manifest import Manifest, check_manifest
from accord.tournament.plan import Job, plan
from accord.tournament.plots import remove_plots, write_plots
from accord.tournament.results import ResultsFile, read_results, write_parquet
from accord.tournament.rows import Row, column_types, columns
from accord.tournament.spec import TournamentSpec
from accord.tournament.summary import StrategySummary, summarise, write_summary
from accord.tournament.workload import Workload, prepare, scenario_digest

__all__ = ["RESULTS", "Tournament", "TournamentRun", "run_tournament"]

log = get_logger(__name__)

RESULTS = "results.csv"


@dataclass(frozen=True)
class Tournament:
    """A spec made ready to run: its workload, plan and results columns."""

    spec: TournamentSpec
    workload: Workload
    jobs: list[Job]
    columns: list[str]
    roles: int
    """The most parties of any scenario (the ``roleN_`` columns go up to it)."""

    @classmethod
    def prepare(cls, spec: TournamentSpec, base: Path) -> Tournament:
        """Load the scenarios of ``spec`` (relative to ``base``), analyse them, plan the jobs."""
        workload = prepare(spec, base)
        roles = workload.roles()
        most = max(roles.values())
        return cls(spec, workload, plan(spec, roles), columns(most), most)

    def manifest(self) -> Manifest:
        digests = {label: scenario_digest(s) for label, s in self.workload.scenarios.items()}
        return Manifest.of(self.spec, digests, self.columns, len(self.jobs))

    def job(self, key: str) -> Job:
        for job in self.jobs:
            if job.key == key:
                return job
        raise KeyError(key)


@dataclass(frozen=True)
class TournamentRun:
    """What a run left in its folder."""

    out: Path
    total: int
    resumed: int
    """Negotiations found finished in the folder before this run."""
    played: int
    """Negotiations this run played."""
    rows: list[dict[str, Any]]
    """Every finished row, typed, in plan order."""
    summaries: list[StrategySummary]
    parquet: bool
    figures: list[Path]
    """The figures written (none when the run was asked for no plots)."""

    @property
    def complete(self) -> bool:
        return len(self.rows) == self.total

    @property
    def failed(self) -> int:
        return sum(row["status"] != "ok" for row in self.rows)


def run_tournament(
    tournament: Tournament,
    out: Path,
    *,
    executor: Executor | None = None,
    stop_after: int | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_row: Callable[[Row], None] | None = None,
    plots: bool = True,
    retry_failed: bool = False,
) -> TournamentRun:
    """Play the jobs of ``tournament`` not yet in ``out`` (at most ``stop_after`` of them)
    with ``executor`` (default: in this process), then write the summary files (and, with
    ``plots``, the figures: matplotlib takes ~0.1 s for each).
    ``on_start(total, finished)`` is called once before the first negotiation and
    ``on_row(row)`` after each. With ``retry_failed``, the negotiations whose rows say
    ``failed`` (crashed: a plug-in missing on a worker, a worker lost) are played again, and
    a new row replaces each."""
    resumed = check_manifest(out, tournament.manifest())
    path = out / RESULTS
    finished = read_results(path, tournament.columns, tournament.roles) if path.exists() else {}
    if retry_failed:
        finished = {key: row for key, row in finished.items() if row["status"] == "ok"}
    todo = [job for job in tournament.jobs if job.key not in finished]
    if stop_after is not None:
        todo = todo[:stop_after]
    log.info(
        "tournament_started",
        out=str(out),
        total=len(tournament.jobs),
        finished=len(finished),
        resumed=resumed,
        to_play=len(todo),
    )
    if on_start is not None:
        on_start(len(tournament.jobs), len(finished))
    played = 0
    with (
        frozen_heap(),
        ResultsFile(path, tournament.columns) as results,
        contextlib.closing((executor or SerialExecutor()).run(tournament.workload, todo)) as rows,
    ):
        for row in rows:
            results.append(row)
            played += 1
            if on_row is not None:
                on_row(row)
    return _conclude(tournament, out, len(finished), played, plots=plots)


def _conclude(
    tournament: Tournament, out: Path, resumed: int, played: int, *, plots: bool
) -> TournamentRun:
    """Read every row back, in plan order, and write Parquet, the summary and the figures."""
    by_key = read_results(out / RESULTS, tournament.columns, tournament.roles)
    rows = sorted(by_key.values(), key=lambda row: int(row["index"]))
    parquet = write_parquet(out / "results.parquet", rows, column_types(tournament.roles))
    summaries = summarise(rows, [s.title for s in tournament.spec.strategies])
    write_summary(out / "summary.csv", summaries)
    figures: list[Path] = []
    if plots:
        figures = write_plots(out, summaries)
    else:
        remove_plots(out)
    log.info("tournament_stopped", out=str(out), rows=len(rows), total=len(tournament.jobs))
    return TournamentRun(
        out=out,
        total=len(tournament.jobs),
        resumed=resumed,
        played=played,
        rows=rows,
        summaries=summaries,
        parquet=parquet,
        figures=figures,
    )
