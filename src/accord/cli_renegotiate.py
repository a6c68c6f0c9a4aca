"""``accord renegotiate``: open a renegotiation of a run's charter, and amend it on agreement
(docs/lifecycle.md, Renegotiation).

The charter is the run's latest version in force, read from its log (which must verify);
what the KPIs showed is rebuilt from the same log by a monitor of its own, so that a
``breach`` trigger is a breach alert the keeper raised there and a ``request`` a party's
signed ``revise``. The renegotiation goes to ``RUN/revision-<version>/`` (its log, transcript,
result and the scenario it negotiated); an agreement is sealed in the run's log as the
charter's next version, and ``charter.json`` then holds it.

With every party in this process by default; with ``--host-only`` this process is the host
(and keeper, and recorder) and each party runs ``accord agent RUN/revision-<v>/scenario.json``
with its own key, as the command prints.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from accord.audit.lifecycle import charters_in, genesis_keys, lifecycle_audit
from accord.audit.transcript import find_log, load_transcript
from accord.broker.select import BusKind, open_bus
from accord.errors import InputError
from accord.ledger.keys import load_keys
from accord.ledger.records import RECORDER
from accord.ledger.storage import open_storage
from accord.lifecycle.charter import DAY_NS, Charter
from accord.lifecycle.kpis import RevisionTrigger
from accord.lifecycle.monitor import Monitor
from accord.lifecycle.phase import seal_and_record, write_charter
from accord.lifecycle.revision import Trigger, amended_charter, open_renegotiation, renegotiate
from accord.lifecycle.sealing import Sealing
from accord.processes import host_process
from accord.result import NegotiationResult, write_outputs
from accord.scenarios import Scenario, load_scenario
from accord.wire import HOST

__all__ = ["renegotiate_command"]

out = Console()


def charter_in_force(run: Path) -> tuple[Charter, Monitor]:
    """The latest charter version in force in the run's log, and a monitor (with the
    genesis keys) holding what its reports and alerts showed; raises :class:`InputError` for
    a log without one."""
    transcript = load_transcript(run)
    if not transcript.verification.ok:
        raise InputError(f"{run}: the log does not verify: {transcript.verification.problems[0]}")
    history = lifecycle_audit(transcript)
    charters = {c.digest: c for c in charters_in(transcript)}
    in_force = [v for v in (history.versions if history else []) if v.in_force]
    if not in_force:
        raise InputError(f"{run}: the log holds no charter in force")
    charter = charters[in_force[-1].digest]
    monitor = Monitor(charter, keys=genesis_keys(transcript), signer=None, now=lambda: 2**63 - 1)
    monitor.restore([m.envelope for m in transcript.charter_messages if m.status == "ok"])
    return charter, monitor


def renegotiate_command(
    run: Annotated[Path, typer.Argument(help="The run's folder (its log holds the charter).")],
    scenario: Annotated[Path, typer.Argument(help="The scenario file the run negotiated.")],
    keys: Annotated[
        Path, typer.Option(help="Directory with host.key, recorder.key and every <party>.key.")
    ],
    trigger: Annotated[
        str, typer.Option(help="What opens it: breach, review or request.")
    ] = "breach",
    reference: Annotated[
        str | None,
        typer.Option(help="The message id of the breach alert or revise [default: the first]."),
    ] = None,
    day: Annotated[
        float | None,
        typer.Option(help="Simulate: now is this many days after the charter's start.", min=0),
    ] = None,
    bus: Annotated[
        BusKind, typer.Option(help="mqtt (an embedded broker unless --broker) or memory.")
    ] = "mqtt",
    broker: Annotated[str | None, typer.Option(help="mqtt://host:port to use.")] = None,
    host_only: Annotated[
        bool, typer.Option(help="Host it here; each party runs accord agent on the revision.")
    ] = False,
) -> None:
    """Renegotiate a run's charter (a breach, its review date or a party's request)."""
    if trigger not in ("breach", "review", "request"):
        raise InputError(f"--trigger {trigger!r}: one of breach, review, request")
    if host_only and (bus == "memory" or broker is None):
        raise InputError("--host-only needs --broker: the parties' agents connect to it")
    loaded = load_scenario(scenario)
    charter, monitor = charter_in_force(run)
    if charter.scenario != loaded.name:
        raise InputError(
            f"{scenario} is scenario {loaded.name!r}, but the charter is of {charter.scenario!r}"
        )
    now = time.time_ns() if day is None else int(charter.starts_ns) + round(day * DAY_NS)
    kind: RevisionTrigger = trigger  # type: ignore[assignment]  # checked just above
    opened = Trigger(kind, reference)
    folder = run / f"revision-{charter.version + 1}"
    if folder.exists():
        raise InputError(f"{folder} exists: version {charter.version + 1} was renegotiated before")
    names = [p.id for p in loaded.parties]
    own = load_keys(keys, [HOST, RECORDER] if host_only else [*names, HOST, RECORDER])
    log = find_log(run)

    async def in_process() -> tuple[NegotiationResult, Sealing | None]:
        async with open_bus(bus, broker) as transport:
            done = await renegotiate(
                transport,
                loaded,
                charter,
                monitor,
                trigger=opened,
                identities=own,
                charter_log=log,
                out_dir=folder,
                now_ns=now,
            )
        return done.result, done.sealing

    async def hosted() -> tuple[NegotiationResult, Sealing | None]:
        opening = open_renegotiation(loaded, charter, monitor, trigger=opened, now_ns=now)
        folder.mkdir(parents=True)
        revised = folder / "scenario.json"
        revised.write_text(opening.revised.model_dump_json(exclude_none=True, indent=2) + "\n")
        _tell_parties(revised, opening.revised, broker or "", keys)
        async with open_bus("mqtt", broker) as transport:
            done = await host_process(
                opening.revised, bus=transport, keys=keys, log=open_storage(folder / "log.jsonl")
            )
            write_outputs(folder, done.result, done.transcript)
            if done.result.outcome is None:
                return done.result, None
            amended = amended_charter(opening, done.result, folder / "log.jsonl", now_ns=now)
            sealing = await seal_and_record(
                transport,
                amended,
                keeper=own[HOST],
                recorder=own[RECORDER],
                party_keys={who: key for who, key in (monitor.keys or {}).items() if who in names},
                log_path=log,
            )
        return done.result, sealing

    result, sealing = asyncio.run(hosted() if host_only else in_process())
    changed = {k: v for k, v in (result.outcome or {}).items() if charter.terms.get(k) != v}
    out.print(
        f"renegotiation {result.negotiation_id}: {result.reason} after {result.rounds} rounds; "
        f"changed: {changed or 'nothing'}",
        highlight=False,
    )
    if sealing is None:
        out.print(f"charter version {charter.version} stays in force", highlight=False)
        return
    write_charter(run, sealing)
    colour = "green" if sealing.in_force else "yellow"
    out.print(f"[{colour}]version {sealing.charter.version}: {sealing.summary()}[/]")


def _tell_parties(revised: Path, scenario: Scenario, broker: str, keys: Path) -> None:
    out.print("start each party's agent on the revision, with its own key:", highlight=False)
    for party in scenario.parties:
        out.print(
            f"  accord agent {revised} --party {party.id} --broker {broker} --keys {keys}",
            highlight=False,
            soft_wrap=True,
        )
