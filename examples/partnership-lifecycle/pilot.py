"""The platform/ISV partner programme, from negotiation to a scaled charter, in seconds.

A cloud platform and a software vendor negotiate the programme's terms
(``scenarios/platform-isv.yaml``); the agreement becomes a six-month pilot charter that both
sign. Five monthly periods of KPI reports follow on a simulated clock: joint customers grow,
the ISV forgets one revenue-share report (an ``overdue`` alert, then a late report), tries to
report a KPI that is the platform's to report (refused, and named), and the certification pass
rate drifts below its threshold (a ``breach`` alert against the ISV, who owns it). The breach
opens a renegotiation that starts from the terms in force, with the ISV now weighing
certification more; its agreement becomes the charter's second version, signed by both and
linked to the first in the same log. A month later the pilot's review date has passed: the
review renegotiates the pilot into the scaled programme, whose charter (version 3) aims for
five times the joint customers. ``accord audit`` on the folder tells the whole story.

    python examples/partnership-lifecycle/pilot.py --out runs/pilot
    python examples/partnership-lifecycle/pilot.py --out runs/pilot-processes \\
        --broker mqtt://127.0.0.1:1883 --processes

The first runs everything in this process over an embedded broker. The second talks to the
broker you run, with each party's agent, and each party's every report (``accord report``),
in an OS process of its own; this process is the host, the keeper and the recorder.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from nacl.signing import SigningKey

from accord import load_scenario
from accord.broker import Bus
from accord.broker.embedded import embedded_broker
from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.ledger.keys import load_keys, save_key_pair
from accord.ledger.signing import signer_for
from accord.ledger.storage import open_storage
from accord.lifecycle import DAY_NS, Charter, Monitor, Sealing, Verdict, report
from accord.lifecycle.phase import CHARTER_FILE, charter_after, seal_and_record, write_charter
from accord.lifecycle.revision import Trigger, amended_charter, open_renegotiation, renegotiate
from accord.lifecycle.watch import keep_watch
from accord.processes import host_charter, host_process, reap, spawn_parties
from accord.result import NegotiationResult, write_outputs
from accord.runner import negotiate
from accord.scenarios import Scenario
from accord.wire import Envelope, Performative

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "platform-isv.yaml"

MONTHS = [  # what the platform reports each month: joint customers, certification pass rate %
    (130, 91),
    (150, 88),
    (175, 84),
    (205, 79),
    (230, 73),  # below the pass rate's threshold of 75: a breach
]
AGENT_EXIT_S = 30.0


def say(text: str) -> None:
    print(text, flush=True)  # noqa: T201  # the example tells its story on stdout


@contextlib.asynccontextmanager
async def transport(broker: str | None) -> AsyncIterator[tuple[Bus, str]]:
    """The broker at ``broker``, or one embedded in this process; and its URL."""
    if broker is not None:
        async with MqttBus(BrokerAddress.parse(broker)) as bus:
            yield bus, broker
        return
    async with embedded_broker() as address, MqttBus(address) as bus:
        yield bus, address.url()


@dataclass
class Pilot:
    """One run of the story, written to ``out``."""

    bus: Bus
    url: str
    out: Path
    processes: bool
    scenario: Scenario = field(default_factory=lambda: load_scenario(SCENARIO))
    now: int = field(default_factory=time.time_ns)
    """The simulated clock (nanoseconds since the epoch)."""
    start: int = 0
    lines: list[str] = field(default_factory=list)

    @property
    def keys(self) -> Path:
        return self.out / "keys"

    @property
    def log(self) -> Path:
        return self.out / "log.jsonl"

    def identities(self) -> dict[str, SigningKey]:
        """Every party's key, the host's and the recorder's."""
        return load_keys(self.keys, [p.id for p in self.scenario.parties] + ["host", "recorder"])

    def clock(self) -> int:
        return self.now

    def day(self, day: float) -> None:
        self.now = self.start + round(day * DAY_NS)

    # -- the negotiation and the pilot charter ------------------------------------------------

    async def negotiate(self) -> Charter:
        scenario, bus = self.scenario, self.bus
        if self.processes:
            agents = spawn_parties(SCENARIO, scenario, self.url, self.keys, None)
            try:
                done = await host_process(
                    scenario, bus=bus, keys=self.keys, log=open_storage(self.log)
                )
                sealing = await host_charter(
                    scenario, done, bus=bus, keys=self.keys, log_path=self.log
                )
            finally:
                await asyncio.to_thread(reap, agents, AGENT_EXIT_S)
        else:
            keys = self.identities()
            done = await negotiate(scenario, bus=bus, keys=keys, log=open_storage(self.log))
            sealing = await charter_after(
                done, scenario, bus=bus, identities=keys, log_path=self.log
            )
        write_outputs(self.out, done.result, done.transcript)
        write_charter(self.out, sealing)
        if sealing is None:
            raise SystemExit(f"the pilot ended without agreement: {done.result.reason}")
        say(f"agreed after {done.result.rounds} rounds: {done.result.outcome}")
        say(f"pilot {sealing.summary()}")
        self.start = self.now = int(sealing.charter.starts_ns)
        return sealing.charter

    # -- five months of reports ---------------------------------------------------------------

    async def send(self, charter: Charter, party: str, kpi: str, period: int, value: float) -> None:
        """One report: by the party's own ``accord report`` process, or published here."""
        if self.processes:
            command = [sys.executable, "-m", "accord", "report", str(self.out)]
            command += ["--broker", self.url, "--party", party, "--keys", str(self.keys)]
            command += ["--kpi", kpi, "--period", str(period), "--value", str(value)]
            await asyncio.to_thread(
                subprocess.run,
                [*command, "--wait", "0"],
                check=False,
                capture_output=True,
            )
            return
        found = charter.kpi(kpi)
        key = self.identities()[party]
        await report(
            self.bus,
            charter,
            reporter=party,
            kpi=kpi,
            period=period,
            value=value,
            unit=found.unit if found is not None else "?",
            signer=signer_for(key),
        )

    def seen(self, envelope: Envelope, verdict: Verdict) -> None:
        if envelope.performative is Performative.ALERT:
            self.lines.append(f"  alert {envelope.body.get('kind')}: {envelope.body.get('detail')}")

    def watch(self, charter: Charter, stop: asyncio.Event) -> asyncio.Task[Monitor]:
        """The keeper's monitor (and recorder) on ``charter`` until ``stop`` is set."""
        keys = self.identities()
        return asyncio.create_task(
            keep_watch(
                self.bus,
                charter,
                keeper=keys["host"],
                recorder=keys["recorder"],
                log_path=self.log,
                stop=stop,
                now=self.clock,
                seen=self.seen,
            )
        )

    def tell(self) -> None:
        for line in self.lines:
            say(line)
        self.lines.clear()

    async def months(self, charter: Charter) -> Monitor:
        """The pilot's first five months of reports."""
        stop = asyncio.Event()
        watching = self.watch(charter, stop)
        await asyncio.sleep(0.5)  # the monitor subscribes
        share = float(str(charter.terms["revenue_share"]))
        for month, (customers, pass_rate) in enumerate(MONTHS, start=1):
            self.day(30 * month + 1)
            await asyncio.sleep(0.8)  # the monitor looks for overdue reports first
            say(f"month {month}: {customers} joint customers, pass rate {pass_rate}%")
            await self.send(charter, "platform", "joint_customers", month, customers)
            await self.send(charter, "platform", "certification_pass_rate", month, pass_rate)
            if month == 2:  # joint customers are the platform's to report
                await self.send(charter, "isv", "joint_customers", month, 999)
            if month == 4:  # the report of month 3, late
                await self.send(charter, "isv", "revenue_share_paid", 3, share)
            if month != 3:  # the ISV forgets month 3
                await self.send(charter, "isv", "revenue_share_paid", month, share)
            await asyncio.sleep(1.2)
            self.tell()
        stop.set()
        return await watching

    async def sixth_month(self, charter: Charter) -> Monitor:
        """The first month under the revised charter, which ends after the pilot's review
        date: certification recovers."""
        stop = asyncio.Event()
        watching = self.watch(charter, stop)
        await asyncio.sleep(0.5)
        start = (int(charter.starts_ns) - self.start) / DAY_NS
        self.day(start + 31)
        say(f"month 6 (version {charter.version}): 260 joint customers, pass rate 86%")
        share = float(str(charter.terms["revenue_share"]))
        await self.send(charter, "platform", "joint_customers", 1, 260)
        await self.send(charter, "platform", "certification_pass_rate", 1, 86)
        await self.send(charter, "isv", "revenue_share_paid", 1, share)
        await asyncio.sleep(1.2)
        self.tell()
        stop.set()
        return await watching

    # -- the renegotiations -------------------------------------------------------------------

    async def renegotiate(
        self, charter: Charter, monitor: Monitor, trigger: Trigger
    ) -> tuple[NegotiationResult, Sealing | None]:
        self.now += DAY_NS
        keys = self.identities()
        folder = self.out / f"revision-{charter.version + 1}"
        if not self.processes:
            here = await renegotiate(
                self.bus,
                self.scenario,
                charter,
                monitor,
                trigger=trigger,
                identities=keys,
                charter_log=self.log,
                out_dir=folder,
                now_ns=self.now,
            )
            return here.result, here.sealing
        opening = open_renegotiation(
            self.scenario, charter, monitor, trigger=trigger, now_ns=self.now
        )
        folder.mkdir()
        revised = folder / "scenario.json"  # the parties' agents read it, like any scenario
        revised.write_text(opening.revised.model_dump_json(exclude_none=True, indent=2))
        agents = spawn_parties(revised, opening.revised, self.url, self.keys, None)
        try:
            done = await host_process(
                opening.revised,
                bus=self.bus,
                keys=self.keys,
                log=open_storage(folder / "log.jsonl"),
            )
            write_outputs(folder, done.result, done.transcript)
            if done.result.outcome is None:
                return done.result, None
            amended = amended_charter(opening, done.result, folder / "log.jsonl", now_ns=self.now)
            sealing = await seal_and_record(
                self.bus,
                amended,
                keeper=keys["host"],
                recorder=keys["recorder"],
                party_keys={p: keys[p].verify_key for p in amended.parties},
                log_path=self.log,
            )
        finally:
            await asyncio.to_thread(reap, agents, AGENT_EXIT_S)
        return done.result, sealing

    def amended(
        self, why: str, charter: Charter, result: NegotiationResult, sealing: Sealing | None
    ) -> Charter:
        """Tell how a renegotiation went; the charter in force after it."""
        changed = {k: v for k, v in (result.outcome or {}).items() if charter.terms.get(k) != v}
        say(f"renegotiated {why} ({result.reason}); changed: {changed or 'nothing'}")
        if sealing is None:
            say(f"no agreement: version {charter.version} stays in force")
            return charter
        write_charter(self.out, sealing)  # charter.json holds the version in force
        say(f"version {sealing.charter.version}: {sealing.summary()}")
        return sealing.charter


async def main(out: Path, broker: str | None, processes: bool) -> None:
    if (out / CHARTER_FILE).exists():
        raise SystemExit(f"{out} already holds a pilot; choose another --out")
    async with transport(broker) as (bus, url):
        pilot = Pilot(bus=bus, url=url, out=out, processes=processes)
        for name in [p.id for p in pilot.scenario.parties] + ["host", "recorder"]:
            save_key_pair(name, pilot.keys)
        charter = await pilot.negotiate()
        monitor = await pilot.months(charter)
        result, sealing = await pilot.renegotiate(charter, monitor, Trigger("breach"))
        revised = pilot.amended("after the breach", charter, result, sealing)
        if revised is charter:
            return
        monitor = await pilot.sixth_month(revised)
        result, sealing = await pilot.renegotiate(revised, monitor, Trigger("review"))
        scaled = pilot.amended("at the pilot's review", revised, result, sealing)
        customers = scaled.kpi("joint_customers")
        if customers is not None and scaled.stage == "scaled":
            say(f"the scaled charter aims for {customers.target:g} joint customers")
    say(f"next: accord audit {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/pilot"))
    parser.add_argument("--broker", help="mqtt://host:port of a broker you run")
    parser.add_argument("--processes", action="store_true", help="one OS process per party")
    arguments = parser.parse_args()
    if arguments.processes and arguments.broker is None:
        parser.error("--processes needs --broker (the party processes connect to it)")
    began = time.perf_counter()
    asyncio.run(main(arguments.out, arguments.broker, arguments.processes))
    say(f"({time.perf_counter() - began:.1f} s)")
