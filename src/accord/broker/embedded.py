"""An MQTT broker inside this process (amqtt), for runs that need no server installed.

amqtt speaks MQTT 3.1.1 only and shares the event loop, so it is a convenience for one
machine, not a deployment broker (use mosquitto there). Its plug-ins are configured
explicitly: anonymous access on the loopback interface, nothing else.
"""

from __future__ import annotations

import asyncio
import functools
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amqtt.broker import Broker

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
    port = port or free_port(host)
    broker = _broker_class()(
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
        broker.close_connections()


@functools.cache
def _broker_class() -> type[Broker]:
    """amqtt's broker, closing every connection it accepted.

    amqtt 0.12 leaves a connection's socket open on several paths (a client that drops
    mid-session, a flood of publishes, a session still open at shutdown); the socket is then
    collected after the event loop has closed. Here each connection is closed when amqtt is done
    with it, and any still open when the broker shuts down.
    """
    from amqtt.broker import Broker  # noqa: PLC0415  # imported only when a broker is wanted

    class ClosingBroker(Broker):  # type: ignore[misc]  # amqtt ships no type information
        def __init__(self, config: dict[str, Any]) -> None:
            super().__init__(config)
            self.open_writers: set[asyncio.StreamWriter] = set()

        async def stream_connected(
            self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
        ) -> None:
            self.open_writers.add(writer)
            try:
                await super().stream_connected(reader, writer, listener_name)
            finally:
                self.open_writers.discard(writer)
                writer.close()

        def close_connections(self) -> None:
            while self.open_writers:
                self.open_writers.pop().close()

    return ClosingBroker
