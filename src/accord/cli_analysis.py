"""``accord analyze``: the Pareto frontier and reference points of a scenario's domain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from accord.analysis import DomainAnalysis, Point, analyze_scenario
from accord.scenarios import load_scenario

__all__ = ["analyze_command"]

out = Console()


def analyze_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML or JSON).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    max_outcomes: Annotated[
        int | None,
        typer.Option(help="Refuse spaces larger than this [default: the scenario's limit]."),
    ] = None,
    frontier_rows: Annotated[
        int, typer.Option(help="Frontier points to show in the table (JSON has all).")
    ] = 20,
) -> None:
    """The Pareto frontier, Nash, Kalai-Smorodinsky, egalitarian and maximum-welfare points."""
    analysis = analyze_scenario(load_scenario(scenario), max_outcomes=max_outcomes)
    if as_json:
        print(analysis.model_dump_json(indent=2))  # noqa: T201  # plain JSON on stdout
        return
    _tables(analysis, frontier_rows)


def _tables(analysis: DomainAnalysis, frontier_rows: int) -> None:
    out.print(
        f"{analysis.size:,} outcomes, {len(analysis.pareto):,} on the Pareto frontier, "
        f"opposition {analysis.opposition:.3f}"
        + (" (points refined by continuous optimisation)" if analysis.optimised else "")
    )
    points = Table(title="reference points", box=None, pad_edge=False, title_justify="left")
    points.add_column("point")
    for party in analysis.parties:
        points.add_column(party, justify="right")
    points.add_column("outcome")
    named: list[tuple[str, Point | None]] = [
        ("nash", analysis.nash),
        ("kalai-smorodinsky", analysis.kalai_smorodinsky),
        ("egalitarian", analysis.egalitarian),
        ("max welfare", analysis.max_welfare),
    ]
    for name, point in named:
        if point is None:
            points.add_row(name, *["-"] * len(analysis.parties), "no rational outcome")
        else:
            points.add_row(name, *_cells(analysis, point), _terms(point))
    out.print(points)
    frontier = Table(title="Pareto frontier", box=None, pad_edge=False, title_justify="left")
    for party in analysis.parties:
        frontier.add_column(party, justify="right")
    frontier.add_column("outcome")
    for point in analysis.pareto[:frontier_rows]:
        frontier.add_row(*_cells(analysis, point), _terms(point))
    out.print(frontier)
    if len(analysis.pareto) > frontier_rows:
        out.print(f"... and {len(analysis.pareto) - frontier_rows:,} more (--json lists all)")


def _cells(analysis: DomainAnalysis, point: Point) -> list[str]:
    return [f"{point.utilities[p]:.4f}" for p in analysis.parties]


def _terms(point: Point) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.outcome.items())
