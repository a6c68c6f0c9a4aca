"""Shared fixtures: small scenarios built in code, the example scenario files, the corpus."""

from __future__ import annotations

import copy
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from accord.scenarios import Scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))

_BASE: dict[str, Any] = {
    "name": "Test deal",
    "seed": 3,
    "issues": [
        {"name": "price", "type": "integer", "min": 0, "max": 9},
        {"name": "colour", "type": "categorical", "values": ["red", "green", "blue"]},
        {"name": "term", "type": "continuous", "min": 0.0, "max": 1.0, "grid": 5},
    ],
    "parties": [
        {
            "id": "buyer",
            "organisation": "Buyer Ltd",
            "strategy": {"name": "linear"},
            "profile": {
                "reservation": 0.2,
                "utility": {
                    "type": "linear-additive",
                    "weights": {"price": 0.6, "colour": 0.2, "term": 0.2},
                    "values": {
                        "price": {"type": "linear", "low": 1.0, "high": 0.0},
                        "colour": {"type": "table", "table": {"red": 1, "green": 0.5, "blue": 0}},
                        "term": {"type": "linear", "low": 0.0, "high": 1.0},
                    },
                },
            },
        },
        {
            "id": "seller",
            "organisation": "Seller plc",
            "strategy": {"name": "linear"},
            "profile": {
                "reservation": 0.2,
                "utility": {
                    "type": "linear-additive",
                    "weights": {"price": 0.7, "colour": 0.1, "term": 0.2},
                    "values": {
                        "price": {"type": "linear", "low": 0.0, "high": 1.0},
                        "colour": {"type": "table", "table": {"red": 0, "green": 0.5, "blue": 1}},
                        "term": {"type": "linear", "low": 1.0, "high": 0.0},
                    },
                },
            },
        },
    ],
    "mechanism": {"name": "saop", "deadline": {"rounds": 20, "turn_timeout": 2}},
}


def run_accord(*args: str | Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m accord ARGS`` as a user runs it; its output, never raising on failure."""
    return subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def scenario_data(*strategies: str | dict[str, Any], parties: int = 2) -> dict[str, Any]:
    """The base scenario as data, with the given strategies (names or specs) in party order,
    and with extra parties (copies of the buyer) when ``parties`` > 2."""
    data = copy.deepcopy(_BASE)
    while len(data["parties"]) < parties:
        extra = copy.deepcopy(data["parties"][0])
        extra["id"] = f"party{len(data['parties'])}"
        data["parties"].append(extra)
    for party, strategy in zip(data["parties"], strategies, strict=False):
        party["strategy"] = {"name": strategy} if isinstance(strategy, str) else strategy
    return data


def make_scenario(
    *strategies: str | dict[str, Any], parties: int = 2, **mechanism: Any
) -> Scenario:
    data = scenario_data(*strategies, parties=parties)
    if "deadline" in mechanism:
        data["mechanism"]["deadline"] |= mechanism.pop("deadline")
    data["mechanism"].update(mechanism)
    return Scenario.model_validate(data)


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """Put structlog's configuration and the ``accord`` logger back after each test: a CLI
    run in this process (typer's CliRunner) configures both, and a level set there would
    hide debug events from the ``capture_logs`` of every later test."""
    configured = structlog.get_config()
    logger = logging.getLogger("accord")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    structlog.configure(**configured)
    logger.handlers, logger.propagate = handlers, propagate
    logger.setLevel(level)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus, found through ACCORD_CORPUS (default ../shared/corpus), as an absolute
    path: tests hand it to files and processes that live elsewhere."""
    path = Path(os.environ.get("ACCORD_CORPUS", str(ROOT.parent / "shared" / "corpus"))).resolve()
    if not path.is_dir():
        message = f"corpus not found at {path}; set ACCORD_CORPUS to the shared corpus folder"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI always has the corpus
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def mosquitto_url() -> str:
    """A running mosquitto, found through ACCORD_MQTT_URL (default mqtt://127.0.0.1:1883);
    ``.ci/run`` installs and starts one."""
    import socket  # noqa: PLC0415
    from urllib.parse import urlsplit  # noqa: PLC0415

    url = os.environ.get("ACCORD_MQTT_URL", "mqtt://127.0.0.1:1883")
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 1883), 2):
            pass
    except OSError:
        message = f"no MQTT broker at {url}; start mosquitto or set ACCORD_MQTT_URL"
        if os.environ.get("CI"):
            pytest.fail(message)  # .ci/run starts one: never skip silently there
        pytest.skip(message)
    return url
