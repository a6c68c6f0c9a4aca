"""The ``accord`` command.

Exit codes: 0 when the command did its job (a negotiation that completed, with or without
agreement, counts), 2 on bad input (with a one-sentence message naming file, field and line),
1 on an internal failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from accord.agents import STRATEGIES
from accord.analysis import scenario_metrics
from accord.broker.acl import negotiations, write_broker_config
from accord.broker.embedded import embedded_broker
from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.broker.select import BusKind, open_bus
from accord.broker.topics import across_negotiations
from accord.cli_analysis import analyze_command
from accord.cli_audit import audit_command
from accord.cli_conformance import conformance_command
from accord.cli_import import import_app
from accord.cli_ledger import keys_app, log_app
from accord.cli_lifecycle import (
    monitor_command,
    portfolio_command,
    report_command,
    revise_command,
)
from accord.cli_recorder import recorder_command
from accord.cli_renegotiate import renegotiate_command
from accord.cli_tournament import tournament_command
from accord.errors import AccordError, InputError
from accord.ledger.keys import load_keys
from accord.ledger.receipt_client import ReceiptsFetched
from accord.ledger.records import RECORDER
from accord.ledger.storage import open_storage
from accord.lifecycle.phase import CHARTER_FILE, charter_after, write_charter
from accord.lifecycle.sealing import Sealing
from accord.logs import configure_cli
from accord.plugins import Registry
from accord.processes import (
    host_charter,
    host_process,
    make_keys,
    party_process,
    reap,
    spawn_parties,
)
from accord.protocols import MECHANISMS
from accord.result import NegotiationResult, write_outputs
from accord.runner import Negotiation, identities_for, negotiate
from accord.scenarios import Scenario, load_scenario
from accord.wire import HOST, MAX_SAFE_INTEGER

__all__ = ["app", "main"]

app = typer.Typer(
    rich_markup_mode=None,  # help text in brackets ([default: ...]) is text, not markup
    name="accord",
    help="Autonomous organisations negotiating partnership terms, with an auditable record.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
AGENT_EXIT_S = 15.0
"""How long ``run --processes`` waits for each agent process to exit after the result."""

app.add_typer(keys_app, name="keys")
app.add_typer(log_app, name="log")
app.add_typer(import_app, name="import")
app.command("analyze")(analyze_command)
app.command("audit")(audit_command)
app.command("tournament")(tournament_command)
app.command("recorder")(recorder_command)
app.command("conformance")(conformance_command)
app.command("monitor")(monitor_command)
app.command("report")(report_command)
app.command("revise")(revise_command)
app.command("portfolio")(portfolio_command)
app.command("renegotiate")(renegotiate_command)
out = Console()
err = Console(stderr=True)


@app.callback()
def _configure(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")
    ] = False,
) -> None:
    configure_cli(logging.INFO if verbose else logging.WARNING)
    _shown.verbose = verbose


class _Shown:
    """What the command shows, as ``--verbose`` chose."""

    verbose = False


_shown = _Shown()


ScenarioArg = Annotated[Path, typer.Argument(help="Scenario file (YAML or JSON).")]


@app.command()
def run(
    scenario: ScenarioArg,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory [default: runs/<negotiation id>]."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Override the scenario's seed.", min=0, max=MAX_SAFE_INTEGER)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print result.json to stdout.")] = False,
    keys: Annotated[
        Path | None,
        typer.Option(help="Directory of <party>.key files (accord keys new); others ephemeral."),
    ] = None,
    sqlite: Annotated[
        bool, typer.Option(help="Write the log as log.sqlite, not log.jsonl.")
    ] = False,
    bus: Annotated[
        BusKind, typer.Option(help="mqtt (an embedded broker unless --broker) or memory.")
    ] = "mqtt",
    broker: Annotated[
        str | None, typer.Option(help="mqtt://[user:pass@]host:port or mqtts://... to use.")
    ] = None,
    ca_file: Annotated[str | None, typer.Option(help="CA certificate for mqtts://.")] = None,
    cert_file: Annotated[str | None, typer.Option(help="Client certificate (mqtts).")] = None,
    key_file: Annotated[str | None, typer.Option(help="Client key (mqtts).")] = None,
    processes: Annotated[
        bool, typer.Option(help="One OS process per party (and the host in this one).")
    ] = False,
    force: Annotated[
        bool, typer.Option(help="Replace the run already in the output directory.")
    ] = False,
    envelopes: Annotated[
        bool,
        typer.Option(
            help="With --bus memory: every message an envelope through the in-memory bus, "
            "logged as it arrives (as over MQTT), not the parties called directly."
        ),
    ] = False,
) -> None:
    """Negotiate a scenario; write log.jsonl, transcript.jsonl and result.json; summarise.

    By default the parties talk over MQTT through a broker embedded in this process; --bus
    memory calls them directly in this process and logs the run after it (fastest; the same
    transcript as --bus memory --envelopes), --broker uses a broker you run."""
    _check_bus_options(bus, broker, envelopes=envelopes)
    loaded = load_scenario(scenario)
    target = out_dir or Path("runs") / loaded.negotiation_id(seed)
    _refuse_overwrite(target, force)
    tls = {"ca_file": ca_file, "cert_file": cert_file, "key_file": key_file}

    charters: list[Sealing | None] = []

    async def in_process(log_path: Path) -> Negotiation:
        participants = [p.id for p in loaded.parties] + [HOST, RECORDER]
        given = load_keys(keys, participants) if keys is not None else {}
        identities = identities_for(loaded, given)
        async with open_bus(bus, broker, **tls) as transport:
            storage = open_storage(log_path)
            direct = bus == "memory" and not envelopes  # the parties called (accord.direct)
            done = await negotiate(
                loaded,
                seed=seed,
                bus=None if direct else transport,
                keys=identities,
                log=storage,
            )
            charters.append(
                await charter_after(
                    done, loaded, bus=transport, identities=identities, log_path=log_path
                )
            )
        return done

    async def in_processes(log_path: Path) -> Negotiation:
        if bus == "memory":
            raise InputError("--processes needs an MQTT broker, not --bus memory")
        storage = open_storage(log_path)
        key_dir = keys or make_keys(loaded)
        async with contextlib.AsyncExitStack() as stack:
            if broker is None:
                address = await stack.enter_async_context(embedded_broker())
            else:
                address = BrokerAddress.parse(broker, **tls)
            url = broker or address.url()
            parties = spawn_parties(scenario, loaded, url, key_dir, seed)
            try:
                async with MqttBus(address) as transport:
                    negotiation = await host_process(
                        loaded, bus=transport, keys=key_dir, log=storage, seed=seed
                    )
                    charters.append(
                        await host_charter(
                            loaded, negotiation, bus=transport, keys=key_dir, log_path=log_path
                        )
                    )
            finally:
                codes = await asyncio.to_thread(reap, parties, AGENT_EXIT_S)
        for party, code in zip(loaded.parties, codes, strict=True):
            if code is None:
                err.print(
                    f"[yellow]agent process of {party.id!r} did not exit within "
                    f"{AGENT_EXIT_S:g} s of the result (hung or stopped) and was ended[/]"
                )
            elif code != 0:
                err.print(f"[yellow]agent process of {party.id!r} exited with {code}[/]")
        return negotiation

    result = _staged(target, sqlite, loaded, in_processes if processes else in_process)
    sealing = charters[0] if charters else None
    write_charter(target, sealing)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    _summary(result, target)
    _charter_summary(sealing, target)
    if sealing is not None and keys is None and not processes:
        out.print(
            "  the keys were ephemeral: to monitor this charter later (accord monitor, "
            "accord report), run with --keys DIR (accord keys new)",
            highlight=False,
        )


def _check_bus_options(bus: BusKind, broker: str | None, *, envelopes: bool) -> None:
    """Refuse ``accord run``'s bus options that contradict each other."""
    if broker is not None and bus == "memory":
        raise InputError("--broker needs --bus mqtt (the default), not --bus memory")
    if envelopes and bus != "memory":
        raise InputError("--envelopes goes with --bus memory (over MQTT every message is one)")


LOG_FILES = ("log.jsonl", "log.sqlite")
RUN_FILES = (*LOG_FILES, "transcript.jsonl", "result.json", CHARTER_FILE)
"""What a run writes into its output directory (a log in one of two forms)."""


def _refuse_overwrite(target: Path, force: bool) -> None:
    """Refuse to negotiate into ``target`` when it holds an earlier run, unless ``force``:
    a signed log is evidence, and a rerun would replace it silently."""
    found = [name for name in RUN_FILES if (target / name).exists()]
    if found and not force:
        raise InputError(
            f"{target} already holds a run ({', '.join(found)}); choose another --out, "
            "move it away, or pass --force to replace it"
        )


def _staged(
    target: Path,
    sqlite: bool,
    scenario: Scenario,
    negotiation: Callable[[Path], Coroutine[Any, Any, Negotiation]],
) -> NegotiationResult:
    """Run ``negotiation`` with a log in a staging directory beside ``target``; move the log,
    the transcript and the result into ``target`` only when it has completed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".accord-run-", dir=target.parent))
    try:
        log_path = staging / ("log.sqlite" if sqlite else "log.jsonl")
        done = asyncio.run(negotiation(log_path))
        result = done.result.model_copy(
            update={"metrics": scenario_metrics(scenario, done.result.outcome)}
        )
        for stale in LOG_FILES:  # with --force: no log of the earlier run stays beside it
            if stale != log_path.name:
                (target / stale).unlink(missing_ok=True)
        write_outputs(target, result, done.transcript, log=log_path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


@app.command("host")
def host_command(
    scenario: ScenarioArg,
    broker: Annotated[str, typer.Option(help="mqtt://[user:pass@]host:port of the broker.")],
    keys: Annotated[
        Path, typer.Option(help="Directory with host.key, recorder.key and <party>.pub files.")
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory [default: runs/<negotiation id>]."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Override the scenario's seed.", min=0, max=MAX_SAFE_INTEGER)
    ] = None,
    sqlite: Annotated[bool, typer.Option(help="Write the log as log.sqlite.")] = False,
    force: Annotated[
        bool, typer.Option(help="Replace the run already in the output directory.")
    ] = False,
) -> None:
    """Host a negotiation (and record it) whose parties run their own `accord agent`."""
    loaded = load_scenario(scenario)
    negotiation_id = loaded.negotiation_id(seed)
    target = out_dir or Path("runs") / negotiation_id
    _refuse_overwrite(target, force)
    address = BrokerAddress.parse(broker)

    async def hosted(log_path: Path) -> Negotiation:
        storage = open_storage(log_path)
        async with (
            MqttBus(address) as transport,
            transport.watching_for_strays(negotiation_id, across_negotiations("+", HOST)),
        ):
            err.print(f"hosting {negotiation_id} on {address.url()}", highlight=False)
            done = await host_process(loaded, bus=transport, keys=keys, log=storage, seed=seed)
            charters.append(
                await host_charter(loaded, done, bus=transport, keys=keys, log_path=log_path)
            )
            return done

    charters: list[Sealing | None] = []
    result = _staged(target, sqlite, loaded, hosted)
    write_charter(target, charters[0] if charters else None)
    _summary(result, target)
    _charter_summary(charters[0] if charters else None, target)


@app.command("agent")
def agent_command(
    scenario: ScenarioArg,
    party: Annotated[str, typer.Option(help="The party this agent speaks for.")],
    broker: Annotated[str, typer.Option(help="mqtt://[user:pass@]host:port of the broker.")],
    keys: Annotated[
        Path,
        typer.Option(
            help="Directory with <party>.key, host.pub (and recorder.pub for --receipts)."
        ),
    ],
    seed: Annotated[
        int | None, typer.Option(help="Override the scenario's seed.", min=0, max=MAX_SAFE_INTEGER)
    ] = None,
    receipts: Annotated[
        Path | None,
        typer.Option(help="After the result, ask accord recorder for receipts; keep them here."),
    ] = None,
) -> None:
    """Run one party's agent against a broker until the host sends the result."""
    loaded = load_scenario(scenario)

    negotiation_id = loaded.negotiation_id(seed)
    address = BrokerAddress.parse(broker)

    async def take_part() -> ReceiptsFetched | None:
        async with (
            MqttBus(address) as transport,
            transport.watching_for_strays(
                negotiation_id, across_negotiations(HOST, None), also=loaded.renegotiates
            ),
        ):
            err.print(f"{party} in {negotiation_id} on {address.url()}", highlight=False)
            return await party_process(
                loaded, party, bus=transport, keys=keys, seed=seed, receipts=receipts
            )

    fetched = asyncio.run(take_part())
    if fetched is not None:
        for message_id, problem in fetched.problems.items():
            err.print(f"no receipt for {message_id}: {problem}", highlight=False)
        err.print(f"kept {len(fetched.saved)} receipts in {receipts}", highlight=False)
        if fetched.problems:
            raise typer.Exit(1)


@app.command("broker")
def broker_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 1883,
) -> None:
    """Run the embedded MQTT broker (amqtt) until interrupted."""

    async def serve() -> None:
        async with embedded_broker(host, port) as address:
            out.print(f"broker listening on {address.url()} (Ctrl-C stops it)", highlight=False)
            await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


@app.command("broker-config")
def broker_config_command(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Scenario files (YAML or JSON), one or more.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the configuration.")],
    seeds: Annotated[
        list[int] | None,
        typer.Option(
            "--seed",
            min=0,
            help="A seed to allow (repeatable) [default: each scenario's own seed].",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Interface mosquitto should listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port mosquitto should listen on.")] = 1883,
) -> None:
    """Write a mosquitto configuration, password file and ACL for the scenarios' parties,
    each allowed only in the negotiations (every scenario with every seed) it is a party of."""
    loaded = [load_scenario(path) for path in scenarios]
    sources = [str(path) for path in scenarios]
    covered = negotiations(loaded, seeds, sources=sources)
    credentials = write_broker_config(
        loaded, out_dir, seeds=seeds, sources=sources, host=host, port=port
    )
    out.print(
        f"wrote {out_dir}/mosquitto.conf, passwd, acl and credentials.json (private) for "
        f"{', '.join(credentials)}; the ACL covers the negotiations {', '.join(covered)}; "
        f"start it with: mosquitto -c {out_dir}/mosquitto.conf",
        soft_wrap=True,
        highlight=False,
    )


@app.command()
def validate(scenario: ScenarioArg) -> None:
    """Check a scenario file without running it."""
    loaded = load_scenario(scenario)
    size = loaded.outcome_space().cardinality
    out.print(
        f"{scenario}: valid: {len(loaded.parties)} parties, {len(loaded.issues)} issues, "
        f"{size:,} outcomes, mechanism {loaded.mechanism.name!r}",
        soft_wrap=True,
        highlight=False,
    )


@app.command()
def strategies() -> None:
    """List the strategies accord can find, with where each comes from."""
    _listing(STRATEGIES)


@app.command()
def mechanisms() -> None:
    """List the negotiation mechanisms accord can find, with where each comes from."""
    _listing(MECHANISMS)


def _listing(registry: Registry[Any]) -> None:
    table = Table(box=None, pad_edge=False)
    table.add_column("name", style="bold")
    table.add_column("description")
    table.add_column("source", style="dim")
    for entry in registry.entries():
        table.add_row(entry.name, entry.summary, entry.source)
    out.print(table)
    for name, problem in sorted(registry.problems.items()):
        err.print(f"[yellow]unusable {registry.kind} {name!r}:[/] {problem}")
    for name, notice in sorted(registry.notices.items()):
        err.print(f"[yellow]note, {registry.kind} {name!r}:[/] {notice}")


def _charter_summary(sealing: Sealing | None, target: Path) -> None:
    if sealing is not None:
        colour = "green" if sealing.in_force else "yellow"
        out.print(f"[{colour}]{sealing.summary()}[/]; wrote {target / CHARTER_FILE}")


def _summary(result: NegotiationResult, target: Path) -> None:
    if result.agreement:
        headline = f"[green]agreement[/] after {result.rounds} rounds"
    else:
        who = f" ({result.responsible})" if result.responsible else ""
        headline = f"[yellow]no agreement[/]: {result.reason}{who} after {result.rounds} rounds"
    out.print(f"[bold]{result.scenario}[/] — {headline} ({result.wall_time_s:.3f} s)")
    if result.detail and not result.agreement:
        first, _, rest = result.detail.partition("\n")
        out.print(f"  {first}", markup=False)
        if rest and _shown.verbose:
            out.print(rest, markup=False, highlight=False)
        elif rest:
            out.print("  (the traceback is in result.json; accord -v run shows it)")
    if result.outcome is not None:
        terms = Table(title="agreed terms", box=None, pad_edge=False, title_justify="left")
        terms.add_column("issue")
        terms.add_column("value")
        for issue, value in result.outcome.items():
            terms.add_row(issue, str(value))
        out.print(terms)
    table = Table(title="parties", box=None, pad_edge=False, title_justify="left")
    for column in ("party", "organisation", "strategy", "utility", "reservation", "gain"):
        table.add_column(
            column, justify="right" if column in {"utility", "reservation", "gain"} else "left"
        )
    for p in result.parties:
        table.add_row(
            p.id,
            p.organisation,
            p.strategy,
            f"{p.utility:.3f}",
            f"{p.reservation:.3f}",
            f"{p.gain:+.3f}",
        )
    out.print(table)
    for v in result.violations:
        out.print(f"[red]violation[/] by {v.party}: {v.kind}: {v.detail}")
    out.print(f"wrote {target}/: log, transcript.jsonl, result.json", soft_wrap=True)


def main() -> None:
    """Entry point of the ``accord`` console script."""
    try:
        app()  # usage errors (unknown option, missing argument) exit 2 inside typer
    except InputError as exc:  # a file with several problems: one line each
        sys.stderr.writelines(f"error: {line}\n" for line in str(exc).splitlines())
        sys.exit(2)
    except AccordError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001  # the one place that turns a bug into exit 1
        sys.stderr.write(f"internal error: {exc!r} (please report it)\n")
        sys.exit(1)
