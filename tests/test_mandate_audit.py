"""The audit per party: within its revealed mandate or not, blocked attempts, approvals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord import load_scenario
from accord.agents.mandate_guard import Blocked, MandateGuard
from accord.audit import DEFAULT_POLICY, audit, load_transcript
from accord.audit.markdown import render_markdown
from accord.cli import app
from accord.ledger.storage import JsonlStorage
from accord.mandate import Mandate
from accord.runner import negotiate
from accord.scenarios.schema import ApproverSpec
from conftest import ROOT
from test_mandate import EXAMPLES, rogue

FLOOR = 0.5


async def run_rogue(tmp_path: Path, mandate: Mandate, **extra: object) -> str:
    file = ROOT / "scenarios" / EXAMPLES["saop"][0]
    scenario = rogue(load_scenario(file), mandate, FLOOR, **extra)
    await negotiate(scenario, log=JsonlStorage(tmp_path / "log.jsonl"))
    return scenario.parties[0].id


async def test_a_party_that_stayed_within_its_mandate_and_its_blocked_attempts(
    tmp_path: Path,
) -> None:
    party = await run_rogue(tmp_path, Mandate(min_utility=FLOOR))
    report = audit(load_transcript(tmp_path), DEFAULT_POLICY)
    m = report.mandates[party]
    assert (m.committed, m.revealed, m.within) == (True, True, True)
    assert m.checked > 0
    assert m.breaches == []
    assert m.blocked
    assert "below the minimum 0.5" in m.blocked[0].reasons[0]
    others = [p for p in report.mandates if p != party]
    assert all(
        not report.mandates[p].committed and report.mandates[p].within is None for p in others
    )
    assert "require_within_mandate" not in {b.rule for b in report.verdict.breaches}
    text = render_markdown(report)
    assert "## Mandates" in text
    assert f"- {party}: blocked offer (entry " in text


async def test_a_party_whose_messages_broke_its_revealed_mandate_is_flagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def nothing_stops_it(self: MandateGuard, **_: object) -> Blocked | None:
        return None  # an operator who removed the runtime's check but kept the commitment

    with monkeypatch.context() as patch:
        patch.setattr(MandateGuard, "check", nothing_stops_it)
        party = await run_rogue(tmp_path, Mandate(min_utility=FLOOR))
    report = audit(load_transcript(tmp_path), DEFAULT_POLICY)
    assert report.integrity.ok  # the log is genuine: what was sent is what broke the mandate
    m = report.mandates[party]
    assert m.within is False
    assert m.blocked == []
    assert m.breaches
    assert "below the minimum 0.5" in m.breaches[0].reasons[0]
    breach = next(b for b in report.verdict.breaches if b.rule == "require_within_mandate")
    assert breach.detail.startswith(f"{party} sent {len(m.breaches)} message(s) outside")
    assert report.verdict.exit_code == 3

    cli = CliRunner().invoke(app, ["audit", str(tmp_path)])
    assert cli.exit_code == 3, cli.output
    assert "require_within_mandate" in cli.output
    lenient = tmp_path / "policy.yaml"
    lenient.write_text("require_within_mandate: false\n")
    out = tmp_path / "audit.json"
    args = ["audit", str(tmp_path), "--policy", str(lenient), "--format", "json", "--out", str(out)]
    CliRunner().invoke(app, args)
    verdict = json.loads(out.read_text())["verdict"]
    assert verdict["policy"]["require_within_mandate"] is False
    assert "require_within_mandate" not in {b["rule"] for b in verdict["breaches"]}


async def test_approvals_are_listed_and_an_unapproved_acceptance_is_flagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_off = Mandate.model_validate({"approval": {"acceptance": True}})
    approver = ApproverSpec(name="always-approve", params={"who": "board"})
    party = await run_rogue(tmp_path / "a", sign_off, approver=approver)
    m = audit(load_transcript(tmp_path / "a"), DEFAULT_POLICY).mandates[party]
    assert m.within is True
    assert m.approvals
    assert {(a.approver, a.approved) for a in m.approvals} == {("board", True)}

    async def nothing_stops_it(self: MandateGuard, **_: object) -> Blocked | None:
        return None

    with monkeypatch.context() as patch:
        patch.setattr(MandateGuard, "check", nothing_stops_it)
        await run_rogue(tmp_path / "b", sign_off, approver=approver)
    m = audit(load_transcript(tmp_path / "b"), DEFAULT_POLICY).mandates[party]
    accepts = [b for b in m.breaches if b.action == "accept"]
    assert accepts
    assert accepts[0].reasons == [
        "sent without an approval logged in its turn (every final acceptance needs approval)"
    ]
    assert m.within is False
