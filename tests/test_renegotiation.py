"""Renegotiating a charter: what may open it, how the profiles change, and how the amended
charter is linked to the one it amends and to the renegotiation's own log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import JsonValue

from accord import ScenarioError, load_scenario
from accord.broker import Bus, MemoryBus
from accord.errors import InputError
from accord.ledger.signing import signer_for
from accord.ledger.storage import read_records
from accord.ledger.verify import verify_log
from accord.lifecycle import DAY_NS, Monitor, report
from accord.lifecycle.charter import Charter, Revision, charter_for
from accord.lifecycle.member import request_revision
from accord.lifecycle.monitor import Observation
from accord.lifecycle.revision import Trigger, renegotiate, revised_scenario
from accord.lifecycle.updates import KpiEmphasis, Situation, StatusQuo
from accord.model.utility import LinearAdditiveUtility
from accord.runner import negotiate
from accord.scenarios import Scenario
from accord.wire import Performative, events_of
from test_lifecycle import BUS_KINDS, PILOT, START, bus_of, pilot_with, sealed

TERMS: dict[str, JsonValue] = {
    "revenue_share": 27,
    "certification": "deep-integration",
    "exclusivity": "category",
    "support_level": "community",
    "duration_months": 49,
}


def pilot() -> Scenario:
    return load_scenario(PILOT)


def monitor_of(charter: Charter, identities: dict[str, Any], day: float) -> Monitor:
    keys = {p: identities[p].verify_key for p in charter.parties}
    return Monitor(
        charter,
        keys=keys,
        signer=signer_for(identities["host"]),
        now=lambda: START + round(day * DAY_NS),
    )


async def breached(bus: Bus, tmp_path: Path) -> tuple[Charter, dict[str, Any], Path, Monitor]:
    """A sealed pilot charter whose revenue share was breached in period 1."""
    sealing, identities, log_path = await sealed(bus, tmp_path)
    charter = sealing.charter
    monitor = monitor_of(charter, identities, 40)
    paid = float(charter.terms["revenue_share"]) + 4  # type: ignore[arg-type]
    envelope = await report(
        bus,
        charter,
        reporter="isv",
        kpi="revenue_share_paid",
        period=1,
        value=paid,
        unit="%",
        signer=signer_for(identities["isv"]),
    )
    verdict = monitor.consider(envelope)
    assert [a.body["kind"] for a in verdict.alerts] == ["breach"]
    return charter, identities, log_path, monitor


@pytest.mark.parametrize("kind", BUS_KINDS[:2])
async def test_a_breach_renegotiates_into_a_linked_second_version(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    async with bus_of(kind, request) as bus:
        charter, identities, log_path, monitor = await breached(bus, tmp_path)
        done = await renegotiate(
            bus,
            pilot(),
            charter,
            monitor,
            trigger=Trigger("breach"),
            identities=identities,
            charter_log=log_path,
            out_dir=tmp_path / "revision-2",
            now_ns=START + 41 * DAY_NS,
        )
    assert done.result.agreement, done.result.detail
    assert done.sealing is not None
    assert done.sealing.in_force
    amended = done.sealing.charter
    assert amended.version == 2
    assert amended.previous == charter.digest
    revision = amended.revision
    assert revision is not None
    assert revision.trigger == "breach"
    assert revision.reference == monitor.alerts[0].message_id
    assert revision.negotiation_id == done.result.negotiation_id
    assert "revision-2" in revision.negotiation_id
    # every party is committed to the renegotiation's log, checkpoint for checkpoint
    renegotiation_log = tmp_path / "revision-2" / "log.jsonl"
    assert verify_log(renegotiation_log).ok
    last = [raw for _, raw in read_records(renegotiation_log).records if b'"checkpoint"' in raw]
    assert json.loads(last[-1])["root"] == revision.log_root
    # the charter's log holds both versions, in order, and still verifies
    check = verify_log(log_path)
    assert check.ok, check.problems
    assert check.charter_sessions == [charter.session, amended.session]
    # the renegotiation started from the terms in force, which every party was shown
    start = next(
        json.loads(line)
        for line in (tmp_path / "revision-2" / "transcript.jsonl").read_text().splitlines()
        if json.loads(line)["performative"] == "start"
    )
    assert start["body"]["status_quo"] == charter.terms
    assert start["body"]["mechanism"] == "single-text"


async def test_what_the_charter_does_not_allow_opens_nothing(tmp_path: Path) -> None:
    bus = MemoryBus()
    charter, identities, log_path, monitor = await breached(bus, tmp_path)
    before = log_path.read_bytes()
    common: dict[str, Any] = {
        "identities": identities,
        "charter_log": log_path,
        "out_dir": tmp_path / "r",
    }
    with pytest.raises(InputError, match=r"not due for review for 139\.0 days"):
        await renegotiate(
            bus,
            pilot(),
            charter,
            monitor,
            trigger=Trigger("review"),
            now_ns=START + 41 * DAY_NS,
            **common,
        )
    with pytest.raises(InputError, match="no breach alert host:99"):
        await renegotiate(
            bus,
            pilot(),
            charter,
            monitor,
            trigger=Trigger("breach", "host:99"),
            now_ns=START + 41 * DAY_NS,
            **common,
        )
    with pytest.raises(InputError, match="no request to revise"):
        await renegotiate(
            bus,
            pilot(),
            charter,
            monitor,
            trigger=Trigger("request"),
            now_ns=START + 41 * DAY_NS,
            **common,
        )
    strict = charter.model_copy(update={"revise_on": ["review"]})
    with pytest.raises(InputError, match="renegotiated only on \\['review'\\], not on 'breach'"):
        await renegotiate(
            bus,
            pilot(),
            strict,
            monitor,
            trigger=Trigger("breach"),
            now_ns=START + 41 * DAY_NS,
            **common,
        )
    assert log_path.read_bytes() == before
    assert not (tmp_path / "r").exists()


async def test_a_party_asks_for_a_revision_and_is_named(tmp_path: Path) -> None:
    bus = MemoryBus()
    sealing, identities, log_path = await sealed(bus, tmp_path)
    charter = sealing.charter
    monitor = monitor_of(charter, identities, 200)  # after the review date too
    asked = await request_revision(
        bus,
        charter,
        party="isv",
        reason="we want to scale beyond the pilot",
        signer=signer_for(identities["isv"]),
    )
    assert asked.performative is Performative.REVISE
    assert monitor.consider(asked).status == "request"
    forged = asked.model_copy(update={"sig": None})
    assert monitor.consider(forged).status == "noise"
    assert monitor.requests == [("isv", asked.message_id, "we want to scale beyond the pilot")]
    done = await renegotiate(
        bus,
        pilot(),
        charter,
        monitor,
        trigger=Trigger("request"),
        identities=identities,
        charter_log=log_path,
        out_dir=tmp_path / "r",
        now_ns=START + 200 * DAY_NS,
    )
    assert done.sealing is not None
    revision = done.sealing.charter.revision
    assert revision is not None
    assert (revision.trigger, revision.by, revision.reference) == (
        "request",
        "isv",
        asked.message_id,
    )


# -- update rules ---------------------------------------------------------------------------


def _situation(*, breach: bool) -> Situation:
    scenario = pilot()
    charter = charter_for(scenario, dict(TERMS), negotiation_id="pilot-1", starts_ns=START)
    observed = Observation("revenue_share_paid", 1, 31.0, "isv", "isv:1", START, breach)
    return Situation(charter, (observed,), scenario.outcome_space())


def test_the_status_quo_becomes_the_disagreement_point() -> None:
    situation = _situation(breach=False)
    for party in pilot().parties:
        updated = StatusQuo().update(party.id, party.profile, situation)
        current = party.profile.bind(situation.space).of(TERMS)
        assert updated.reservation == pytest.approx(max(party.profile.reservation, current))
        assert updated.utility == party.profile.utility


def test_a_breached_term_weighs_more_for_whose_gain_it_measures() -> None:
    situation = _situation(breach=True)
    isv, platform = (p for p in sorted(pilot().parties, key=lambda p: p.id))
    updated = KpiEmphasis(factor=2.0).update(isv.id, isv.profile, situation)
    before, after = isv.profile.utility, updated.utility
    assert isinstance(before, LinearAdditiveUtility)
    assert isinstance(after, LinearAdditiveUtility)
    assert after.weights["revenue_share"] > before.weights["revenue_share"]
    assert sum(after.weights.values()) == pytest.approx(1.0)
    # the KPI measures the ISV's gain, not the platform's: the platform's weights stay
    untouched = KpiEmphasis(factor=2.0).update(platform.id, platform.profile, situation)
    assert untouched.utility == platform.profile.utility
    # without a breach nothing is re-weighed
    calm = KpiEmphasis(factor=2.0).update(isv.id, isv.profile, _situation(breach=False))
    assert calm.utility == isv.profile.utility


def test_the_revised_scenario_is_named_and_starts_from_the_terms() -> None:
    situation = _situation(breach=True)
    monitor = Monitor(situation.charter, keys=None, signer=None)
    monitor.observations[("revenue_share_paid", 1)] = situation.observations[0]
    revised = revised_scenario(pilot(), situation.charter, monitor, KpiEmphasis())
    assert revised.name == "Platform partner programme revision 2"
    assert revised.status_quo == TERMS
    assert revised.mechanism.name == "single-text"


async def test_single_text_starts_from_the_status_quo() -> None:
    data = yaml.safe_load(PILOT.read_text())
    data["mechanism"] = {"name": "single-text", "deadline": {"rounds": 5}}
    data["status_quo"] = TERMS
    scenario = Scenario.model_validate(data)
    done = await negotiate(scenario, envelopes=True)
    drafts = [e.body["outcome"] for e in events_of(done.transcript) if e.body["event"] == "draft"]
    assert drafts[0] == TERMS


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            lambda d: d["charter"].update(
                update={"name": "kpi-emphasis", "params": {"factor": 0.5}}
            ),
            "charter.update.params",
            "factor must be a number above 1",
        ),
        (
            lambda d: d["charter"].update(update={"name": "crystal-ball"}),
            "charter.update.name",
            "crystal-ball",
        ),
        (
            lambda d: d["renegotiation"]["mechanism"].update(name="auction"),
            "renegotiation.mechanism.name",
            "auction",
        ),
        (
            lambda d: d["renegotiation"]["strategies"].update(bank={"name": "hill-climber"}),
            "renegotiation.strategies.bank",
            "'bank' is not a party",
        ),
        (
            lambda d: d["renegotiation"]["strategies"].update(isv={"name": "zeuthen"}),
            "renegotiation.strategies.isv",
            "cannot answer the ['vote'] requests",
        ),
        (
            lambda d: d.update(status_quo={**TERMS, "revenue_share": 99}),
            "status_quo",
            "the status quo is not an outcome of the issues",
        ),
    ],
)
def test_a_bad_renegotiation_setting_is_named(
    tmp_path: Path, change: Any, field: str, message: str
) -> None:
    path = pilot_with(tmp_path, change)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.field == field
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("name", "message"),
    [("revenue_share_paid", "a KPI whose target is an agreed term"), ("profit", "no KPI")],
)
def test_scale_names_a_kpi_with_its_own_target(tmp_path: Path, name: str, message: str) -> None:
    path = pilot_with(tmp_path, lambda d: d["charter"].update(scale={name: 2}))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.field == f"charter.scale.{name}"
    assert message in str(info.value)


def test_pilot_then_scale_and_the_review_date() -> None:
    scenario = pilot()
    pilot_charter = charter_for(scenario, dict(TERMS), negotiation_id="pilot-1", starts_ns=START)
    assert pilot_charter.stage == "pilot"
    assert pilot_charter.review_ns == str(START + 180 * DAY_NS)

    def revision(trigger: str) -> Revision:
        return Revision.model_validate(
            {
                "trigger": trigger,
                "update": "kpi-emphasis",
                "negotiation_id": "pilot-revision",
                "log_size": 10,
                "log_root": "A" * 43 + "=",
            }
        )

    later = START + 100 * DAY_NS
    fixed = charter_for(
        scenario,
        dict(TERMS),
        negotiation_id="pilot-1",
        starts_ns=later,
        previous=pilot_charter,
        revision=revision("breach"),
    )
    assert fixed.stage == "pilot"
    assert fixed.review_ns == pilot_charter.review_ns  # a breach does not move the review
    customers = fixed.kpi("joint_customers")
    assert customers is not None
    assert customers.target == 200
    scaled = charter_for(
        scenario,
        dict(TERMS),
        negotiation_id="pilot-1",
        starts_ns=START + 190 * DAY_NS,
        previous=fixed,
        revision=revision("review"),
    )
    assert scaled.stage == "scaled"
    assert scaled.review_ns == str(START + (190 + 180) * DAY_NS)
    customers = scaled.kpi("joint_customers")
    assert customers is not None
    assert (customers.target, customers.threshold) == (1000, 600)
    share = scaled.kpi("revenue_share_paid")
    assert share is not None
    assert share.target == TERMS["revenue_share"]  # not scaled: it is an agreed term
