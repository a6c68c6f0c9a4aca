"""Choosing a transport: the memory bus, an embedded broker, or a broker at a URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from accord.broker.bus import Bus
from accord.broker.embedded import embedded_broker
from accord.broker.memory import MemoryBus
from accord.broker.mqtt import BrokerAddress, MqttBus

__all__ = ["BusKind", "open_bus"]

BusKind = Literal["mqtt", "memory"]


@asynccontextmanager
async def open_bus(
    kind: BusKind = "mqtt",
    broker: str | None = None,
    *,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
) -> AsyncIterator[Bus]:
    """``memory``: an in-process bus. ``mqtt`` with a ``broker`` URL: that broker; without
    one: an embedded broker on a free loopback port, for as long as the block runs."""
    if kind == "memory":
        yield MemoryBus()
        return
    if broker is not None:
        address = BrokerAddress.parse(
            broker, ca_file=ca_file, cert_file=cert_file, key_file=key_file
        )
        async with MqttBus(address) as bus:
            yield bus
        return
    async with embedded_broker() as address, MqttBus(address) as bus:
        yield bus
