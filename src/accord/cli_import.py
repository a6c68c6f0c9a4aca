"""``accord import genius|geniusweb FOLDER -o SCENARIO.yaml``: an ANAC domain as a scenario."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from accord.errors import InputError
from accord.importers import genius_scenario, geniusweb_scenario
from accord.result import atomic_write
from accord.scenarios import Scenario

__all__ = ["import_app"]

import_app = typer.Typer(
    rich_markup_mode=None,  # help text in brackets ([default: ...]) is text, not markup
    help="Turn a GENIUS (XML) or GeniusWeb (JSON) domain folder into a scenario file.",
    no_args_is_help=True,
)
console = Console()

FolderArg = Annotated[
    Path, typer.Argument(help="The domain folder: one domain file and two or more profiles.")
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Scenario file to write [default: print it]."),
]
StrategiesOption = Annotated[
    str,
    typer.Option(help="Strategies, comma-separated, given out to the profiles in turn."),
]
RoundsOption = Annotated[int, typer.Option(help="Deadline of the negotiation, in rounds.")]
Importer = Callable[..., dict[str, Any]]


@import_app.command("genius")
def genius_command(
    folder: FolderArg,
    out: OutOption = None,
    strategies: StrategiesOption = "boulware,conceder",
    rounds: RoundsOption = 180,
) -> None:
    """Import a GENIUS domain folder (XML: a domain file and profiles)."""
    _import(genius_scenario, "GENIUS", folder, out, _names(strategies), rounds)


@import_app.command("geniusweb")
def geniusweb_command(
    folder: FolderArg,
    out: OutOption = None,
    strategies: StrategiesOption = "boulware,conceder",
    rounds: RoundsOption = 180,
) -> None:
    """Import a GeniusWeb domain folder (JSON: a domain file and LinearAdditiveUtilitySpace
    profiles)."""
    _import(geniusweb_scenario, "GeniusWeb", folder, out, _names(strategies), rounds)


def _names(strategies: str) -> list[str]:
    names = [name.strip() for name in strategies.split(",")]
    if not all(names):
        raise InputError(f"--strategies must be names separated by commas, got {strategies!r}")
    return names


def _import(
    importer: Importer,
    kind: str,
    folder: Path,
    out: Path | None,
    strategies: Sequence[str],
    rounds: int,
) -> None:
    data = importer(folder, strategies=strategies, rounds=rounds)
    header = (
        f"# {kind} domain {folder.name}, imported by `accord import {kind.lower()}` "
        f"(strategies {','.join(strategies)}, {rounds} rounds).\n"
    )
    text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, text)
    scenario = Scenario.model_validate(data)
    console.print(
        f"wrote {out}: {len(scenario.parties)} parties, {len(scenario.issues)} issues, "
        f"{scenario.outcome_space().cardinality:,} outcomes",
        soft_wrap=True,
        highlight=False,
    )
