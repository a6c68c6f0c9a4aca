"""MQTT: accord's per-turn round trip against a raw aiomqtt ping-pong, side by side.

* raw: two aiomqtt clients on the broker (QoS 1, TCP_NODELAY); one publishes a payload the
  size of an accord request, the other answers with one the size of an offer; the time from
  publishing the ping to receiving the pong, median over ``--turns``.
* accord: a negotiation between two hardliners (they never agree, so every turn is a full
  request/answer) over the same broker; for each turn, the time from the host publishing a
  request to the host publishing its next envelope (so: the request's trip, the agent's
  decision, the answer's trip and the host's handling of it), median over ``--turns``.
  Once unsigned (the framework alone) and once signed (what ``accord run`` does). Also
  printed: the median time from one request of the host to its next request (the whole cycle
  of a turn, whatever the host sends between them), and the CPU time this process spent per
  turn (with every participant in it: the whole negotiation's CPU).

Both are measured twice: with every participant in this process on one event loop (so the
CPU of both ends, and of both agents, adds up in each turn), and with each participant in a
process of its own, as a deployment runs them (the echo, and each agent, in a child process;
an agent process is what ``accord agent`` runs, with an unsigned variant).

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
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiomqtt
import structlog
import yaml

from accord import Scenario, load_scenario
from accord.broker.embedded import free_port
from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.ledger.keys import decode_public_key, load_keys
from accord.ledger.signing import Verifier, signer_for
from accord.processes import make_keys, party_agent, party_index, reap
from accord.runner import negotiate, serve
from accord.wire import HOST, Envelope, Performative

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


PING, PONG = b"x" * 420, b"y" * 330
"""The sizes of an accord request and of an offer."""


async def raw_round_trips(address: BrokerAddress, turns: int) -> list[float]:
    async with (
        address.client("bench-ping", clean=True) as a,
        address.client("bench-pong", clean=True) as b,
    ):
        await a.subscribe("bench/pong", qos=1)
        await b.subscribe("bench/ping", qos=1)
        # the echo answers exactly ``turns`` pings and returns: cancelling a task inside
        # aiomqtt's ``messages`` iterator sometimes never finishes (aiomqtt 2.5)
        echoing = asyncio.create_task(echo(b, turns))
        times = await ping(a, turns)
        async with asyncio.timeout(REPLY_TIMEOUT_S):
            await echoing  # before the clients disconnect under it
    return times


async def raw_round_trips_apart(address: BrokerAddress, turns: int) -> list[float]:
    """The same with the echo in a process of its own (``--echo``)."""
    async with address.client("bench-ping", clean=True) as a:
        await a.subscribe("bench/pong", qos=1)
        child = spawn("--echo", "--broker", address.url(), "--turns", str(turns))
        try:
            async with asyncio.timeout(30):
                await anext(aiter(a.messages))  # the echo is subscribed
            times = await ping(a, turns)
        finally:
            reap([child], REPLY_TIMEOUT_S)
    return times


async def ping(client: aiomqtt.Client, turns: int) -> list[float]:
    times = []
    replies = aiter(client.messages)
    for _ in range(turns):
        began = time.perf_counter()
        await client.publish("bench/ping", PING, qos=1)
        async with asyncio.timeout(REPLY_TIMEOUT_S):  # a lost pong fails, not hangs
            await anext(replies)
        times.append(time.perf_counter() - began)
    return times


async def echo(client: aiomqtt.Client, turns: int) -> None:
    pings = aiter(client.messages)
    for _ in range(turns):
        await anext(pings)
        await client.publish("bench/pong", PONG, qos=1)


async def echo_process(address: BrokerAddress, turns: int) -> None:
    async with address.client("bench-pong", clean=True) as client:
        await client.subscribe("bench/ping", qos=1)
        await client.publish("bench/pong", b"ready", qos=1)
        await echo(client, turns)


async def accord_turns(
    address: BrokerAddress, turns: int, *, sign: bool
) -> tuple[list[Envelope], float]:
    """The transcript, and the CPU seconds this process spent per turn."""
    async with MqttBus(address) as bus:
        began = time.process_time()
        transcript = (await negotiate(scenario(turns), bus=bus, sign=sign)).transcript
        cpu = time.process_time() - began
    return transcript, cpu / max(1, len(turn_times(transcript)))


async def accord_turns_apart(address: BrokerAddress, turns: int, *, sign: bool) -> list[Envelope]:
    """The same with each agent in a process of its own (``--agent``), the host here."""
    with tempfile.TemporaryDirectory() as tmp:
        negotiated = scenario(turns)
        path = Path(tmp) / "scenario.yaml"
        path.write_text(yaml.safe_dump(negotiated.model_dump(mode="json", exclude_none=True)))
        keys = make_keys(negotiated) if sign else None
        signing = [] if keys is None else ["--keys", str(keys)]
        children = [
            spawn("--agent", p.id, "--scenario", str(path), "--broker", address.url(), *signing)
            for p in negotiated.parties
        ]
        try:
            signer = verifier = None
            if keys is not None:
                own = load_keys(keys, [HOST, *(p.id for p in negotiated.parties)])
                signer = signer_for(own[HOST])
                verifier = Verifier({who: key.verify_key for who, key in own.items()})
            async with MqttBus(address) as bus:
                done = await serve(
                    negotiated,
                    seed=negotiated.seed,
                    bus=bus,
                    signer=signer,
                    verifier=verifier,
                    recorder=None,
                )
        finally:
            reap(children, REPLY_TIMEOUT_S)
    return done.transcript


async def agent_process(
    path: Path, party_id: str, address: BrokerAddress, keys: Path | None
) -> None:
    """One party, as ``accord agent`` runs it (``processes.party_agent``), signing only
    with ``keys``."""
    negotiated = load_scenario(path)
    signer = None if keys is None else signer_for(load_keys(keys, [party_id])[party_id])
    host_key = None  # as accord agent, it checks the host's signatures when it signs
    if keys is not None:
        host_key = decode_public_key((keys / f"{HOST}.pub").read_text().strip(), what="host")
    async with MqttBus(address) as bus:
        index = party_index(negotiated, party_id)
        agent = party_agent(
            negotiated, index, bus=bus, seed=negotiated.seed, signer=signer, host_key=host_key
        )
        await agent.run()


def spawn(*arguments: str) -> subprocess.Popen[bytes]:
    """This script in a child process, in one of its child modes."""
    return subprocess.Popen([sys.executable, __file__, *arguments])


def turn_times(transcript: list[Envelope]) -> list[float]:
    """For each request of the host, the time to the host's next envelope."""
    host = [e for e in transcript if e.sender == HOST]
    return [
        (int(after.sent_ns) - int(request.sent_ns)) / 1e9
        for request, after in itertools.pairwise(host)
        if request.performative is Performative.REQUEST
    ]


def cycle_times(transcript: list[Envelope]) -> list[float]:
    """For each request of the host but the last, the time to its next request."""
    requests = [
        e for e in transcript if e.sender == HOST and e.performative is Performative.REQUEST
    ]
    return [
        (int(after.sent_ns) - int(request.sent_ns)) / 1e9
        for request, after in itertools.pairwise(requests)
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
    # the child processes of the "apart" measurements
    parser.add_argument("--echo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--agent", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--keys", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    if args.echo:
        await echo_process(BrokerAddress.parse(args.broker), args.turns)
        return
    if args.agent:
        await agent_process(args.scenario, args.agent, BrokerAddress.parse(args.broker), args.keys)
        return
    with contextlib.ExitStack() as stack:
        url = args.broker or stack.enter_context(own_mosquitto())
        await measure(url, args.turns)


async def measure(url: str, turns: int) -> None:
    address = BrokerAddress.parse(url)
    print(f"broker {url}, {turns} turns, medians")
    print(f"{'':36} {'one process':>20} {'a process each':>20}")
    raw = [
        statistics.median(await raw_round_trips(address, turns)),
        statistics.median(await raw_round_trips_apart(address, turns)),
    ]
    print(
        f"{'raw aiomqtt ping-pong round trip':36} {raw[0] * 1e3:17.3f} ms {raw[1] * 1e3:17.3f} ms"
    )
    cycles = []
    for label, sign in (
        ("accord turn, unsigned", False),
        ("accord turn, signed and verified", True),
    ):
        transcript, cpu = await accord_turns(address, turns, sign=sign)
        apart_transcript = await accord_turns_apart(address, turns, sign=sign)
        together = statistics.median(turn_times(transcript))
        apart = statistics.median(turn_times(apart_transcript))
        print(
            f"{label:36} {together * 1e3:8.3f} ms {together / raw[0]:5.2f}x "
            f"{apart * 1e3:8.3f} ms {apart / raw[1]:5.2f}x"
        )
        cycle = [statistics.median(cycle_times(t)) for t in (transcript, apart_transcript)]
        cycles.append(("signed" if sign else "unsigned", cycle, cpu))
    for what, (together, apart), _ in cycles:
        print(
            f"{'  request to request, ' + what:36} {together * 1e3:8.3f} ms {'':6} "
            f"{apart * 1e3:8.3f} ms"
        )
    for what, _, cpu in cycles:
        print(f"{'  CPU per turn (one process), ' + what:36} {cpu * 1e3:8.3f} ms")


if __name__ == "__main__":
    asyncio.run(main())
