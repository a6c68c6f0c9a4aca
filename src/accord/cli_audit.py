"""``accord audit``: judge a negotiation's transcript against an audit policy.

Exit codes: 0 when the policy holds, 3 when it is breached, 1 when the log is invalid, 2 on
bad input (no log, profiles neither revealed nor given, a bad policy or reveal file).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from accord.audit import audit, load_policy, load_reveal, load_transcript
from accord.audit.html import render_html
from accord.audit.markdown import render_markdown
from accord.result import atomic_write
from accord.scenarios import load_scenario

__all__ = ["audit_command"]


class Format(StrEnum):
    markdown = "markdown"
    json = "json"
    html = "html"


def audit_command(
    path: Annotated[Path, typer.Argument(help="A run directory, or its log.jsonl / log.sqlite.")],
    policy: Annotated[
        Path | None, typer.Option(help="Audit policy (YAML) [default: docs/audit.md].")
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(help="For a simulation: take the profiles from this scenario file."),
    ] = None,
    reveal: Annotated[
        list[Path] | None,
        typer.Option(help="A party's reveal file (repeatable), checked against its commitment."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Report format.")] = Format.markdown,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the report here instead of stdout.")
    ] = None,
) -> None:
    """Audit a negotiation: integrity, outcome, process and a verdict against a policy."""
    rules = load_policy(policy)
    transcript = load_transcript(
        path,
        scenario=load_scenario(scenario) if scenario is not None else None,
        reveals=[load_reveal(r) for r in reveal or []],
    )
    report = audit(transcript, rules)
    if fmt is Format.json:
        text = report.model_dump_json(indent=2) + "\n"
    elif fmt is Format.html:
        text = render_html(report)
    else:
        text = render_markdown(report)
    if out is None:
        typer.echo(text, nl=False)
    else:
        atomic_write(out, text)
        typer.echo(f"{report.verdict.status}: wrote {out}", err=True)
    raise typer.Exit(report.verdict.exit_code)
