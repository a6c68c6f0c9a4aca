"""Human sign-off: what a mandate reserves for approval goes to the party's approver within the
turn; the decision (who, when, approved or refused) is a signed envelope in the log."""

from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord import load_scenario
from accord.ledger.storage import JsonlStorage
from accord.ledger.verify import verify_log
from accord.mandate import ApprovalRequest, Mandate
from accord.mandate.terminal import TerminalApprover, prompt
from accord.protocols.deadline import Deadline
from accord.runner import Negotiation, negotiate
from accord.scenarios import Scenario
from accord.scenarios.schema import ApproverSpec
from accord.wire import ApprovalBody, Envelope, Performative
from conftest import ROOT

DEAL = ROOT / "scenarios" / "platform-isv.yaml"
TMUX = shutil.which("tmux") or "tmux"
SIGN_OFF = Mandate.model_validate({"approval": {"acceptance": True}})


def with_approver(scenario: Scenario, name: str, **params: Any) -> Scenario:
    """Every party of ``scenario`` needs approval for final acceptances, from ``name``."""
    approver = ApproverSpec(name=name, params=params)
    parties = [
        p.model_copy(update={"mandate": SIGN_OFF, "approver": approver}) for p in scenario.parties
    ]
    return scenario.model_copy(update={"parties": parties})


def approvals(negotiation: Negotiation) -> list[Envelope]:
    return [e for e in negotiation.transcript if e.performative is Performative.APPROVAL]


async def test_an_approved_acceptance_is_sent_and_the_decision_is_in_the_log(
    tmp_path: Path,
) -> None:
    scenario = with_approver(load_scenario(DEAL), "always-approve", who="board")
    negotiation = await negotiate(scenario, log=JsonlStorage(tmp_path / "log.jsonl"))
    assert negotiation.result.reason == "agreement"
    decisions = approvals(negotiation)
    assert decisions
    body = ApprovalBody.model_validate(decisions[-1].body)
    assert (body.approved, body.approver, body.action) == (True, "board", "accept")
    assert body.needs == ["every final acceptance needs approval"]
    assert body.outcome == negotiation.result.outcome
    accept = next(e for e in negotiation.transcript if e.performative is Performative.ACCEPT)
    assert decisions[-1].sender == accept.sender
    assert decisions[-1].in_reply_to == accept.in_reply_to  # decided within that turn
    assert decisions[-1].seq < accept.seq
    assert int(body.decided_ns) <= int(accept.sent_ns)
    verification = verify_log(tmp_path / "log.jsonl")
    assert verification.ok, verification.problems


async def test_a_refusal_stops_every_acceptance(tmp_path: Path) -> None:
    scenario = with_approver(load_scenario(DEAL), "always-refuse")
    negotiation = await negotiate(scenario, log=JsonlStorage(tmp_path / "log.jsonl"))
    assert negotiation.result.reason != "agreement"
    assert not [e for e in negotiation.transcript if e.performative is Performative.ACCEPT]
    decisions = [ApprovalBody.model_validate(e.body) for e in approvals(negotiation)]
    assert decisions
    assert {(d.approved, d.approver) for d in decisions} == {(False, "always-refuse")}
    assert verify_log(tmp_path / "log.jsonl").ok


async def test_no_decision_within_the_turn_is_a_refusal() -> None:
    base = load_scenario(DEAL)
    deadline = Deadline(rounds=54, turn_timeout=0.5)  # agreement in round 51 without approvals
    mechanism = base.mechanism.model_copy(update={"deadline": deadline})
    scenario = with_approver(
        base.model_copy(update={"mechanism": mechanism}),
        "mandate_strategies:SlowApprover",  # a plug-in by import path
        seconds=5.0,
    )
    began = time.perf_counter()
    negotiation = await negotiate(scenario)
    decisions = [ApprovalBody.model_validate(e.body) for e in approvals(negotiation)]
    assert decisions, "nobody was asked"
    assert all(not d.approved and d.approver == "timeout" for d in decisions)
    # the parties still answered in time: the turn timeout did not end the negotiation
    assert negotiation.result.reason == "deadline", negotiation.result.detail
    assert not [e for e in negotiation.transcript if e.performative is Performative.ACCEPT]
    assert time.perf_counter() - began < 30


def test_the_prompt_shows_the_outcome_its_utility_and_the_mandate() -> None:
    request = ApprovalRequest(
        negotiation_id="deal-1",
        party="isv",
        action="accept",
        outcome={"revenue_share": 25, "exclusivity": "none"},
        utility=0.61234,
        reservation=0.3,
        round=4,
        kind="respond",
        reasons=("every final acceptance needs approval",),
        mandate=Mandate.model_validate({"min_utility": 0.5, "approval": {"acceptance": True}}),
        timeout=8.0,
    )
    text = prompt(request)
    for shown in (
        "revenue_share = 25",
        "exclusivity = 'none'",
        "utility to isv: 0.6123",
        "every final acceptance needs approval",
        '"min_utility":0.5',
        "approve? [y/N]",
    ):
        assert shown in text


async def test_the_terminal_approver_reads_one_answer_per_question() -> None:
    read, write = os.pipe()
    try:
        approver = TerminalApprover(who="alice", input_fd=read)
        approver.output = io.StringIO()
        os.write(write, b"y\nno\n")
        request = ApprovalRequest(
            negotiation_id="deal-1",
            party="isv",
            action="accept",
            outcome={},
            utility=None,
            reservation=0.0,
            round=0,
            kind="respond",
            reasons=(),
            mandate=SIGN_OFF,
            timeout=1.0,
        )
        first = await approver.approve(request)
        second = await approver.approve(request)
    finally:
        os.close(read)
        os.close(write)
    assert (first.approved, first.approver) == (True, "alice (terminal)")
    assert (second.approved, second.reason) == (False, "answered 'no'")


def tmux(server: str, *args: str) -> str:
    """Run a tmux command on the test's own tmux server; its output."""
    done = subprocess.run(  # noqa: S603  # tmux, with arguments this test builds
        [TMUX, "-L", server, *args], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.mark.skipif(TMUX == "tmux", reason="needs tmux (.ci/run installs it)")
def test_a_person_approves_in_a_real_terminal(tmp_path: Path) -> None:
    """``accord run`` in a tmux pane; the test reads the prompt on the screen and types y."""
    data = yaml.safe_load(DEAL.read_text())
    for party in data["parties"]:
        party["mandate"] = {"approval": {"acceptance": True}}
        party["approver"] = {"name": "terminal", "params": {"who": "alice"}}
    data["mechanism"]["deadline"]["turn_timeout"] = 60
    (tmp_path / "deal.yaml").write_text(yaml.safe_dump(data))
    out, done = tmp_path / "run", tmp_path / "done"
    python = shlex.quote(sys.executable)
    command = f"{python} -m accord run deal.yaml --bus memory --out run; echo $? > done"
    server = f"accord-approval-{os.getpid()}"
    tmux(server, "new-session", "-d", "-s", "t", "-x", "200", "-y", "50", "-c", str(tmp_path))
    screen = ""
    try:
        tmux(server, "send-keys", "-t", "t", command, "Enter")
        answered, deadline = 0, time.monotonic() + 60
        while not done.exists() and time.monotonic() < deadline:
            screen = tmux(server, "capture-pane", "-p", "-S", "-5000", "-t", "t")
            if screen.count("approve? [y/N]") > answered:
                answered += 1
                tmux(server, "send-keys", "-t", "t", "y", "Enter")
            time.sleep(0.1)
        assert done.exists(), f"accord run did not finish; screen:\n{screen}"
        assert done.read_text().strip() == "0", screen
    finally:
        subprocess.run([TMUX, "-L", server, "kill-server"], check=False)  # noqa: S603
    assert answered >= 1
    assert "utility to " in screen
    verification = verify_log(out / "log.jsonl")
    assert verification.ok, verification.problems
    lines = [
        line
        for line in (out / "log.jsonl").read_text().splitlines()
        if '"performative":"approval"' in line
    ]
    assert lines
    assert '"approver":"alice (terminal)"' in lines[-1]
    assert '"approved":true' in lines[-1]
