"""MQTT: accord's per-turn round trip against a raw aiomqtt ping-pong, side by side.

* raw: two aiomqtt clients on the broker (QoS 1, TCP_NODELAY); one publishes a payload the
  size of an accord request, the other answers with one the size of an offer; the time from
  publishing the ping to receiving the pong, median over ``--turns``.
* accord: a negotiation between two hardliners (they never agree, so every turn is a full
  request/answer) over the same broker; for each turn, the time from the host publishing a
  request to the host publishing its next envelope (so: the request's trip, the agent's
  decision, the answer's trip and the host's handling of it), median over ``--turns``.
  Once unsigned (the framework alone) and once signed (what ``accord run`` does).

Target: the accord turn at most 1.5x the raw round trip. Shared, noisy machines: compare the
ratio from one run.

    python bench/bench_mqtt.py [--broker mqtt://HOST:PORT] [--turns 400]

Without ``--broker`` it starts a mosquitto of its own on a free port with
``set_tcp_nodelay true`` (without it, mosquitto's Nagle and delayed ACKs make a single
ping-pong cost ~40 ms here, and the comparison measures the broker's configuration).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import structlog

from accord import Scenario
from accord.broker.embedded import free_port
from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.runner import negotiate
from accord.wire import Performative

REPLY_TIMEOUT_S = 10.0


def scenario(turns: int) -> Scenario:
    """Two hardliners with opposed preferences: each offers its best outcome, which is the
    other's worst, so they never agree and every turn is a full request and answer."""
    values = [f"v{j}" for j in range(10)]
    issues = [{"name": f"i{k}", "type": "categorical", "values": values} for k in range(3)]
    ascending = {"type": "table", "table": {v: j / 9 for j, v in enumerate(values)}}
    descending = {"type": "table", "table": {v: 1 - j / 9 for j, v in enumerate(values)}}
    parties = [
        {
            "id": p,
            "organisation": p,
            "strategy": {"name": "hardliner"},
            "profile": {
                "utility": {
                    "type": "linear-additive",
                    "weights": {"i0": 0.5, "i1": 0.3, "i2": 0.2},
                    "values": {"i0": table, "i1": table, "i2": table},
                }
            },
        }
        for p, table in (("a", ascending), ("b", descending))
    ]
    return Scenario.model_validate(
        {
            "name": f"bench mqtt {time.time_ns()}",
            "issues": issues,
            "parties": parties,
            "mechanism": {"deadline": {"rounds": turns // 2, "turn_timeout": 10}},
        }
    )


async def raw_round_trips(address: BrokerAddress, turns: int) -> list[float]:
    ping, pong = b"x" * 420, b"y" * 330
    async with (
        address.client("bench-ping", clean=True) as a,
        address.client("bench-pong", clean=True) as b,
    ):
        await a.subscribe("bench/pong", qos=1)
        await b.subscribe("bench/ping", qos=1)

        async def echo() -> None:
            # answers exactly ``turns`` pings and returns: cancelling a task inside aiomqtt's
            # ``messages`` iterator sometimes never finishes (aiomqtt 2.5), so it is not
            # cancelled
            pings = aiter(b.messages)
            for _ in range(turns):
                await anext(pings)
                await b.publish("bench/pong", pong, qos=1)

        echoing = asyncio.create_task(echo())
        times = []
        replies = aiter(a.messages)
        for _ in range(turns):
            began = time.perf_counter()
            await a.publish("bench/ping", ping, qos=1)
            async with asyncio.timeout(REPLY_TIMEOUT_S):  # a lost pong fails, not hangs
                await anext(replies)
            times.append(time.perf_counter() - began)
        async with asyncio.timeout(REPLY_TIMEOUT_S):
            await echoing  # before the clients disconnect under it
    return times


async def accord_turns(address: BrokerAddress, turns: int, *, sign: bool) -> list[float]:
    async with MqttBus(address) as bus:
        transcript = (await negotiate(scenario(turns), bus=bus, sign=sign)).transcript
    host = [e for e in transcript if e.sender == "host"]
    return [
        (int(after.sent_ns) - int(request.sent_ns)) / 1e9
        for request, after in itertools.pairwise(host)
        if request.performative is Performative.REQUEST
    ]


@contextlib.contextmanager
def own_mosquitto() -> Iterator[str]:
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n"
            "max_queued_messages 100000\n"
        )
        broker = subprocess.Popen([mosquitto, "-c", str(conf)], stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        try:
            yield f"mqtt://127.0.0.1:{port}"
        finally:
            broker.terminate()
            broker.wait(10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", help="a broker URL [default: a mosquitto of its own]")
    parser.add_argument("--turns", type=int, default=400)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with contextlib.ExitStack() as stack:
        url = args.broker or stack.enter_context(own_mosquitto())
        await measure(url, args.turns)


async def measure(url: str, turns: int) -> None:
    address = BrokerAddress.parse(url)
    raw = statistics.median(await raw_round_trips(address, turns))
    unsigned = statistics.median(await accord_turns(address, turns, sign=False))
    signed = statistics.median(await accord_turns(address, turns, sign=True))
    print(f"broker {url}, {turns} turns, medians")
    print(f"raw aiomqtt ping-pong round trip   {raw * 1e3:7.3f} ms")
    print(
        f"accord turn, unsigned              {unsigned * 1e3:7.3f} ms  {unsigned / raw:5.2f}x raw"
    )
    print(f"accord turn, signed and verified   {signed * 1e3:7.3f} ms  {signed / raw:5.2f}x raw")


if __name__ == "__main__":
    asyncio.run(main())
