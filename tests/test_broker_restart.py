"""The MQTT bus outlives its broker: SIGKILL a mosquitto of the test's own, start it again on
the same port, and subscriptions and publishers carry on, and nothing is lost, with the
persistence `accord broker-config` writes and without it (then the broker forgets every
session, and only publishing again what may have been lost brings it back)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from accord.broker import mqtt
from accord.broker.embedded import free_port
from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.broker.resend import PAUSES_S
from accord.ledger.verify import verify_log
from accord.wire import Envelope, Performative, compose
from conftest import scenario_data

pytestmark = pytest.mark.mqtt

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Broker:
    """A mosquitto on a port of its own that a test may kill and start again."""

    def __init__(self, directory: Path, *, persistence: bool = True) -> None:
        self.port = free_port()
        self.config = directory / "mosquitto.conf"
        (directory / "data").mkdir(exist_ok=True)
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n"
            + ("user root\n" if os.geteuid() == 0 else "")
            # as accord broker-config writes it: sessions and queues saved on every change
            + (
                f"persistence true\npersistence_location {directory / 'data'}/\n"
                "autosave_on_changes true\nautosave_interval 1\n"
                if persistence
                else ""
            )
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603  # the test's own broker
            [MOSQUITTO, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"mosquitto did not listen on port {self.port}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


@pytest.fixture(params=[True, False], ids=["persistent", "forgetful"])
def broker(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Broker]:
    if not Path(MOSQUITTO).exists():
        if os.environ.get("CI"):
            pytest.fail("mosquitto is not installed; .ci/run installs it")
        pytest.skip("mosquitto is not installed")
    own = Broker(tmp_path, persistence=request.param)
    own.start()
    try:
        yield own
    finally:
        if own.process is not None and own.process.poll() is None:
            own.process.terminate()
            own.process.wait(10)


def offer(seq: int) -> Envelope:
    return compose(
        negotiation_id="n",
        sender="a",
        seq=seq,
        performative=Performative.OFFER,
        body={"outcome": {"x": seq}},
        to="b",
    )


async def test_subscription_and_publisher_survive_a_broker_killed_and_restarted(
    broker: Broker,
) -> None:
    async with (
        MqttBus(BrokerAddress("127.0.0.1", broker.port)) as bus,
        bus.subscribe("n", "b") as inbox,
    ):
        await bus.publish(offer(1))
        assert (await asyncio.wait_for(inbox.get(), 5)).seq == 1

        broker.kill()
        # a publish while the broker is down retries until it is back
        publishing = asyncio.create_task(bus.publish(offer(2)))
        await asyncio.sleep(0.5)
        assert not publishing.done()
        broker.start()
        await asyncio.wait_for(publishing, 15)

        # the subscription reconnected and subscribed again: what is published now arrives,
        # and so does offer 2, though it may have reached the broker before the subscriber
        # was back (a forgetful broker has no session to queue it in): the bus publishes
        # again what a loss may have lost, and the subscriber drops the repeats
        await bus.publish(offer(3))
        seqs = [(await asyncio.wait_for(inbox.get(), 15)).seq for _ in range(2)]
        assert sorted(seqs) == [2, 3]
        await asyncio.sleep(sum(PAUSES_S) + 0.5)  # every repeat is out
        assert inbox.get_nowait() is None  # each arrived once
        assert bus.resender.repeated >= 2


async def test_a_publish_waiting_for_its_puback_notices_the_broker_die(
    broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broker that stops answering, then dies: the publish waiting for its PUBACK goes on
    at once (aiomqtt alone waits its whole timeout, which used to end the turn)."""
    monkeypatch.setattr(mqtt, "PUBACK_TIMEOUT_S", 30.0)  # a wait the loss must cut short
    async with MqttBus(BrokerAddress("127.0.0.1", broker.port)) as bus:
        await bus.publish(offer(1))
        assert broker.process is not None
        broker.process.send_signal(signal.SIGSTOP)  # takes the PUBLISH, never acknowledges it
        publishing = asyncio.create_task(bus.publish(offer(2)))
        await asyncio.sleep(0.5)
        assert not publishing.done()
        broker.kill()
        began = time.monotonic()
        broker.start()
        await asyncio.wait_for(publishing, 15)
        assert time.monotonic() - began < 10


def test_a_negotiation_survives_its_broker_killed_and_restarted(
    broker: Broker, tmp_path: Path
) -> None:
    """SIGKILL the broker in the middle of a negotiation and start it 1.5 s later: the
    negotiation ends as it does without a fault (turns of 5 s, as the fault was reported),
    and the transcript has no gap and no duplicate."""
    data = scenario_data("boulware", "boulware")
    data["mechanism"]["deadline"] = {"rounds": 300, "turn_timeout": 5}
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    calm = accord("run", path, "--bus", "memory", "--out", tmp_path / "calm")
    assert calm.wait(120) == 0
    out = tmp_path / "stormy"
    run = accord("run", path, "--broker", f"mqtt://127.0.0.1:{broker.port}", "--out", out)
    try:
        wait_for_entries(tmp_path, 300, run)  # well into the negotiation (~1,650 in all)
        broker.kill()
        time.sleep(1.5)
        broker.start()
        assert run.wait(120) == 0
    finally:
        if run.poll() is None:
            run.kill()
    expected = json.loads((tmp_path / "calm" / "result.json").read_text())
    got = json.loads((out / "result.json").read_text())
    for key in ("reason", "rounds", "outcome"):
        assert got[key] == expected[key], key
    assert [p["utility"] for p in got["parties"]] == [p["utility"] for p in expected["parties"]]
    seqs: dict[str, list[int]] = {}
    for line in (out / "transcript.jsonl").read_text().splitlines():
        envelope = json.loads(line)
        seqs.setdefault(envelope["sender"], []).append(envelope["seq"])
    for sender, numbers in seqs.items():
        assert sorted(numbers) == list(range(len(numbers))), f"{sender}: a gap or a repeat"
    assert verify_log(out / "log.jsonl").ok


def accord(*args: str | Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_entries(folder: Path, entries: int, run: subprocess.Popen[bytes]) -> None:
    """Wait until the run's log (in its staging folder) has ``entries`` lines."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert run.poll() is None, "the negotiation ended before the broker could be killed"
        for log in folder.glob(".accord-run-*/log.jsonl"):
            if log.read_bytes().count(b"\n") >= entries:
                return
        time.sleep(0.05)
    pytest.fail(f"the log did not reach {entries} entries within 60 s")
