"""``accord conformance``: play a scripted host against one agent written by someone else and
report, check by check, what it does not do as docs/protocol.md says."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.conformance import ConformanceReport, run_conformance
from accord.errors import InputError
from accord.ledger.keys import decode_public_key, load_keys
from accord.processes import party_index
from accord.scenarios import load_scenario
from accord.wire import HOST, MAX_SAFE_INTEGER

__all__ = ["conformance_command"]


def conformance_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML or JSON).")],
    party: Annotated[str, typer.Option(help="The party the agent under test speaks for.")],
    broker: Annotated[str, typer.Option(help="mqtt://[user:pass@]host:port of the broker.")],
    keys: Annotated[
        Path,
        typer.Option(
            help="Directory with host.key (the agent under test must trust host.pub) and "
            "<party>.pub (unless the scenario pins the party's public_key)."
        ),
    ],
    seed: Annotated[
        int | None, typer.Option(help="Override the scenario's seed.", min=0, max=MAX_SAFE_INTEGER)
    ] = None,
    join_within: Annotated[
        float, typer.Option(help="Seconds to wait for the agent's join.")
    ] = 30.0,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the report as JSON here.")
    ] = None,
) -> None:
    """Check an agent against the protocol: start the agent (for --party, on --broker, with
    the same scenario and seed), then this; exit 0 when every check passes, 1 otherwise."""
    loaded = load_scenario(scenario)
    own = load_keys(keys, [HOST])
    if HOST not in own:
        raise InputError(f"no private key {keys / 'host.key'} (accord keys new host --out DIR)")
    spec = loaded.parties[party_index(loaded, party)]
    path = keys / f"{party}.pub"
    if spec.public_key is not None:
        party_key = decode_public_key(spec.public_key, what=f"key of {party!r} in the scenario")
    elif path.exists():
        party_key = decode_public_key(path.read_text().strip(), what=str(path))
    else:
        raise InputError(f"no public key for {party!r}: put it in the scenario or in {path}")

    async def check() -> ConformanceReport:
        async with MqttBus(BrokerAddress.parse(broker)) as transport:
            return await run_conformance(
                loaded,
                party,
                bus=transport,
                host_key=own[HOST],
                party_key=party_key,
                seed=seed,
                join_within=join_within,
            )

    report = asyncio.run(check())
    for line in report.lines():
        typer.echo(line)
    if json_out is not None:
        json_out.write_text(report.model_dump_json(indent=2) + "\n")
    if not report.passed:
        raise typer.Exit(1)
