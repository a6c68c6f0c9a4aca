"""The MQTT bus outlives its broker: SIGKILL a mosquitto of the test's own, start it again on
the same port, and subscriptions and publishers carry on."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from accord.broker.embedded import free_port
from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.wire import Envelope, Performative, compose

pytestmark = pytest.mark.mqtt

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Broker:
    """A mosquitto on a port of its own that a test may kill and start again."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            + ("user root\n" if os.geteuid() == 0 else "")
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


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if not Path(MOSQUITTO).exists():
        if os.environ.get("CI"):
            pytest.fail("mosquitto is not installed; .ci/run installs it")
        pytest.skip("mosquitto is not installed")
    own = Broker(tmp_path)
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

        # the subscription reconnected and subscribed again: what is published now arrives
        # (offer 2 may have reached the broker before the subscriber was back, and a broker
        # without persistence forgets the session, so only offer 3 is certain to arrive)
        await bus.publish(offer(3))
        seqs: set[int] = set()
        while 3 not in seqs:
            seqs.add((await asyncio.wait_for(inbox.get(), 15)).seq)
        assert seqs <= {2, 3}
