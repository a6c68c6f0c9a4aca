"""The mosquitto configuration of ``accord broker-config``, on a mosquitto of the test's own."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiomqtt
import pytest
import yaml

from accord.broker.acl import write_broker_config
from accord.broker.embedded import free_port
from accord.broker.mqtt import BrokerAddress
from accord.scenarios import Scenario
from conftest import ROOT, scenario_data

pytestmark = pytest.mark.mqtt

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[tuple[Path, dict[str, dict[str, str]], int]]:
    if not Path(MOSQUITTO).exists():
        if os.environ.get("CI"):
            pytest.fail("mosquitto is not installed; .ci/run installs it")
        pytest.skip("mosquitto is not installed")
    data = scenario_data("linear", "conceder")
    data["name"] = f"Secured {tmp_path.name}"
    (tmp_path / "deal.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    port = free_port()
    run_as = "root" if os.geteuid() == 0 else None
    credentials = write_broker_config(
        Scenario.model_validate(data), tmp_path / "broker", port=port, run_as=run_as
    )
    broker = subprocess.Popen(  # noqa: S603  # the test's own broker
        [MOSQUITTO, "-c", str(tmp_path / "broker" / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with __import__("socket").create_connection(("127.0.0.1", port), 0.2):
                break
        except OSError:
            time.sleep(0.05)
    try:
        yield tmp_path, credentials, port
    finally:
        broker.terminate()
        broker.wait(10)


def address(credentials: dict[str, dict[str, str]], who: str) -> BrokerAddress:
    return BrokerAddress.parse(credentials[who]["url"])


async def test_an_unauthenticated_client_cannot_connect(
    secured: tuple[Path, dict[str, dict[str, str]], int],
) -> None:
    _, _, port = secured
    with pytest.raises(aiomqtt.MqttError):
        async with BrokerAddress("127.0.0.1", port).client("anonymous", clean=True):
            pass
    wrong = BrokerAddress("127.0.0.1", port, username="buyer", password="guess")  # noqa: S106
    with pytest.raises(aiomqtt.MqttError):
        async with wrong.client("guesser", clean=True):
            pass


async def test_a_party_cannot_publish_under_another_partys_name(
    secured: tuple[Path, dict[str, dict[str, str]], int],
) -> None:
    _, credentials, _ = secured
    base = "accord/v1/n1/from"
    async with (
        address(credentials, "host").client("host-probe", clean=True) as host,
        address(credentials, "buyer").client("buyer-probe", clean=True) as buyer,
        address(credentials, "auditor").client("auditor-probe", clean=True) as auditor,
    ):
        await host.subscribe(f"{base}/+/to/host", qos=1)
        await host.subscribe(f"{base}/+/to/seller", qos=1)  # the host may read every topic
        await buyer.publish(f"{base}/seller/to/host", b"forged", qos=1)  # denied by the ACL
        await buyer.publish(f"{base}/buyer/to/seller", b"aside", qos=1)  # not in the protocol
        await buyer.publish(f"{base}/buyer/to/host", b"genuine", qos=1)
        await auditor.publish(f"{base}/auditor/to/host", b"auditor", qos=1)  # read-only
        message = await asyncio.wait_for(anext(aiter(host.messages)), 5)
        assert message.payload == b"genuine"
        assert str(message.topic) == f"{base}/buyer/to/host"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(aiter(host.messages)), 1)


def test_a_negotiation_with_one_identity_per_process(
    secured: tuple[Path, dict[str, dict[str, str]], int],
) -> None:
    tmp_path, credentials, _ = secured
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    keys = tmp_path / "keys"
    for name in ("buyer", "seller", "host", "recorder"):
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "accord", "keys", "new", name, "--out", str(keys)],
            check=True,
            env=env,
            capture_output=True,
        )
    scenario = str(tmp_path / "deal.yaml")
    agents = [
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "accord",
                "agent",
                scenario,
                "--party",
                party,
                "--broker",
                credentials[party]["url"],
                "--keys",
                str(keys),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for party in ("buyer", "seller")
    ]
    try:
        done = subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-m",
                "accord",
                "host",
                scenario,
                "--broker",
                credentials["host"]["url"],
                "--keys",
                str(keys),
                "--out",
                str(tmp_path / "out"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "agreement" in done.stdout
        for agent in agents:
            assert agent.wait(30) == 0
    finally:
        for agent in agents:
            if agent.poll() is None:
                agent.kill()
                agent.wait(10)
