"""``accord tournament``: every strategy against every other, in every seat, on every scenario."""

from __future__ import annotations

import functools
import logging
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from accord.errors import InputError
from accord.logs import configure_cli
from accord.tournament import (
    Estimate,
    Tournament,
    TournamentRun,
    load_spec,
    run_tournament,
)
from accord.tournament.rows import Row
from accord.tournament.select import EXECUTOR_CHOICES, make_executor

__all__ = ["tournament_command"]

out = Console()
err = Console(stderr=True)

HEADINGS = {  # the columns of the table, for the metrics of accord.tournament.summary
    "agreement": "agreement",
    "utility": "utility",
    "gain": "gain",
    "welfare_share": "welfare share",
    "distance_nash": "d(Nash)",
    "distance_kalai_smorodinsky": "d(KS)",
    "gini": "Gini",
}


def tournament_command(
    spec: Annotated[Path, typer.Argument(help="Tournament spec (YAML or JSON).")],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder \\[default: runs/tournament-<spec name>]."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes of --executor local \\[default: the CPUs available]; "
            "1 runs here.",
        ),
    ] = None,
    executor: Annotated[
        str,
        typer.Option(
            help=f"Where negotiations run: {EXECUTOR_CHOICES} (a Dask cluster's scheduler)."
        ),
    ] = "local",
    broker: Annotated[
        str | None,
        typer.Option(help="Negotiate over MQTT through this broker (mqtt://host:port)."),
    ] = None,
    stop_after: Annotated[
        int | None,
        typer.Option(min=0, help="Play at most this many negotiations, then stop (resumable)."),
    ] = None,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="On resume, play again the negotiations whose rows say failed (a plug-in "
            "missing on a worker, a lost worker); the new rows replace them.",
        ),
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
    plots: Annotated[
        bool, typer.Option(help="Draw utility.png and agreement.png (~0.1 s each).")
    ] = True,
    scenario_of: Annotated[
        str | None,
        typer.Option(
            help="Print the scenario (YAML, with its seed) of the negotiation with this key, "
            "for `accord run`, and exit."
        ),
    ] = None,
) -> None:
    """Run a tournament: results.csv (one row per negotiation), summary.csv, plots.

    Re-running with the same --out resumes: finished negotiations are skipped (failed ones
    too, unless --retry-failed)."""
    loaded, base = load_spec(spec)
    tournament = Tournament.prepare(loaded, base)
    if scenario_of is not None:
        _print_scenario(tournament, scenario_of)
        return
    target = out_dir or Path("runs") / f"tournament-{_slug(loaded.name)}"
    setup = functools.partial(_worker_logging, logging.WARNING)
    chosen = make_executor(executor, workers=workers, broker=broker, setup=setup)
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
        disable=not progress,
        # redrawn as rows arrive, not by a thread: a process without threads can fork its
        # workers with accord already imported (see ProcessExecutor)
        auto_refresh=False,
    )
    task: TaskID | None = None
    failed = 0

    def started(total: int, finished: int) -> None:
        nonlocal task
        task = bar.add_task(loaded.name, total=total, completed=finished, failed="")
        bar.refresh()

    def finished_one(row: Row) -> None:
        nonlocal failed
        failed += row["status"] != "ok"
        if task is not None:
            bar.update(task, advance=1, failed=f"{failed} failed" if failed else "", refresh=True)

    with bar:
        run = run_tournament(
            tournament,
            target,
            executor=chosen,
            stop_after=stop_after,
            on_start=started,
            on_row=finished_one,
            plots=plots,
            retry_failed=retry_failed,
        )
    _report(run)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:40] or "tournament"


def _worker_logging(level: int) -> None:
    """Logging in a worker process as the CLI sets it up: events at ``level`` and above to
    stderr (so that progress and tables keep stdout)."""
    configure_cli(level)


def _print_scenario(tournament: Tournament, key: str) -> None:
    try:
        job = tournament.job(key)
    except KeyError:
        example = tournament.jobs[0].key if tournament.jobs else ""
        raise InputError(
            f"no negotiation with key {key!r} in this tournament; keys look like {example!r} "
            "(column key of results.csv)"
        ) from None
    scenario = tournament.workload.scenario_for(job)
    data = scenario.model_dump(mode="json", exclude_none=True)
    sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _cell(estimate: Estimate, percent: bool) -> str:
    if estimate.mean is None:
        return "-"
    scale, unit = (100.0, "%") if percent else (1.0, "")
    text = f"{estimate.mean * scale:.3g}{unit}" if percent else f"{estimate.mean:.3f}"
    if estimate.low is not None and estimate.high is not None:
        half = (estimate.high - estimate.low) / 2 * scale
        text += f" ±{half:.2g}{unit}" if percent else f" ±{half:.3f}"
    return text


def _report(run: TournamentRun) -> None:
    table = Table(
        title=f"per strategy (mean ± 95% CI half-width), {len(run.rows)} negotiations",
        box=None,
        pad_edge=False,
        title_justify="left",
    )
    table.add_column("strategy", style="bold")
    table.add_column("seats", justify="right")
    for heading in HEADINGS.values():
        table.add_column(heading, justify="right")
    table.add_column("faults", justify="right")
    table.add_column("failed", justify="right")
    for s in run.summaries:
        table.add_row(
            s.strategy,
            str(s.negotiations),
            *[_cell(s.estimates[metric], metric == "agreement") for metric in HEADINGS],
            str(s.faults),
            str(s.failed),
        )
    # a file or a pipe gets whole lines, not a table squeezed into 80 columns
    (out if out.is_terminal else Console(width=200)).print(table)
    files = ["results.csv", *(["results.parquet"] if run.parquet else []), "summary.csv"]
    files += [figure.name for figure in run.figures]
    out.print(
        f"wrote {run.out}/: {', '.join(files)} "
        f"({run.played} negotiations played now, {run.resumed} found done, {run.failed} failed)",
        soft_wrap=True,
        highlight=False,
    )
    if not run.complete:
        out.print(
            f"[yellow]{len(run.rows)} of {run.total} negotiations done[/]: run the same command "
            "again to resume",
            soft_wrap=True,
        )
