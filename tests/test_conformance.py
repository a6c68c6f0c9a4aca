"""``accord conformance`` against agents that keep the protocol and agents that do not, over
mosquitto (and the embedded broker, in process)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from nacl.signing import SigningKey

from accord.agents import Agent
from accord.agents.executor import StrategyExecutor
from accord.broker.embedded import embedded_broker
from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.conformance import ConformanceReport, run_conformance
from accord.ledger.signing import signer_for
from accord.processes import party_agent
from accord.scenarios import Scenario, load_scenario
from accord.wire import Envelope, Performative
from conftest import ROOT, scenario_data

pytestmark = pytest.mark.mqtt


def scenario_file(tmp_path: Path) -> Path:
    data = scenario_data("linear", "conceder")
    data["name"] = f"Conformance {tmp_path.name}"  # a negotiation id of its own
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def statuses(report: ConformanceReport) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def test_accord_agent_passes_every_check(tmp_path: Path, mosquitto_url: str) -> None:
    path = scenario_file(tmp_path)
    keys = tmp_path / "keys"
    for name in ("buyer", "host"):
        made = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "accord", "keys", "new", name, "--out", str(keys)],
            check=False,
            capture_output=True,
        )
        assert made.returncode == 0
    agent = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "accord", "agent", str(path), "--party", "buyer"]  # noqa: RUF005
        + ["--broker", mosquitto_url, "--keys", str(keys)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "accord", "conformance", str(path), "--party", "buyer"]  # noqa: RUF005
            + ["--broker", mosquitto_url, "--keys", str(keys), "--json", str(tmp_path / "r")],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        agent.wait(30)
    assert done.returncode == 0, done.stdout + done.stderr
    report = ConformanceReport.model_validate_json((tmp_path / "r").read_text())
    assert set(statuses(report).values()) == {"pass"}
    assert {
        "joins",
        "ignores_forged_request",
        "ignores_another_session",
        "ignores_request_to_another",
        "reveals",
    } <= set(statuses(report))
    assert "checks passed" in done.stdout


class _AnswersEveryRequest(Agent):
    """Answers every request it receives, whoever it asks: what a party must not do."""

    async def _handle(self, envelope: Envelope, executor: StrategyExecutor) -> bool:
        if envelope.performative is Performative.REQUEST:
            envelope = envelope.model_copy(update={"to": self.party_id})
        return await super()._handle(envelope, executor)


async def _against(
    scenario: Scenario,
    address: BrokerAddress,
    *,
    verify_host: bool,
    sign: bool,
    agent_class: type[Agent] = Agent,
) -> ConformanceReport:
    """The kit against an accord agent in this process that does (not) check the host's
    signatures and does (not) sign."""
    host, buyer = SigningKey.generate(), SigningKey.generate()
    async with MqttBus(address) as bus:
        agent = party_agent(
            scenario,
            0,
            bus=bus,
            seed=scenario.seed,
            signer=signer_for(buyer) if sign else None,
            host_key=host.verify_key if verify_host else None,
        )
        agent.__class__ = agent_class
        running = asyncio.create_task(agent.run())
        try:
            return await run_conformance(
                scenario, "buyer", bus=bus, host_key=host, party_key=buyer.verify_key
            )
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)


@pytest.mark.parametrize("broker_kind", ["embedded", "mosquitto"])
async def test_an_agent_that_trusts_any_host_is_caught(
    tmp_path: Path, broker_kind: str, request: pytest.FixtureRequest
) -> None:
    scenario = load_scenario(scenario_file(tmp_path))
    if broker_kind == "embedded":
        async with embedded_broker() as address:
            report = await _against(scenario, address, verify_host=False, sign=True)
    else:
        address = BrokerAddress.parse(request.getfixturevalue("mosquitto_url"))
        report = await _against(scenario, address, verify_host=False, sign=True)
    got = statuses(report)
    assert got["ignores_forged_request"] == "fail"
    assert got["joins"] == got["answers_propose"] == got["reveals"] == "pass"
    assert not report.passed
    forged = next(c for c in report.checks if c.name == "ignores_forged_request")
    assert "answered it with buyer:" in forged.detail


async def test_an_agent_that_answers_a_request_to_another_party_is_caught(
    tmp_path: Path,
) -> None:
    scenario = load_scenario(scenario_file(tmp_path))
    async with embedded_broker() as address:
        report = await _against(
            scenario, address, verify_host=True, sign=True, agent_class=_AnswersEveryRequest
        )
    got = statuses(report)
    assert got["ignores_request_to_another"] == "fail"
    assert got["ignores_forged_request"] == got["answers_propose"] == got["reveals"] == "pass"
    assert not report.passed
    check = next(c for c in report.checks if c.name == "ignores_request_to_another")
    assert "answered it with buyer:" in check.detail


async def test_an_agent_that_does_not_sign_is_caught(tmp_path: Path, mosquitto_url: str) -> None:
    scenario = load_scenario(scenario_file(tmp_path))
    report = await _against(
        scenario, BrokerAddress.parse(mosquitto_url), verify_host=True, sign=False
    )
    got = statuses(report)
    assert got["joins"] == "pass"
    assert got["join_envelope"] == "fail"
    detail = next(c.detail for c in report.checks if c.name == "join_envelope")
    assert "signature: unsigned" in detail
    assert got["ignores_forged_request"] == got["ignores_another_session"] == "pass"


async def test_an_agent_that_never_joins_is_reported_with_what_was_refused(
    tmp_path: Path, mosquitto_url: str
) -> None:
    scenario = load_scenario(scenario_file(tmp_path))
    address = BrokerAddress.parse(mosquitto_url)
    nid = scenario.negotiation_id()
    async with MqttBus(address) as bus, address.client("foreign", clean=True) as foreign:
        checking = asyncio.create_task(
            run_conformance(
                scenario,
                "buyer",
                bus=bus,
                host_key=SigningKey.generate(),
                party_key=SigningKey.generate().verify_key,
                join_within=3,
            )
        )
        await asyncio.sleep(1)
        # a join whose seq is a string: refused on arrival, and the report says so
        await foreign.publish(
            f"accord/v1/{nid}/from/buyer/to/host",
            b'{"v":1,"negotiation_id":"%s","message_id":"buyer:0","sender":"buyer",'
            b'"to":"host","seq":"0","performative":"join","sent_ns":"1"}' % nid.encode(),
            qos=1,
        )
        report = await checking
    assert [c.name for c in report.checks] == ["joins"]
    assert report.checks[0].status == "fail"
    assert "refused on arrival: malformed" in report.checks[0].detail
    assert "seq" in report.checks[0].detail
