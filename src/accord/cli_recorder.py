"""``accord recorder``: an independent recorder that keeps a negotiation's log and answers the
parties' requests for receipts (``accord agent --receipts DIR``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.errors import AccordError, InputError
from accord.ledger.storage import open_storage
from accord.processes import RECORDER_LINGER_S, recorder_process
from accord.scenarios import load_scenario
from accord.wire import MAX_SAFE_INTEGER

__all__ = ["recorder_command"]

GIVE_UP_S = 600.0
"""How long the recorder waits for a first envelope, or between envelopes before the result."""


def recorder_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML or JSON).")],
    broker: Annotated[str, typer.Option(help="mqtt://[user:pass@]host:port of the broker.")],
    keys: Annotated[
        Path, typer.Option(help="Directory with recorder.key, host.pub and <party>.pub files.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the log.")],
    sqlite: Annotated[
        bool, typer.Option(help="Write the log as log.sqlite, not log.jsonl.")
    ] = False,
    linger: Annotated[
        float, typer.Option(help="Seconds to stay after the result and the last envelope.")
    ] = RECORDER_LINGER_S,
    seed: Annotated[
        int | None, typer.Option(help="Override the scenario's seed.", min=0, max=MAX_SAFE_INTEGER)
    ] = None,
) -> None:
    """Record a negotiation independently of its host and answer requests for receipts."""
    loaded = load_scenario(scenario)
    log_path = out_dir / ("log.sqlite" if sqlite else "log.jsonl")
    if log_path.exists():
        raise InputError(f"{log_path} exists; a recorder starts a new log")
    out_dir.mkdir(parents=True, exist_ok=True)

    async def record() -> int:
        async with MqttBus(BrokerAddress.parse(broker)) as transport:
            return await recorder_process(
                loaded,
                bus=transport,
                keys=keys,
                log=open_storage(log_path),
                seed=seed,
                linger=linger,
                give_up=GIVE_UP_S,
            )

    try:
        entries = asyncio.run(record())
    except AccordError:
        # refused before its first record (a missing key): leave no empty log behind, so
        # that the same command works once the problem is fixed
        if log_path.exists() and log_path.stat().st_size == 0:
            log_path.unlink()
        raise
    typer.echo(f"recorded {entries} entries in {log_path}", err=True)
