"""The audit of a partnership over time, on the example's own run, and on logs where the
keeper said what the reports do not support, or kept quiet where they called for an alert."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nacl.signing import SigningKey
from pydantic import JsonValue

from accord.audit import audit, load_transcript
from accord.audit.html import render_html
from accord.audit.policy import AuditPolicy
from accord.broker import MemoryBus
from accord.ledger.resume import resume_recorder
from accord.ledger.signing import signer_for
from accord.lifecycle import DAY_NS, Charter, Monitor, report
from accord.lifecycle.phase import recording
from accord.wire import Envelope, Performative, compose
from conftest import ROOT
from test_lifecycle import START, sealed

PILOT = ROOT / "examples" / "partnership-lifecycle" / "pilot.py"


def _pilot(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own example
        [sys.executable, str(PILOT), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )


def keeper_alert(
    charter: Charter, key: SigningKey, seq: int, as_of_ns: int, **body: JsonValue
) -> Envelope:
    """An alert of the keeper, signed with its key, whatever the reports say."""
    return signer_for(key)(
        compose(
            negotiation_id=charter.negotiation_id,
            sender="host",
            seq=seq,
            performative=Performative.ALERT,
            body={"charter": charter.digest, "as_of_ns": str(as_of_ns), **body},
            session=charter.session,
        )
    )


@pytest.fixture(scope="module")
def pilot_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pilot") / "run"
    done = _pilot(out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "version 2: charter" in done.stdout
    assert "version 3: charter" in done.stdout
    assert "the scaled charter aims for 1000 joint customers" in done.stdout
    return out


def test_the_audit_tells_the_pilots_story(pilot_run: Path) -> None:
    report_ = audit(load_transcript(pilot_run), AuditPolicy())
    assert report_.integrity.ok
    history = report_.lifecycle
    assert history is not None
    first, second, third = history.versions
    assert (first.in_force, second.in_force, third.in_force) == (True, True, True)
    assert second.previous == first.digest
    assert third.previous == second.digest
    assert second.trigger == "breach"
    assert third.trigger == "review"
    assert (first.stage, second.stage, third.stage) == ("pilot", "pilot", "scaled")
    scaled = next(t for t in history.trajectories if t.kpi == "joint_customers" and t.version == 3)
    assert (scaled.target, scaled.threshold) == (1000.0, 600.0)  # five times the pilot's
    assert second.renegotiation is not None
    assert second.renegotiation.found
    assert second.renegotiation.verdict == "fair"
    assert second.renegotiation.no_party_worse_off
    kinds = [(a.kind, a.kpi, a.period) for a in history.alerts]
    assert kinds == [
        ("refused_report", "joint_customers", 2),
        ("overdue", "revenue_share_paid", 3),
        ("breach", "certification_pass_rate", 5),
    ]
    assert all(a.supported for a in history.alerts)
    breach = history.alerts[-1]
    assert breach.handled_by == 2
    assert history.unhandled_breaches == []
    assert history.keeper_problems == []
    assert len(history.outside_role) == 1
    assert "'isv' may not report 'joint_customers'" in history.outside_role[0]
    pass_rate = next(
        t for t in history.trajectories if t.kpi == "certification_pass_rate" and t.version == 1
    )
    assert [(p.period, p.value, p.breach) for p in pass_rate.points][-2:] == [
        (4, 79.0, False),
        (5, 73.0, True),
    ]
    assert any("outside its role" in w for w in report_.verdict.warnings)
    html = render_html(report_)
    assert "After the agreement" in html
    assert 'alt="KPI trajectories against target and threshold"' in html


def test_accord_audit_shows_it(pilot_run: Path) -> None:
    done = subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", "audit", str(pilot_run)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "## After the agreement" in text
    assert "| 2 |" in text
    assert "breach host:" in text
    assert "**73**" in text  # the breached value, in bold


async def test_a_keeper_that_says_what_the_reports_do_not_is_named(tmp_path: Path) -> None:
    """A breach alert for a report that is no breach; a refused report without its alert."""
    bus = MemoryBus()
    sealing, identities, log_path = await sealed(bus, tmp_path)
    charter = sealing.charter
    async with recording(bus, resume_recorder(log_path, identities["recorder"])):
        fine = await report(
            bus,
            charter,
            reporter="platform",
            kpi="joint_customers",
            period=1,
            value=180,
            unit="customers",
            signer=signer_for(identities["platform"]),
        )
        await report(  # outside its role: the keeper should refuse it, and says nothing
            bus,
            charter,
            reporter="isv",
            kpi="joint_customers",
            period=1,
            value=5,
            unit="customers",
            signer=signer_for(identities["isv"]),
        )
        false_alarm = keeper_alert(
            charter,
            identities["host"],
            1,
            START + 40 * DAY_NS,
            kind="breach",
            kpi="joint_customers",
            period=1,
            party="platform",
            report=fine.message_id,
            detail="joint customers are far too low",
        )
        early = keeper_alert(
            charter,
            identities["host"],
            2,
            START + 40 * DAY_NS,
            kind="overdue",
            kpi="revenue_share_paid",
            period=2,
            party="platform",
            detail="overdue already",
        )
        await bus.publish(false_alarm)
        await bus.publish(early)
        await asyncio.sleep(0)
    history = audit(load_transcript(log_path), AuditPolicy()).lifecycle
    assert history is not None
    said = " | ".join(history.keeper_problems)
    assert "host:1: a breach alert about platform:1 that the charter does not call for" in said
    assert "host:2: says 'revenue_share_paid' of period 2 is overdue before it was due" in said
    assert "the keeper raised no refused_report alert for isv:1" in said
    assert [a.supported for a in history.alerts] == [False, False]
    assert history.unhandled_breaches[0].startswith("host:1")


def test_a_monitor_restored_from_the_log_keeps_the_alerts(pilot_run: Path) -> None:
    transcript = load_transcript(pilot_run)
    history = audit(transcript, AuditPolicy()).lifecycle
    assert history is not None
    charter_messages = [m.envelope for m in transcript.charter_messages if m.status == "ok"]
    first = history.versions[0]
    sign = next(e for e in charter_messages if e.performative is Performative.SIGN)
    charter = Charter.model_validate(sign.body["charter"])
    assert charter.digest == first.digest
    monitor = Monitor(charter, keys=None, signer=None, now=lambda: START + 400 * DAY_NS)
    monitor.restore(charter_messages)
    assert [a.body["kind"] for a in monitor.alerts] == ["refused_report", "overdue", "breach"]
    assert ("certification_pass_rate", 5) in monitor.observations


@pytest.mark.mqtt
@pytest.mark.slow
def test_the_pilot_with_a_process_per_party_over_mosquitto(
    tmp_path: Path, mosquitto_url: str
) -> None:
    out = tmp_path / "run"
    done = _pilot(out, "--broker", mosquitto_url, "--processes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "version 2: charter" in done.stdout
    assert "signed by every party" in done.stdout
    history = audit(load_transcript(out), AuditPolicy()).lifecycle
    assert history is not None
    assert [v.in_force for v in history.versions] == [True, True, True]
    assert history.keeper_problems == []
    assert (out / "revision-2" / "scenario.json").is_file()


async def test_the_policy_judges_the_keeper(tmp_path: Path) -> None:
    bus = MemoryBus()
    sealing, identities, log_path = await sealed(bus, tmp_path)
    charter = sealing.charter
    false_alarm = keeper_alert(
        charter,
        identities["host"],
        1,
        START,
        kind="overdue",
        kpi="joint_customers",
        period=3,
        party="platform",
        detail="overdue already",
    )
    async with recording(bus, resume_recorder(log_path, identities["recorder"])):
        await bus.publish(false_alarm)
    transcript = load_transcript(log_path)
    strict = audit(transcript, AuditPolicy())
    assert strict.verdict.status == "breached"
    assert [b.rule for b in strict.verdict.breaches] == ["max_keeper_problems"]
    lenient = audit(transcript, AuditPolicy(max_keeper_problems=None))
    assert lenient.verdict.status == "fair"
    assert any("overdue before it was due" in w for w in lenient.verdict.warnings)


def test_the_pilot_holds_every_lifecycle_rule(pilot_run: Path) -> None:
    policy = AuditPolicy(require_breaches_handled=True)
    report_ = audit(load_transcript(pilot_run), policy)
    assert report_.verdict.status == "fair", report_.verdict.breaches
    outside = AuditPolicy(max_reports_outside_role=0)
    breached = audit(load_transcript(pilot_run), outside)
    assert [b.rule for b in breached.verdict.breaches] == ["max_reports_outside_role"]
