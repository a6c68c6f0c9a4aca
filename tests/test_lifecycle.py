"""After the agreement: the charter is signed by every party (or the refusal named), KPI
reports are checked against it over real buses, alerts are signed, and the log is appended
to, never rewritten."""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from nacl.signing import SigningKey

from accord import ScenarioError, load_scenario
from accord.audit import audit, load_transcript
from accord.audit.policy import AuditPolicy
from accord.broker import Bus, MemoryBus
from accord.broker.embedded import embedded_broker
from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.errors import LedgerError
from accord.ledger.keys import generate_key
from accord.ledger.resume import resume_recorder
from accord.ledger.signing import Verifier, signer_for
from accord.ledger.storage import open_storage, read_records
from accord.ledger.verify import verify_log
from accord.lifecycle import DAY_NS, Charter, Monitor, Sealing, report
from accord.lifecycle.member import report_envelope
from accord.lifecycle.phase import recording, seal_in_process
from accord.runner import identities_for, negotiate
from accord.scenarios import Scenario
from accord.wire import Envelope, Performative, compose
from conftest import EXAMPLES, run_accord

PILOT = next(p for p in EXAMPLES if p.name == "platform-isv.yaml")
START = 1_800_000_000 * 10**9
"""A charter's start on the simulated clock."""


def scenario() -> Scenario:
    return load_scenario(PILOT)


@asynccontextmanager
async def bus_of(kind: str, request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    if kind == "memory":
        yield MemoryBus()
    elif kind == "embedded":
        async with embedded_broker() as address, MqttBus(address) as bus:
            yield bus
    else:
        address = BrokerAddress.parse(request.getfixturevalue("mosquitto_url"))
        async with MqttBus(address) as bus:
            yield bus


BUS_KINDS = [
    "memory",
    pytest.param("embedded", marks=pytest.mark.mqtt),
    pytest.param("mosquitto", marks=pytest.mark.mqtt),
]


async def negotiated(
    bus: Bus, log_path: Path, loaded: Scenario | None = None
) -> tuple[Scenario, dict[str, SigningKey], dict[str, Any], str]:
    """A finished negotiation of the pilot (a fresh negotiation id each time: tests share
    one mosquitto) logged at ``log_path``: scenario, keys, agreement, negotiation id."""
    loaded = loaded or scenario()
    seed = secrets.randbelow(2**40)
    identities = identities_for(loaded, {})
    done = await negotiate(loaded, seed=seed, bus=bus, keys=identities, log=open_storage(log_path))
    assert done.result.outcome is not None
    return loaded, identities, dict(done.result.outcome), done.result.negotiation_id


async def sealed(
    bus: Bus, tmp_path: Path, **options: Any
) -> tuple[Sealing, dict[str, SigningKey], Path]:
    log_path = tmp_path / "log.jsonl"
    loaded, identities, terms, negotiation_id = await negotiated(bus, log_path)
    sealing = await seal_in_process(
        bus,
        loaded,
        terms,
        negotiation_id=negotiation_id,
        identities=identities,
        log_path=log_path,
        starts_ns=START,
        **options,
    )
    return sealing, identities, log_path


def logged(log_path: Path) -> list[Envelope]:
    out = []
    for _, raw in read_records(log_path).records:
        if raw.startswith(b'{"envelope":'):
            out.append(Envelope.model_validate(json.loads(raw)["envelope"]))
    return out


def customers_report(charter: Charter, sender: str, value: float, signer: Any) -> Envelope:
    """``sender``'s report of joint customers for period 1 (unsigned without ``signer``)."""
    return report_envelope(
        charter,
        reporter=sender,
        kpi="joint_customers",
        period=1,
        value=value,
        unit="customers",
        signer=signer,
    )


class Refuser:
    def review(self, charter: Charter) -> str | None:
        return "our board has not approved the revenue share"


# -- the charter ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BUS_KINDS)
async def test_every_party_countersigns_and_the_log_holds_it(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    async with bus_of(kind, request) as bus:
        sealing, _, log_path = await sealed(bus, tmp_path)
    assert sealing.in_force, sealing.summary()
    assert sorted(sealing.signed) == ["isv", "platform"]
    charter = sealing.charter
    kpi = charter.kpi("revenue_share_paid")
    assert kpi is not None
    assert kpi.target == charter.terms["revenue_share"]  # the KPI tracks the agreed term
    assert kpi.threshold == kpi.target + 1  # tolerance 1, lower is better
    check = verify_log(log_path)
    assert check.ok, check.problems
    assert check.charter_sessions == [charter.session]
    of_charter = [e for e in logged(log_path) if e.session == charter.session]
    assert {e.performative for e in of_charter} == {Performative.SIGN, Performative.COUNTERSIGN}
    assert {e.sender for e in of_charter if e.performative is Performative.COUNTERSIGN} == {
        "platform",
        "isv",
    }
    report_ = audit(load_transcript(log_path), AuditPolicy())
    assert not any("stale_session" in n for n in report_.process.noise), report_.process.noise


async def test_a_refusing_party_is_named_with_its_reason(tmp_path: Path) -> None:
    sealing, _, log_path = await sealed(MemoryBus(), tmp_path, policies={"isv": Refuser()})
    assert not sealing.in_force
    assert sealing.refused == {"isv": "our board has not approved the revenue share"}
    assert "'isv' refused (our board has not approved the revenue share)" in sealing.summary()
    refusal = next(e for e in logged(log_path) if e.performative is Performative.REFUSE)
    assert refusal.sender == "isv"
    assert refusal.body["charter"] == sealing.charter.digest
    assert verify_log(log_path).ok


async def test_a_silent_party_is_named(tmp_path: Path) -> None:
    bus = MemoryBus()
    log_path = tmp_path / "log.jsonl"
    loaded, identities, terms, negotiation_id = await negotiated(bus, log_path)
    data = yaml.safe_load(PILOT.read_text())
    data["charter"]["sign_timeout"] = 0.5
    loaded = Scenario.model_validate(data)
    silent = {"isv": _Never()}
    sealing = await seal_in_process(
        bus,
        loaded,
        terms,
        negotiation_id=negotiation_id,
        identities=identities,
        log_path=log_path,
        starts_ns=START,
        policies=silent,
    )
    assert sealing.silent == ["isv"]
    assert sealing.signed == ["platform"]
    assert "'isv' did not answer" in sealing.summary()


class _Never:
    def review(self, charter: Charter) -> str | None:
        raise asyncio.CancelledError  # the party's runtime stops before it answers


async def test_a_charter_signed_by_an_impostor_counts_for_nobody(tmp_path: Path) -> None:
    """A countersignature in a party's name, signed with another key, is noise."""
    bus = MemoryBus()
    sealing, identities, _ = await sealed(bus, tmp_path)
    assert sealing.in_force
    impostor = generate_key()
    forged = signer_for(impostor)(
        compose(
            negotiation_id=sealing.charter.negotiation_id,
            sender="isv",
            seq=0,
            performative=Performative.COUNTERSIGN,
            body={"charter": sealing.charter.digest},
            session=sealing.charter.session,
        )
    )
    keys = {p: identities[p].verify_key for p in sealing.charter.parties}
    assert Verifier(keys).problem(forged) == "bad_signature"


# -- the scenario's kpis: section ----------------------------------------------------------


def pilot_with(tmp_path: Path, change: Any, name: str = "pilot") -> Path:
    """The pilot scenario with ``change`` made to its data, written to ``<name>.yaml``."""
    data = yaml.safe_load(PILOT.read_text())
    change(data)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _line(path: Path, needle: str, after: str) -> int:
    """The line of the last ``needle`` after ``after`` (the duplicate, when there are two)."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return [i for i, line in enumerate(lines) if i >= start and needle in line][-1] + 1


@pytest.mark.parametrize(
    ("change", "field", "needle", "message"),
    [
        (
            lambda d: d["kpis"][0].update(owner="bank"),
            "kpis[0].owner",
            "owner: bank",
            "owner 'bank' is not a party",
        ),
        (
            lambda d: d["kpis"][1]["reported_by"].append("auditor"),
            "kpis[1].reported_by[1]",
            "- auditor",
            "reporter 'auditor' is neither a party",
        ),
        (
            lambda d: d["kpis"][2].update(term="royalty"),
            "kpis[2].term",
            "term: royalty",
            "no issue named 'royalty'",
        ),
        (
            lambda d: d["kpis"][2].update(term="exclusivity"),
            "kpis[2].term",
            "term: exclusivity",
            "issue 'exclusivity' is categorical: its agreed value cannot be the target",
        ),
        (
            lambda d: d["kpis"][0].update(scope="everyone"),
            "kpis[0].scope",
            "scope: everyone",
            "scope 'everyone' is neither a party",
        ),
        (
            lambda d: d["kpis"][1].update(name="joint_customers"),
            "kpis[1].name",
            "name: joint_customers",
            "duplicate KPI name 'joint_customers'",
        ),
    ],
)
def test_a_bad_kpi_is_named_with_its_field_and_line(
    tmp_path: Path, change: Any, field: str, needle: str, message: str
) -> None:
    path = pilot_with(tmp_path, change)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    error = info.value
    assert error.field == field
    assert error.line == _line(path, needle, "kpis:")
    assert message in str(error)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["kpis"][0].update(target=100), "target 100 is below threshold 120"),
        (lambda d: d["kpis"][0].update(tolerance=5), "exactly one of threshold and tolerance"),
        (lambda d: d["kpis"][1].update(range=[80, 100]), "threshold 75 is outside range"),
        (lambda d: d["kpis"][1].update(threshold="high"), "valid number"),
        (lambda d: d["kpis"][2].pop("term"), "neither a target nor a term"),
    ],
)
def test_an_inconsistent_kpi_is_refused(tmp_path: Path, change: Any, message: str) -> None:
    path = pilot_with(tmp_path, change)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:")


# -- reports and alerts --------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> int:
        return self.now

    def days(self, days: float) -> None:
        self.now = START + round(days * DAY_NS)


async def _wait_for(condition: Any, seconds: float = 10.0) -> None:
    """Poll ``condition``: it reads a monitor another task fills in."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110  # no event to wait on: the monitor has none
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("kind", BUS_KINDS)
async def test_reports_are_checked_and_alerts_signed_over_the_bus(  # noqa: PLR0915  # one story
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    async with bus_of(kind, request) as bus:
        sealing, identities, log_path = await sealed(bus, tmp_path)
        charter = sealing.charter
        before = log_path.read_bytes()
        clock = Clock()
        keys = {p: identities[p].verify_key for p in charter.parties}
        monitor = Monitor(charter, keys=keys, signer=signer_for(identities["host"]), now=clock)
        signers = {p: signer_for(identities[p]) for p in charter.parties}
        intruder = signer_for(generate_key())
        clock.days(31)
        async with recording(bus, resume_recorder(log_path, identities["recorder"])):
            stop = asyncio.Event()
            watching = asyncio.create_task(monitor.watch(bus, stop=stop))
            await asyncio.sleep(0.2)

            async def send(reporter: str, kpi: str, value: float, unit: str, **kw: Any) -> str:
                envelope = await report(
                    bus,
                    charter,
                    reporter=reporter,
                    kpi=kpi,
                    period=kw.get("period", 1),
                    value=value,
                    unit=unit,
                    signer=kw.get("signer", signers.get(reporter)),
                )
                return envelope.message_id

            await send("platform", "joint_customers", 150, "customers")
            await send("platform", "certification_pass_rate", 70, "%")  # a breach
            await send("isv", "joint_customers", 999, "customers")  # not its role
            await send("isv", "revenue_share_paid", 30, "EUR")  # wrong unit
            await send("isv", "revenue_share_paid", 130, "%")  # out of range
            await send("isv", "revenue_share_paid", 20, "%", period=2)  # not ended yet
            await send("isv", "revenue_share_paid", 20, "%", signer=None)  # unsigned
            await send("isv", "revenue_share_paid", 20, "%", signer=intruder)  # forged
            await _wait_for(lambda: len(monitor.refusals) == 4 and monitor.noise >= 2)
            assert set(monitor.observations) == {
                ("joint_customers", 1),
                ("certification_pass_rate", 1),
            }
            clock.days(31 + 7)  # the revenue share report of period 1 is now overdue
            await _wait_for(lambda: any(a.body["kind"] == "overdue" for a in monitor.alerts))
            await asyncio.sleep(0.6)  # the monitor looks again: no second overdue alert
            stop.set()
            await watching
    alerts = [(a.body["kind"], a.body.get("kpi"), a.body.get("party")) for a in monitor.alerts]
    assert alerts.count(("breach", "certification_pass_rate", "isv")) == 1
    assert alerts.count(("overdue", "revenue_share_paid", "platform")) == 1
    refused = [
        (a.body.get("party"), str(a.body["detail"]))
        for a in monitor.alerts
        if a.body["kind"] == "refused_report"
    ]
    reasons = " | ".join(detail for _, detail in refused)
    assert [party for party, _ in refused] == ["isv"] * 4  # nobody is blamed for the forgeries
    assert "'isv' may not report 'joint_customers'" in reasons
    assert "reported in '%', not 'EUR'" in reasons
    assert "130 is outside the range [0.0, 100.0]" in reasons
    assert "period 2 of 'revenue_share_paid' has not ended yet" in reasons
    assert ("revenue_share_paid", 1) not in monitor.observations
    # the log was appended to, never rewritten, and holds every report and signed alert
    after = log_path.read_bytes()
    assert after.startswith(before)
    check = verify_log(log_path)
    assert check.ok, check.problems
    in_log = [e for e in logged(log_path) if e.session == charter.session]
    logged_alerts = [e for e in in_log if e.performative is Performative.ALERT]
    assert [e.message_id for e in logged_alerts] == [a.message_id for a in monitor.alerts]
    assert all(e.sig for e in logged_alerts)
    reports = [e for e in in_log if e.performative is Performative.REPORT]
    assert len(reports) == 8  # the unsigned and forged ones too, marked by the recorder
    statuses = [
        json.loads(raw)["status"]
        for _, raw in read_records(log_path).records
        if b'"performative":"report"' in raw
    ]
    # the out-of-range report took the slot of the wrong-unit one (both isv's revenue share
    # for period 1): the recorder logs it as a conflict, the monitor refused both anyway
    assert statuses.count("ok") == 5
    assert sorted(set(statuses) - {"ok"}) == ["bad_signature", "conflict", "unsigned"]


async def test_a_second_report_for_a_period_conflicts_and_is_refused(tmp_path: Path) -> None:
    bus = MemoryBus()
    sealing, identities, log_path = await sealed(bus, tmp_path)
    charter = sealing.charter
    clock = Clock()
    clock.days(40)
    keys = {p: identities[p].verify_key for p in charter.parties}
    monitor = Monitor(charter, keys=keys, signer=None, now=clock)
    sign = signer_for(identities["platform"])

    def made(value: float) -> Envelope:
        return customers_report(charter, "platform", value, sign)

    first, second = made(150), made(250)
    assert monitor.consider(first).status == "accepted"
    assert monitor.consider(first).status == "noise"  # the same envelope again
    verdict = monitor.consider(second)
    assert verdict.status == "refused"
    assert "already reported by 'platform' (150" in verdict.reason
    assert monitor.observations[("joint_customers", 1)].value == 150
    recorder = resume_recorder(log_path, identities["recorder"])
    assert recorder.record_entry(first)[1] == "ok"
    assert recorder.record_entry(second)[1] == "conflict"
    recorder.close()
    assert verify_log(log_path).ok


async def test_a_restored_monitor_raises_nothing_twice(tmp_path: Path) -> None:
    bus = MemoryBus()
    sealing, identities, log_path = await sealed(bus, tmp_path)
    charter = sealing.charter
    clock = Clock()
    clock.days(40)
    keys = {p: identities[p].verify_key for p in charter.parties}
    first = Monitor(charter, keys=keys, signer=signer_for(identities["host"]), now=clock)
    async with recording(bus, resume_recorder(log_path, identities["recorder"])):
        stop = asyncio.Event()
        watching = asyncio.create_task(first.watch(bus, stop=stop))
        await asyncio.sleep(0.05)
        await report(
            bus,
            charter,
            reporter="platform",
            kpi="certification_pass_rate",
            period=1,
            value=60,
            unit="%",
            signer=signer_for(identities["platform"]),
        )
        await _wait_for(lambda: len(first.alerts) >= 3)  # a breach and two overdue
        stop.set()
        await watching
    again = Monitor(charter, keys=keys, signer=signer_for(identities["host"]), now=clock)
    again.restore(logged(log_path))
    assert again.observations.keys() == first.observations.keys()
    assert again.overdue() == []
    assert again.next_seq == first.next_seq


# -- resuming a log ------------------------------------------------------------------------


async def test_a_log_that_does_not_verify_is_not_resumed(tmp_path: Path) -> None:
    bus = MemoryBus()
    log_path = tmp_path / "log.jsonl"
    _, identities, _, _ = await negotiated(bus, log_path)
    lines = log_path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"round":', b'"round":1', 1)
    log_path.write_bytes(b"\n".join(lines))
    before = log_path.read_bytes()
    with pytest.raises(LedgerError, match="does not verify, so nothing may be appended"):
        resume_recorder(log_path, identities["recorder"])
    assert log_path.read_bytes() == before
    (tmp_path / "b").mkdir()
    other = tmp_path / "b" / "log.jsonl"
    await negotiated(MemoryBus(), other)
    with pytest.raises(LedgerError, match="another recorder key"):
        resume_recorder(other, generate_key())


async def test_a_resumed_log_continues_its_checkpoints(tmp_path: Path) -> None:
    bus = MemoryBus()
    sealing, identities, log_path = await sealed(bus, tmp_path)
    first = verify_log(log_path)
    recorder = resume_recorder(log_path, identities["recorder"])
    recorder.close()  # nothing new: no new checkpoint
    assert verify_log(log_path).checkpoints == first.checkpoints
    recorder = resume_recorder(log_path, identities["recorder"])
    clock = Clock()
    clock.days(31)
    charter = sealing.charter
    envelope = customers_report(charter, "platform", 180.0, signer_for(identities["platform"]))
    recorder.record(envelope)
    recorder.close()
    after = verify_log(log_path)
    assert after.ok, after.problems
    assert after.checkpoints == first.checkpoints + 1
    assert after.entries == first.entries + 1


# -- accord monitor and accord report ------------------------------------------------------


@pytest.mark.mqtt
def test_monitor_and_report_from_the_command_line(tmp_path: Path, mosquitto_url: str) -> None:
    keys, run = tmp_path / "keys", tmp_path / "run"
    for name in ("platform", "isv", "host", "recorder"):
        assert run_accord("keys", "new", name, "--out", keys).returncode == 0
    seed = str(secrets.randbelow(2**40))
    made = run_accord("run", PILOT, "--keys", keys, "--out", run, "--bus", "memory", "--seed", seed)
    assert made.returncode == 0, made.stderr
    watching = subprocess.Popen(  # noqa: S603  # our own command
        [
            *(sys.executable, "-m", "accord", "monitor", str(run), "--broker", mosquitto_url),
            *("--keys", str(keys), "--day", "31", "--for", "60"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watching.stdout is not None
        assert "watching charter" in watching.stdout.readline()
        common: list[str | Path] = ["--broker", mosquitto_url, "--keys", keys, "--period", "1"]
        good = run_accord(
            "report",
            run,
            *common,
            "--party",
            "platform",
            "--kpi",
            "joint_customers",
            "--value",
            "150",
        )
        assert good.returncode == 0, good.stderr
        assert "no alert about it" in good.stdout
        breach = run_accord(
            "report",
            run,
            *common,
            "--party",
            "platform",
            "--kpi",
            "certification_pass_rate",
            "--value",
            "60",
        )
        assert breach.returncode == 0, breach.stderr
        assert "alert breach: certification_pass_rate = 60 %" in " ".join(breach.stdout.split())
        outside = run_accord(
            "report", run, *common, "--party", "isv", "--kpi", "joint_customers", "--value", "9"
        )
        assert outside.returncode == 2
        assert "'isv' may not report 'joint_customers'" in " ".join(outside.stderr.split())
        unknown = run_accord(
            "report", run, *common, "--party", "isv", "--kpi", "profit", "--value", "1"
        )
        assert unknown.returncode == 2
        assert "--kpi 'profit'" in unknown.stderr
        asked = run_accord(
            "revise",
            run,
            "--broker",
            mosquitto_url,
            "--party",
            "isv",
            "--keys",
            keys,
            "--reason",
            "the pilot outgrew its terms",
        )
        assert asked.returncode == 0, asked.stderr
        time.sleep(1.0)  # the monitor records it
    finally:
        watching.send_signal(signal.SIGINT)
        shown, _ = watching.communicate(timeout=30)
    assert watching.returncode == 0
    assert "2 reports accepted, 1 refused" in " ".join(shown.split())
    assert "revise isv:" in shown
    verified = run_accord("log", "verify", run)
    assert verified.returncode == 0, verified.stdout
    renegotiated = run_accord(
        "renegotiate", run, PILOT, "--keys", keys, "--trigger", "request", "--bus", "memory"
    )
    assert renegotiated.returncode == 0, renegotiated.stderr
    revision = json.loads((run / "charter.json").read_text())["charter"]["revision"]
    assert (revision["trigger"], revision["by"]) == ("request", "isv")
    assert revision["reason"] == "the pilot outgrew its terms"


async def test_a_torn_record_is_set_aside_and_uncovered_entries_covered(tmp_path: Path) -> None:
    """What a keeper killed in the middle of a write, or before a checkpoint, leaves."""
    bus = MemoryBus()
    sealing, identities, log_path = await sealed(bus, tmp_path)
    charter = sealing.charter
    whole = log_path.read_bytes()
    recorder = resume_recorder(log_path, identities["recorder"])
    recorder.checkpoint_seconds = None  # killed before it would have signed one
    envelope = customers_report(charter, "platform", 150.0, signer_for(identities["platform"]))
    recorder.record(envelope)  # and then the process dies: no close, no checkpoint
    with log_path.open("ab") as torn:
        torn.write(b'{"envelope":{"body":{"char')  # a write cut short
    assert not verify_log(log_path).ok
    again = resume_recorder(log_path, identities["recorder"])
    again.close()
    check = verify_log(log_path)
    assert check.ok, check.problems
    assert log_path.read_bytes().startswith(whole)
    assert (tmp_path / "log.jsonl.torn").read_bytes() == b'{"envelope":{"body":{"char\n'
    assert any(e.message_id == envelope.message_id for e in logged(log_path))


@pytest.mark.mqtt
def test_a_monitor_killed_and_started_again_loses_nothing(
    tmp_path: Path, mosquitto_url: str
) -> None:
    keys, run = tmp_path / "keys", tmp_path / "run"
    for name in ("platform", "isv", "host", "recorder"):
        assert run_accord("keys", "new", name, "--out", keys).returncode == 0
    seed = str(secrets.randbelow(2**40))
    made = run_accord("run", PILOT, "--keys", keys, "--out", run, "--bus", "memory", "--seed", seed)
    assert made.returncode == 0, made.stderr
    monitor = [sys.executable, "-m", "accord", "monitor", str(run), "--broker", mosquitto_url]
    monitor += ["--keys", str(keys), "--day", "70", "--for", "60"]
    common: list[str | Path] = ["--broker", mosquitto_url, "--keys", keys, "--party", "platform"]
    common += ["--kpi", "joint_customers", "--wait", "0"]
    for period, how in (("1", signal.SIGKILL), ("2", signal.SIGINT)):
        watching = subprocess.Popen(monitor, stdout=subprocess.PIPE, text=True)  # noqa: S603
        try:
            assert watching.stdout is not None
            assert "watching charter" in watching.stdout.readline()
            sent = run_accord("report", run, *common, "--period", period, "--value", "150")
            assert sent.returncode == 0, sent.stderr
            deadline = time.monotonic() + 20
            while f'"period":{period}' not in (run / "log.jsonl").read_text():
                assert time.monotonic() < deadline, "the report never reached the log"
                time.sleep(0.1)
            time.sleep(1.5)  # the recorder covers it with a checkpoint within a second
        finally:
            watching.send_signal(how)
            watching.communicate(timeout=30)
    check = verify_log(run / "log.jsonl")
    assert check.ok, check.problems
    history = audit(load_transcript(run), AuditPolicy()).lifecycle
    assert history is not None
    accepted = [(r.kpi, r.period) for r in history.reports if r.status == "accepted"]
    assert accepted == [("joint_customers", 1), ("joint_customers", 2)]
    overdue = [(a.kpi, a.period) for a in history.alerts if a.kind == "overdue"]
    assert len(overdue) == len(set(overdue))  # the restarted monitor raised none again


async def test_a_flood_of_bad_reports_raises_one_alert_and_blames_nobody_else(
    tmp_path: Path,
) -> None:
    bus = MemoryBus()
    sealing, identities, _ = await sealed(bus, tmp_path)
    charter = sealing.charter
    clock = Clock()
    clock.days(40)
    keys = {p: identities[p].verify_key for p in charter.parties}
    monitor = Monitor(charter, keys=keys, signer=signer_for(identities["host"]), now=clock)
    isv = signer_for(identities["isv"])

    def bad(value: float, signer: Any) -> Envelope:
        return customers_report(charter, "isv", value, signer)

    verdicts = [monitor.consider(bad(float(v), isv)) for v in range(200)]
    verdicts += [monitor.consider(bad(float(v), None)) for v in range(1000)]
    assert [v.status for v in verdicts[:200]] == ["refused"] * 200
    assert {v.status for v in verdicts[200:]} == {"noise"}
    assert len(monitor.alerts) == 1
    assert monitor.alerts[0].body["party"] == "isv"
    assert monitor.observations == {}
    assert monitor.overdue() != []  # and it still watches the charter


async def test_a_report_refused_as_early_stays_refused_after_a_restart(tmp_path: Path) -> None:
    bus = MemoryBus()
    sealing, identities, _ = await sealed(bus, tmp_path)
    charter = sealing.charter
    clock = Clock()
    clock.days(10)  # period 1 ends on day 30
    keys = {p: identities[p].verify_key for p in charter.parties}
    host = signer_for(identities["host"])
    first = Monitor(charter, keys=keys, signer=host, now=clock)
    early = customers_report(charter, "platform", 150.0, signer_for(identities["platform"]))
    verdict = first.consider(early)
    assert verdict.status == "refused"
    assert verdict.alerts[0].body["rule"] == "early"
    clock.days(60)
    again = Monitor(charter, keys=keys, signer=host, now=clock)
    again.restore([early, *first.alerts])
    assert again.observations == {}
    assert again.consider(early).status == "noise"  # the same report, again
