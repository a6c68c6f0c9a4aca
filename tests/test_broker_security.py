"""The mosquitto configuration of ``accord broker-config``, on a mosquitto of the test's own."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
import yaml

from accord.broker.acl import negotiations, write_broker_config
from accord.broker.embedded import free_port
from accord.broker.mqtt import BrokerAddress
from accord.errors import InputError
from accord.scenarios import Scenario
from conftest import ROOT, scenario_data

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


@dataclass(frozen=True)
class Secured:
    """A mosquitto of the test's own, configured for two negotiations: ``deal`` between buyer
    and seller, and ``other`` between buyer and partner (seller is not in it)."""

    path: Path
    credentials: dict[str, dict[str, str]]
    port: int
    deal: str
    other: str


def other_data() -> dict[str, Any]:
    """A second scenario: buyer again, and partner instead of seller."""
    data = scenario_data("linear", "linear")
    data["name"] = "Other negotiation"
    data["seed"] = 1
    data["parties"][1]["id"] = "partner"
    return data


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[Secured]:
    if not Path(MOSQUITTO).exists():
        if os.environ.get("CI"):
            pytest.fail("mosquitto is not installed; .ci/run installs it")
        pytest.skip("mosquitto is not installed")
    data = scenario_data("linear", "conceder")
    data["name"] = f"Secured {tmp_path.name}"
    (tmp_path / "deal.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    deal, other = Scenario.model_validate(data), Scenario.model_validate(other_data())
    port = free_port()
    run_as = "root" if os.geteuid() == 0 else None
    credentials = write_broker_config([deal, other], tmp_path / "broker", port=port, run_as=run_as)
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
        yield Secured(tmp_path, credentials, port, deal.negotiation_id(), other.negotiation_id())
    finally:
        broker.terminate()
        broker.wait(10)


def accord(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", *args], capture_output=True, text=True, check=False
    )


def address(credentials: dict[str, dict[str, str]], who: str) -> BrokerAddress:
    return BrokerAddress.parse(credentials[who]["url"])


async def next_message(client: aiomqtt.Client, within: float = 5) -> aiomqtt.Message:
    return await asyncio.wait_for(anext(aiter(client.messages)), within)


async def assert_nothing_more(client: aiomqtt.Client) -> None:
    try:
        message = await next_message(client, 1)
    except TimeoutError:
        return
    pytest.fail(f"unexpected {message.payload!r} on {message.topic}")


@pytest.mark.mqtt
async def test_an_unauthenticated_client_cannot_connect(secured: Secured) -> None:
    port = secured.port
    with pytest.raises(aiomqtt.MqttError):
        async with BrokerAddress("127.0.0.1", port).client("anonymous", clean=True):
            pass
    wrong = BrokerAddress("127.0.0.1", port, username="buyer", password="guess")  # noqa: S106
    with pytest.raises(aiomqtt.MqttError):
        async with wrong.client("guesser", clean=True):
            pass


@pytest.mark.mqtt
async def test_a_party_cannot_publish_under_another_partys_name(secured: Secured) -> None:
    credentials = secured.credentials
    base = f"accord/v1/{secured.deal}/from"
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
        message = await next_message(host)
        assert message.payload == b"genuine"
        assert str(message.topic) == f"{base}/buyer/to/host"
        await assert_nothing_more(host)


@pytest.mark.mqtt
async def test_a_party_cannot_publish_in_a_negotiation_it_is_not_in(secured: Secured) -> None:
    credentials = secured.credentials
    async with (
        address(credentials, "host").client("host-probe", clean=True) as host,
        address(credentials, "auditor").client("auditor-probe", clean=True) as auditor,
        address(credentials, "seller").client("seller-probe", clean=True) as seller,
        address(credentials, "partner").client("partner-probe", clean=True) as partner,
    ):
        for observer in (host, auditor):
            await observer.subscribe("accord/v1/#", qos=1)
        # seller, under its own name, in a negotiation it is not a party of (but which the
        # host and the auditor may read), and in one the configuration does not list at all
        other = f"accord/v1/{secured.other}/from/seller"
        await seller.publish(f"{other}/to/host", b"intruding", qos=1)
        await seller.publish(f"{other}/to/recorder", b"intruding", qos=1)
        await seller.publish(f"{other}/all", b"intruding", qos=1)
        await seller.publish("accord/v1/unlisted-1/from/seller/to/host", b"intruding", qos=1)
        await seller.publish(f"accord/v1/{secured.deal}/from/seller/to/host", b"own", qos=1)
        await partner.publish(f"accord/v1/{secured.other}/from/partner/to/host", b"its", qos=1)
        for observer in (host, auditor):
            got = {(await next_message(observer)).payload for _ in range(2)}
            assert got == {b"own", b"its"}
            await assert_nothing_more(observer)


@pytest.mark.mqtt
async def test_a_party_cannot_read_another_negotiations_broadcasts(secured: Secured) -> None:
    credentials = secured.credentials
    deal, other = (f"accord/v1/{nid}/from" for nid in (secured.deal, secured.other))
    async with (
        address(credentials, "host").client("host-probe", clean=True) as host,
        address(credentials, "seller").client("seller-probe", clean=True) as seller,
        address(credentials, "buyer").client("buyer-probe", clean=True) as buyer,
    ):
        await seller.subscribe(f"{other}/+/all", qos=1)
        await seller.subscribe(f"{other}/+/to/seller", qos=1)
        await seller.subscribe(f"{deal}/+/all", qos=1)
        await buyer.subscribe(f"{other}/+/all", qos=1)  # buyer is a party of both
        await host.publish(f"{other}/host/all", b"other", qos=1)
        await host.publish(f"{other}/host/to/seller", b"other", qos=1)
        await host.publish(f"{deal}/host/all", b"deal", qos=1)
        assert (await next_message(buyer)).payload == b"other"
        message = await next_message(seller)
        assert (message.payload, str(message.topic)) == (b"deal", f"{deal}/host/all")
        await assert_nothing_more(seller)


def test_the_acl_covers_every_scenario_with_every_seed(tmp_path: Path) -> None:
    deal = Scenario.model_validate(scenario_data("linear", "linear"))
    other = Scenario.model_validate(other_data())
    credentials = write_broker_config([deal, other], tmp_path, seeds=[5, 6])
    assert list(credentials) == ["buyer", "seller", "partner", "host", "recorder", "auditor"]
    assert negotiations([deal, other], [5, 6]) == {
        "test-deal-5": ("buyer", "seller"),
        "test-deal-6": ("buyer", "seller"),
        "other-negotiation-5": ("buyer", "partner"),
        "other-negotiation-6": ("buyer", "partner"),
    }
    rules: dict[str, list[str]] = {}
    user = ""
    for line in (tmp_path / "acl").read_text().splitlines():
        if line.startswith("user "):
            user = line.removeprefix("user ")
        elif line.startswith("topic "):
            rules.setdefault(user, []).append(line)

    def party(name: str, *nids: str) -> list[str]:
        return [
            rule
            for nid in nids
            for rule in (
                f"topic write accord/v1/{nid}/from/{name}/to/host",
                f"topic write accord/v1/{nid}/from/{name}/to/recorder",
                f"topic write accord/v1/{nid}/from/{name}/all",
                f"topic read accord/v1/{nid}/from/+/to/{name}",
                f"topic read accord/v1/{nid}/from/+/all",
            )
        ]

    every = ["test-deal-5", "test-deal-6", "other-negotiation-5", "other-negotiation-6"]
    assert rules["buyer"] == party("buyer", *every)
    assert rules["seller"] == party("seller", "test-deal-5", "test-deal-6")
    assert rules["partner"] == party("partner", "other-negotiation-5", "other-negotiation-6")
    for service in ("host", "recorder"):
        assert rules[service] == [
            rule
            for nid in every
            for rule in (
                f"topic write accord/v1/{nid}/from/{service}/#",
                f"topic read accord/v1/{nid}/#",
            )
        ]
    assert rules["auditor"] == [f"topic read accord/v1/{nid}/#" for nid in every]
    assert not [rule for rules_of in rules.values() for rule in rules_of if "/+/from" in rule]
    conf = (tmp_path / "mosquitto.conf").read_text()
    assert f"# accord broker configuration for {', '.join(every)}" in conf


def test_one_scenario_and_its_own_seed_as_before(tmp_path: Path) -> None:
    deal = Scenario.model_validate(scenario_data("linear", "linear"))
    write_broker_config(deal, tmp_path)
    acl = (tmp_path / "acl").read_text()
    assert "topic write accord/v1/test-deal-3/from/seller/to/host" in acl
    assert "topic read accord/v1/test-deal-3/#" in acl
    assert "test-deal-" not in acl.replace("test-deal-3", "")


def test_one_negotiation_id_with_two_sets_of_parties_is_refused(tmp_path: Path) -> None:
    deal = Scenario.model_validate(scenario_data("linear", "linear"))
    impostor = Scenario.model_validate({**other_data(), "name": "Test deal", "seed": 3})
    with pytest.raises(
        InputError, match=r"'Test deal' and 'Test deal' both give negotiation id 'test-deal-3'"
    ):
        write_broker_config([deal, impostor], tmp_path / "broker")
    assert not (tmp_path / "broker").exists()
    same = Scenario.model_validate({**scenario_data("linear", "linear"), "name": "Test  deal"})
    assert list(negotiations([deal, same])) == ["test-deal-3"]  # same parties: one negotiation


def test_a_party_named_as_a_broker_identity_is_refused() -> None:
    data = scenario_data("linear", "linear")
    data["parties"][1]["id"] = "auditor"
    with pytest.raises(InputError, match="party id 'auditor' is the broker identity"):
        negotiations(Scenario.model_validate(data))


def test_the_command_takes_several_scenarios_and_seeds(tmp_path: Path) -> None:
    (tmp_path / "deal.yaml").write_text(yaml.safe_dump(scenario_data("linear", "linear")))
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(other_data()))
    files = [str(tmp_path / "deal.yaml"), str(tmp_path / "other.yaml")]
    out = str(tmp_path / "broker")
    done = accord("broker-config", *files, "--out", out, "--seed", "7", "--seed", "8")
    assert done.returncode == 0, done.stderr
    covered = "test-deal-7, test-deal-8, other-negotiation-7, other-negotiation-8"
    assert f"the ACL covers the negotiations {covered}" in done.stdout
    assert "user partner" in (tmp_path / "broker" / "acl").read_text()
    done = accord("broker-config", *files, "--out", out)
    assert "the ACL covers the negotiations test-deal-3, other-negotiation-1" in done.stdout
    clash = tmp_path / "clash.yaml"
    clash.write_text(yaml.safe_dump({**other_data(), "name": "Test deal", "seed": 3}))
    done = accord("broker-config", files[0], str(clash), "--out", str(tmp_path / "clash"))
    assert done.returncode == 2
    assert f"{files[0]} and {clash} both give negotiation id 'test-deal-3'" in done.stderr
    assert not (tmp_path / "clash").exists()


@pytest.mark.mqtt
def test_a_negotiation_with_one_identity_per_process(secured: Secured) -> None:
    tmp_path, credentials = secured.path, secured.credentials
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
