"""``accord monitor``, ``accord report`` and ``accord portfolio``: a charter's life after the
run that made it, and an organisation's charters together (docs/lifecycle.md).

Both take the run's folder (``charter.json`` beside ``log.jsonl`` or ``log.sqlite``). The
keeper runs ``accord monitor`` with ``host.key`` and ``recorder.key``; a party reports with
its own ``<party>.key``. The keys are those the negotiation ran with (``accord run --keys``,
``accord host``): a run with ephemeral keys makes a charter nobody can monitor later.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from accord.audit.transcript import find_log
from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.errors import InputError
from accord.ledger.keys import load_keys
from accord.ledger.records import RECORDER
from accord.ledger.signing import Verifier, signer_for
from accord.lifecycle.charter import DAY_NS, Charter, parse_charter
from accord.lifecycle.member import report, request_revision
from accord.lifecycle.monitor import Verdict
from accord.lifecycle.phase import CHARTER_FILE
from accord.lifecycle.portfolio import holdings
from accord.lifecycle.watch import keep_watch
from accord.processes import public_key_in
from accord.wire import HOST, Envelope, Performative

__all__ = ["monitor_command", "portfolio_command", "report_command", "revise_command"]

out = Console()

RunArg = Annotated[Path, typer.Argument(help="The run's folder (charter.json and its log).")]
BrokerOpt = Annotated[str, typer.Option(help="mqtt://[user:pass@]host:port of the broker.")]


def load_charter(run: Path) -> Charter:
    """The charter of a run folder (or a ``charter.json`` file itself)."""
    path = run / CHARTER_FILE if run.is_dir() else run
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{path}: no such file (accord run writes it when an agreement becomes a charter)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read the charter: {exc}") from None
    if not isinstance(data, dict) or "charter" not in data:
        raise InputError(f"{path}: not a charter.json (it has no 'charter' field)")
    return parse_charter(data["charter"], source=str(path))


def monitor_command(
    run: RunArg,
    broker: BrokerOpt,
    keys: Annotated[Path, typer.Option(help="Directory with host.key and recorder.key.")],
    seconds: Annotated[
        float | None,
        typer.Option("--for", help="Stop after this many seconds [default: until Ctrl-C].", min=0),
    ] = None,
    day: Annotated[
        float | None,
        typer.Option(
            help="Simulate: the monitor's clock starts this many days after the charter's "
            "start [default: the real time].",
            min=0,
        ),
    ] = None,
) -> None:
    """Watch a charter: check every KPI report, raise signed alerts, append all to the log."""
    charter = load_charter(run)
    log_path = find_log(run if run.is_dir() else run.parent)
    own = load_keys(keys, [HOST, RECORDER])
    for name in (HOST, RECORDER):
        if name not in own:
            raise InputError(f"no private key {keys / (name + '.key')}")
    address = BrokerAddress.parse(broker)

    async def watch() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGINT, stop.set)
            loop.add_signal_handler(signal.SIGTERM, stop.set)
        if seconds is not None:
            loop.call_later(seconds, stop.set)
        async with MqttBus(address) as bus:
            out.print(
                f"watching charter {charter.digest[:12]} of {charter.negotiation_id} on "
                f"{address.url()}",
                highlight=False,
            )
            monitor = await keep_watch(
                bus,
                charter,
                keeper=own[HOST],
                recorder=own[RECORDER],
                log_path=log_path,
                stop=stop,
                seen=_show,
                now=time.time_ns if day is None else _clock_from(charter, day),
            )
        out.print(
            f"{len(monitor.observations)} reports accepted, {len(monitor.refusals)} refused, "
            f"{monitor.noise} noise, {len(monitor.alerts)} alerts raised; log: {log_path}",
            highlight=False,
        )
        return len(monitor.alerts)

    asyncio.run(watch())


def _clock_from(charter: Charter, day: float) -> Callable[[], int]:
    """A clock at ``day`` days after the charter's start now, running at the real pace."""
    offset = int(charter.starts_ns) + round(day * DAY_NS) - time.time_ns()
    return lambda: time.time_ns() + offset


def _show(envelope: Envelope, verdict: Verdict) -> None:
    body = envelope.body
    if envelope.performative is Performative.ALERT:
        out.print(f"[red]alert[/] {body.get('kind')}: {body.get('detail')}", highlight=False)
        return
    if envelope.performative is Performative.REVISE:
        out.print(
            f"[yellow]revise[/] {envelope.message_id} from {envelope.sender!r}: "
            f"{body.get('reason')} ({verdict.status})",
            highlight=False,
        )
        return
    what = f"{envelope.message_id} {body.get('kpi')}[{body.get('period')}] = {body.get('value')}"
    if verdict.status == "accepted":
        out.print(f"[green]report[/] {what}", highlight=False)
    else:
        out.print(f"[yellow]{verdict.status}[/] {what}: {verdict.reason}", highlight=False)


def report_command(
    run: RunArg,
    broker: BrokerOpt,
    party: Annotated[str, typer.Option(help="Who reports (a party id, or host).")],
    keys: Annotated[
        Path, typer.Option(help="Directory with the reporter's <party>.key and host.pub.")
    ],
    kpi: Annotated[str, typer.Option(help="The KPI's name in the charter.")],
    period: Annotated[int, typer.Option(help="The reporting period, from 1.", min=1)],
    value: Annotated[float, typer.Option(help="The observed value.")],
    unit: Annotated[str | None, typer.Option(help="Its unit [default: the KPI's].")] = None,
    note: Annotated[str, typer.Option(help="A note for the record.")] = "",
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the monitor's alert about it.", min=0)
    ] = 3.0,
) -> None:
    """Publish a signed KPI report for a charter, and show the monitor's answer."""
    charter = load_charter(run)
    found = charter.kpi(kpi)
    if found is None:
        names = [k.name for k in charter.kpis]
        raise InputError(f"--kpi {kpi!r}: charter {charter.digest[:12]} has the KPIs {names}")
    own = load_keys(keys, [party])
    if party not in own:
        raise InputError(f"no private key {keys / (party + '.key')}")
    keeper = Verifier({charter.keeper: public_key_in(keys, charter.keeper)})
    address = BrokerAddress.parse(broker)

    async def send() -> tuple[str, str] | None:
        async with (
            MqttBus(address) as bus,
            bus.subscribe(charter.negotiation_id, party) as inbox,
        ):
            sent = await report(
                bus,
                charter,
                reporter=party,
                kpi=kpi,
                period=period,
                value=value,
                unit=unit or found.unit,
                signer=signer_for(own[party]),
                note=note,
            )
            out.print(f"published {sent.message_id}", highlight=False)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    while True:
                        answer = await inbox.get()
                        if (
                            answer.performative is Performative.ALERT
                            and answer.session == charter.session
                            and answer.body.get("report") == sent.message_id
                            and keeper.problem(answer) is None
                        ):
                            return str(answer.body.get("kind")), str(answer.body.get("detail"))
        return None

    said = asyncio.run(send())
    if said is None:
        out.print(f"no alert about it within {wait:g} s", highlight=False)
        return
    kind, detail = said
    if kind == "refused_report":
        raise InputError(f"the monitor refused it: {detail}")
    out.print(f"[red]alert[/] {kind}: {detail}", highlight=False)


def portfolio_command(
    organisation: Annotated[
        str, typer.Argument(help="The organisation, as its scenarios name it.")
    ],
    runs: Annotated[
        list[Path], typer.Argument(help="Run folders, each with a charter in its log.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the portfolio as JSON.")] = False,
) -> None:
    """An organisation's charters together: exposure per partner, KPIs across charters."""
    held = holdings(runs, organisation)
    exposure: dict[str, dict[str, int]] = {}
    for h in held:
        for partner in h.partners.values():
            row = exposure.setdefault(partner, {"charters": 0, "in_force": 0, "open_breaches": 0})
            row["charters"] += 1
            row["in_force"] += int(h.in_force)
            row["open_breaches"] += h.open_breaches
    if as_json:
        data = {
            "organisation": organisation,
            "charters": [{**dataclasses.asdict(h), "run": str(h.run)} for h in held],
            "exposure": exposure,
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    charters = Table(title=f"charters of {organisation}", box=None, title_justify="left")
    for column in ("run", "version", "in force", "partners", "category", "open breaches", "terms"):
        charters.add_column(column)
    for h in held:
        charters.add_row(
            str(h.run),
            str(h.version),
            "yes" if h.in_force else "no",
            ", ".join(h.partners.values()),
            h.category or "-",
            str(h.open_breaches),
            ", ".join(f"{k}={v}" for k, v in h.terms.items()),
        )
    out.print(charters)
    partners = Table(title="exposure per partner", box=None, title_justify="left")
    for column in ("partner", "charters", "in force", "share", "open breaches"):
        partners.add_column(column, justify="left" if column == "partner" else "right")
    for partner, row in sorted(exposure.items(), key=lambda item: -item[1]["charters"]):
        share = row["charters"] / max(1, len(held))
        partners.add_row(
            partner,
            str(row["charters"]),
            str(row["in_force"]),
            f"{share:.0%}",
            str(row["open_breaches"]),
        )
    out.print(partners)
    kpis = Table(title="KPIs across charters", box=None, title_justify="left")
    for column in ("run", "KPI", "latest", "period", "target", "threshold", "status"):
        kpis.add_column(column)
    for h in held:
        for k in h.kpis:
            status = "-" if k.latest is None else ("breach" if k.breach else "ok")
            kpis.add_row(
                str(h.run),
                k.name,
                "-" if k.latest is None else f"{k.latest:g} {k.unit}",
                "-" if k.period is None else str(k.period),
                f"{k.target:g}",
                f"{k.threshold:g}",
                status,
            )
    out.print(kpis)


def revise_command(
    run: RunArg,
    broker: BrokerOpt,
    party: Annotated[str, typer.Option(help="The party that asks.")],
    keys: Annotated[Path, typer.Option(help="Directory with the party's <party>.key.")],
    reason: Annotated[str, typer.Option(help="Why the charter should be renegotiated.")],
) -> None:
    """Ask, signed, for the charter to be renegotiated (the keeper's monitor records it)."""
    charter = load_charter(run)
    if party not in charter.parties:
        raise InputError(f"--party {party!r} is not a party of the charter {charter.parties}")
    own = load_keys(keys, [party])
    if party not in own:
        raise InputError(f"no private key {keys / (party + '.key')}")

    async def ask() -> str:
        async with MqttBus(BrokerAddress.parse(broker)) as bus:
            sent = await request_revision(
                bus, charter, party=party, reason=reason, signer=signer_for(own[party])
            )
        return sent.message_id

    message_id = asyncio.run(ask())
    out.print(
        f"published {message_id}: accord renegotiate --trigger request --reference "
        f"{message_id} opens it",
        highlight=False,
    )
