"""Mandates: the runtime stops offers and acceptances outside a party's mandate in every
mechanism, records each attempt (signed, in the log) and tells the strategy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import mandate_strategies
from accord import load_scenario
from accord.agents.mandate_guard import Blocked
from accord.cli import app
from accord.errors import ScenarioError
from accord.ledger.commitment import Reveal
from accord.ledger.storage import JsonlStorage
from accord.ledger.verify import verify_log
from accord.mandate import IssueLimit, Mandate
from accord.model import BoundProfile
from accord.runner import Negotiation, negotiate
from accord.scenarios import Scenario
from accord.scenarios.checks import check_scenario
from accord.scenarios.loader import parse_scenario
from accord.scenarios.schema import ApproverSpec, StrategySpec
from accord.wire import Envelope, Performative
from buses import BusName, bus_named
from conftest import ROOT

EXAMPLES = {  # one example scenario per mechanism, with a floor its Rogue runs into
    "saop": ("ecological-restoration.yaml", 0.5),
    "mcp": ("joint-venture-zeuthen.yaml", 0.5),
    "voting": ("mobility-data-alliance.yaml", 0.5),
    "single-text": ("energy-community.yaml", 0.5),
    "coalition": ("coalition/smart-port-consortium.yaml", 0.3),
    "contract-net": ("food-traceability-call.yaml", 0.3),
}


def rogue(scenario: Scenario, mandate: Mandate, floor: float, **extra: Any) -> Scenario:
    """``scenario`` with its first party's strategy wrapped in a Rogue, under ``mandate``."""
    first = scenario.parties[0]
    strategy = StrategySpec(
        name="mandate_strategies:Rogue",
        params={"inner": first.strategy.model_dump(), "floor": floor},
    )
    party = first.model_copy(update={"strategy": strategy, "mandate": mandate, **extra})
    return scenario.model_copy(update={"parties": [party, *scenario.parties[1:]]})


def sent_within(negotiation: Negotiation, party: str, profile: BoundProfile, floor: float) -> int:
    """Check every offer and acceptance ``party`` sent against ``floor``; return how many."""
    by_id = {e.message_id: e for e in negotiation.transcript}
    checked = 0
    for envelope in negotiation.transcript:
        if envelope.sender != party:
            continue
        if envelope.performative is Performative.OFFER:
            outcome = envelope.body["outcome"]
        elif envelope.performative is Performative.ACCEPT:
            outcome = by_id[str(envelope.in_reply_to)].body["offer"]
        else:
            continue
        assert isinstance(outcome, dict)
        assert profile.of(outcome) >= floor, (envelope.message_id, outcome)
        checked += 1
    return checked


def blocked(negotiation: Negotiation, party: str) -> list[Envelope]:
    return [
        e
        for e in negotiation.transcript
        if e.sender == party and e.performative is Performative.BLOCKED
    ]


@pytest.mark.parametrize("mechanism", sorted(EXAMPLES))
async def test_attempts_outside_the_mandate_are_stopped_in_every_mechanism(
    mechanism: str, tmp_path: Path
) -> None:
    file, floor = EXAMPLES[mechanism]
    base = load_scenario(ROOT / "scenarios" / file)
    assert base.mechanism.name == mechanism
    scenario = rogue(base, Mandate(min_utility=floor), floor)
    party = scenario.parties[0].id
    mandate_strategies.TOLD.clear()
    negotiation = await negotiate(scenario, log=JsonlStorage(tmp_path / "log.jsonl"))

    attempts = blocked(negotiation, party)
    assert attempts, "the Rogue never ran into its mandate"
    for attempt in attempts:  # each names the request, what was tried and why it was stopped
        assert str(attempt.in_reply_to).startswith("host:")
        assert "below the minimum" in str(attempt.body["reasons"])
    told = [b for p, b in mandate_strategies.TOLD if p == party]
    assert len(told) == len(attempts)
    assert all(isinstance(b, Blocked) and b.reasons for b in told)
    profile = scenario.parties[0].profile.bind(scenario.outcome_space())
    sent_within(negotiation, party, profile, floor)  # nothing outside the mandate went out
    assert negotiation.result.violations == []
    verification = verify_log(tmp_path / "log.jsonl")
    assert verification.ok, verification.problems


@pytest.mark.mqtt
async def test_attempts_are_stopped_over_mqtt() -> None:
    file, floor = EXAMPLES["voting"]
    scenario = rogue(load_scenario(ROOT / "scenarios" / file), Mandate(min_utility=floor), floor)
    bus_name: BusName = "mqtt"
    async with bus_named(bus_name) as bus:
        negotiation = await negotiate(scenario, bus=bus)
    party = scenario.parties[0].id
    assert blocked(negotiation, party)
    profile = scenario.parties[0].profile.bind(scenario.outcome_space())
    assert sent_within(negotiation, party, profile, floor) > 0
    assert negotiation.result.reason == "agreement", negotiation.result.detail


async def test_a_strategy_that_only_offers_outside_fails_with_the_party_named() -> None:
    scenario = rogue(
        load_scenario(ROOT / "scenarios" / EXAMPLES["saop"][0]),
        Mandate(min_utility=1.0),  # nothing but a perfect outcome; the Rogue never offers it
        1.0,
    )
    negotiation = await negotiate(scenario)
    party = scenario.parties[0].id
    result = negotiation.result
    assert (result.reason, result.responsible) == ("strategy_error", party)
    assert "outside_mandate" in result.detail
    assert len(blocked(negotiation, party)) == 3  # MANDATE_ATTEMPTS, then the failure
    assert not [
        e
        for e in negotiation.transcript
        if e.sender == party and e.performative in {Performative.OFFER, Performative.ACCEPT}
    ]


async def test_a_mechanism_outside_the_mandate_is_refused_at_the_first_action() -> None:
    file = ROOT / "scenarios" / EXAMPLES["saop"][0]
    scenario = rogue(load_scenario(file), Mandate(mechanisms=("voting",)), 0.0)
    negotiation = await negotiate(scenario)
    party = scenario.parties[0].id
    assert negotiation.result.responsible == party
    reasons = blocked(negotiation, party)[0].body["reasons"]
    assert reasons == ["mechanism 'saop' is not one of the allowed ['voting']"]


def test_issue_limits_deadline_and_utility() -> None:
    mandate = Mandate.model_validate(
        {
            "issues": {
                "share": {"min": 20, "max": 40},
                "exclusive": {"forbidden": ["yes"]},
                "region": {"allowed": ["eu", "uk"]},
            },
            "min_utility": 0.3,
            "deadline": "2020-01-01T00:00:00Z",
        }
    )
    from datetime import UTC, datetime  # noqa: PLC0415

    early = datetime(2019, 1, 1, tzinfo=UTC)
    ok = {"share": 20, "exclusive": "no", "region": "eu"}
    assert mandate.breaches(ok, utility=0.3, mechanism="saop", now=early) == []
    bad = {"share": 41, "exclusive": "yes", "region": "us"}
    reasons = mandate.breaches(bad, utility=0.1, mechanism="saop", now=datetime.now(UTC))
    assert reasons == [
        "the mandate's deadline 2020-01-01T00:00:00+00:00 has passed",
        "share is 41, above the maximum 40.0",
        "exclusive is 'yes', which is forbidden",
        "region is 'us', not one of the allowed ['eu', 'uk']",
        "utility 0.1000 is below the minimum 0.3",
    ]
    with pytest.raises(ValueError, match="above max"):
        IssueLimit(min=3, max=2)


def test_a_mandate_on_an_unknown_issue_or_without_an_approver_is_refused() -> None:
    text = (ROOT / "scenarios" / "platform-isv.yaml").read_text()
    first = text.index("    strategy:")
    broken = (
        text[:first]
        + "    mandate:\n      issues: {no_such_issue: {min: 1}}\n"
        + "      approval: {acceptance: true}\n"
        + text[first:]
    )
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(broken, source="deal.yaml")
    message = str(caught.value)
    assert "mandate.issues.no_such_issue: no issue named 'no_such_issue'" in message
    assert len(caught.value.problems) == 2  # every problem, one line each, none hidden
    assert "needs approvals but the party names no approver" in message.splitlines()[1]
    scenario = load_scenario(ROOT / "scenarios" / "platform-isv.yaml")
    wants = scenario.parties[0].model_copy(
        update={"mandate": Mandate(approval={"acceptance": True})}
    )
    problems = check_scenario(
        scenario.model_copy(update={"parties": [wants, *scenario.parties[1:]]})
    )
    assert [p.loc for p in problems] == [("parties", 0, "mandate", "approval")]
    assert "names no approver" in problems[0].message


async def test_the_mandate_is_committed_at_join_and_its_reveal_is_checked(
    tmp_path: Path,
) -> None:
    file, floor = EXAMPLES["saop"]
    scenario = rogue(load_scenario(ROOT / "scenarios" / file), Mandate(min_utility=floor), floor)
    party = scenario.parties[0].id
    path = tmp_path / "log.jsonl"
    await negotiate(scenario, log=JsonlStorage(path))
    verification = verify_log(path)
    assert verification.ok, verification.problems
    assert set(verification.mandate_commitments) == {party}  # only the party with a mandate
    assert verification.mandates[party].mandate == Mandate(min_utility=floor)


async def test_a_mandate_reveal_that_does_not_match_its_commitment_is_flagged(
    tmp_path: Path,
) -> None:
    file, floor = EXAMPLES["saop"]
    scenario = rogue(load_scenario(ROOT / "scenarios" / file), Mandate(min_utility=floor), floor)
    first = scenario.parties[0]
    path = tmp_path / "log.jsonl"
    await negotiate(scenario, log=JsonlStorage(path), reveal=False)
    assert any("committed to a mandate but did not reveal it" in n for n in verify_log(path).notes)
    seed = scenario.seed  # the in-process salts are derived from the seed (see accord.runner)
    honest = Reveal(
        party=first.id,
        profile=first.profile,
        salt=np.random.default_rng([seed, 0, 1]).bytes(32).hex(),
        mandate=Mandate(min_utility=floor),
        mandate_salt=np.random.default_rng([seed, 0, 2]).bytes(32).hex(),
    )
    assert verify_log(path, reveals=[honest]).ok
    looser = honest.model_copy(update={"mandate": Mandate(min_utility=0.1)})
    (tmp_path / "reveal.json").write_text(looser.model_dump_json())
    problems = verify_log(path, reveals=[looser]).problems
    assert [str(p) for p in problems] == [
        f"reveal file: the mandate revealed by {first.id!r} does not match its commitment"
    ]
    cli = CliRunner().invoke(
        app, ["log", "verify", str(path), "--reveal", str(tmp_path / "reveal.json")]
    )
    assert cli.exit_code == 1, cli.output
    assert "does not match its commitment" in cli.output


def test_the_mandate_in_the_scenario_doc_fits_its_scenario() -> None:
    text = (ROOT / "docs" / "scenarios.md").read_text()
    (snippet,) = re.findall(r"### Mandates\n.*?```yaml\n(.*?)```", text, flags=re.DOTALL)
    entry = yaml.safe_load(snippet)
    scenario = load_scenario(ROOT / "scenarios" / "platform-isv.yaml")
    party = scenario.parties[0].model_copy(
        update={
            "mandate": Mandate.model_validate(entry["mandate"]),
            "approver": ApproverSpec.model_validate(entry["approver"]),
        }
    )
    assert (
        check_scenario(scenario.model_copy(update={"parties": [party, *scenario.parties[1:]]}))
        == []
    )


MANDATE_DOC = {  # the mandate of docs/scenarios.md, without its approvals
    "issues": {
        "revenue_share": {"min": 20},
        "exclusivity": {"forbidden": ["full"]},
        "duration_months": {"max": 36},
    },
    "min_utility": 0.4,
    "mechanisms": ["saop", "voting"],
    "deadline": "2030-06-30T17:00:00Z",
}


@pytest.mark.parametrize("strategy", ["boulware", "conceder", "hardliner", "tit-for-tat", "micro"])
async def test_a_builtin_under_a_mandate_concedes_within_it(strategy: str) -> None:
    """Built-ins pick offers among the outcomes the mandate allows (ctx.allowed): they used
    to offer their best outcome, blocked, three times, and end the negotiation in round 1
    with outside_mandate."""
    data = yaml.safe_load((ROOT / "scenarios" / "platform-isv.yaml").read_text())
    for party in data["parties"]:
        party["mandate"] = MANDATE_DOC
        party["strategy"] = {"name": strategy}
    negotiation = await negotiate(Scenario.model_validate(data), sign=False)
    result = negotiation.result
    assert result.reason != "strategy_error", result.detail
    assert result.rounds > 1 or result.reason == "agreement"
    blocked = [e for e in negotiation.transcript if e.performative is Performative.BLOCKED]
    assert blocked == []  # nothing it offered needed blocking
    for envelope in negotiation.transcript:
        if envelope.performative is Performative.OFFER:
            outcome: dict[str, Any] = dict(envelope.body["outcome"])  # type: ignore[arg-type]
            assert outcome["revenue_share"] >= 20
            assert outcome["exclusivity"] != "full"
            assert outcome["duration_months"] <= 36
