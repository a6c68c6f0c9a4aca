"""An MQTT broker inside this process (amqtt), for runs that need no server installed.

amqtt speaks MQTT 3.1.1 only and shares the event loop, so it is a convenience for one
machine, not a deployment broker (use mosquitto there). Its plug-ins are configured
explicitly: anonymous access on the loopback interface, nothing else.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from accord.broker.mqtt import BrokerAddress

__all__ = ["embedded_broker", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def embedded_broker(host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[BrokerAddress]:
    """Run an amqtt broker on ``host:port`` (a free port when 0) while the block runs."""
    from amqtt.broker import Broker  # noqa: PLC0415  # imported only when a broker is wanted

    port = port or free_port(host)
    broker = Broker(
        {
            "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
    )
    await broker.start()
    try:
        yield BrokerAddress(host=host, port=port)
    finally:
        await broker.shutdown()
