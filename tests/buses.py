"""Running a test once over the memory bus and once over the embedded MQTT broker."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Literal

import pytest

from accord.broker import Bus
from accord.broker.select import open_bus

BusName = Literal["memory", "mqtt"]

BUSES = ["memory", pytest.param("mqtt", marks=pytest.mark.mqtt)]
"""Parametrise ``bus_name`` with this: the memory bus, then the embedded MQTT broker."""


def bus_named(name: BusName) -> AbstractAsyncContextManager[Bus]:
    return open_bus(name)
