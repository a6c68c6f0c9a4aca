"""Scale: many concurrent bilateral negotiations over one mosquitto, spread over processes.

For each count in ``--counts`` (default 10, 100 and 500 negotiations, so up to 1,000 agents
plus 500 hosts), ``--workers`` OS processes each run their share of the negotiations
concurrently, every host and agent with its own MQTT connections (``MqttBus``), signed, over
one mosquitto (a fresh one of its own per count, ``set_tcp_nodelay true``,
``max_queued_messages 100000``, its file limit raised; or ``--broker``). A negotiation is
Boulware against Conceder on a 1,000-outcome random domain, at most ``--rounds`` rounds.

Printed per count: negotiations completed and failed, the wall time from the first start to
the last end, negotiations and rounds per second over that time, and the turn latency (from
the host's request to the party's answer, both stamped by the same process) at p50 and p99.

    python bench/bench_scale.py [--counts 10 100 500] [--workers 4] [--rounds 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import structlog

sys.path.insert(0, str(Path(__file__).parent))
from bench_mqtt import own_mosquitto  # sibling scripts, not a package
from bench_saop import scenario_from
from negmas_side import make_domain

from accord import Scenario
from accord.broker.mqtt import BrokerAddress, MqttBus
from accord.runner import negotiate
from accord.wire import HOST, Performative


def raise_file_limit() -> None:
    """As many open files as the hard limit allows: every MQTT connection is one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def scenario(index: int, tag: str, rounds: int) -> Scenario:
    data = scenario_from(make_domain(1_000, seed=1), rounds=rounds)
    data["name"] = f"scale {tag} {index}"
    data["parties"][1]["strategy"] = {"name": "conceder"}
    data["mechanism"]["deadline"]["turn_timeout"] = 60
    return Scenario.model_validate(data)


def turn_latencies(transcript: list[Any]) -> list[float]:
    """Milliseconds from each request of the host to the party's answer."""
    sent = {
        e.message_id: int(e.sent_ns)
        for e in transcript
        if e.sender == HOST and e.performative is Performative.REQUEST
    }
    return [
        (int(e.sent_ns) - sent[e.in_reply_to]) / 1e6
        for e in transcript
        if e.sender != HOST and e.in_reply_to in sent
    ]


async def worker(broker: str, indices: list[int], tag: str, rounds: int) -> None:
    """Run the negotiations ``indices`` concurrently; print one JSON line for each."""

    async def one(index: int) -> dict[str, Any]:
        began = time.time()
        try:
            async with MqttBus(BrokerAddress.parse(broker)) as bus:
                done = await negotiate(scenario(index, tag, rounds), bus=bus)
        except Exception as exc:  # noqa: BLE001  # a failure is a figure, not a crash
            return {"ok": False, "error": repr(exc), "start": began, "end": time.time()}
        return {
            "ok": done.result.reason in {"agreement", "deadline"},
            "reason": done.result.reason,
            "rounds": done.result.rounds,
            "latencies": turn_latencies(done.transcript),
            "start": began,
            "end": time.time(),
        }

    for finished in asyncio.as_completed([one(i) for i in indices]):
        print(json.dumps(await finished), flush=True)  # the worker's output


def run_count(broker: str, count: int, workers: int, rounds: int) -> dict[str, Any]:
    tag = f"{count}-{time.time_ns()}"
    shares = [list(range(w, count, workers)) for w in range(workers)]
    processes = [
        subprocess.Popen(  # this script, as a worker
            [
                sys.executable,
                __file__,
                "--worker",
                "--broker",
                broker,
                "--tag",
                tag,
                "--rounds",
                str(rounds),
                "--indices",
                ",".join(map(str, share)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for share in shares
        if share
    ]
    rows = []
    for process in processes:
        out, _ = process.communicate(timeout=1800)
        rows += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    ok = [r for r in rows if r["ok"]]
    wall = max(r["end"] for r in rows) - min(r["start"] for r in rows) if rows else 0.0
    latencies = sorted(x for r in ok for x in r["latencies"])

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0

    errors = sorted({r.get("error") or r.get("reason", "") for r in rows if not r["ok"]})
    return {
        "count": count,
        "completed": len(ok),
        "failed": count - len(ok),
        "wall": wall,
        "rounds": sum(r["rounds"] for r in ok),
        "p50": pct(0.5),
        "p99": pct(0.99),
        "median_rounds": statistics.median(r["rounds"] for r in ok) if ok else 0,
        "errors": errors[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counts", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--broker", help="a broker URL [default: a mosquitto of its own]")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tag", help=argparse.SUPPRESS)
    parser.add_argument("--indices", help=argparse.SUPPRESS)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    raise_file_limit()
    if args.worker:
        indices = [int(i) for i in args.indices.split(",")]
        asyncio.run(worker(args.broker, indices, args.tag, args.rounds))
        return
    header = ("negotiations", "done", "failed", "wall s", "negs/s", "rounds/s", "p50 ms", "p99 ms")
    print("{:>12} {:>6} {:>6} {:>8} {:>8} {:>9} {:>8} {:>8}".format(*header))
    for count in args.counts:
        with contextlib.ExitStack() as stack:
            broker = args.broker or stack.enter_context(own_mosquitto())
            row = run_count(broker, count, args.workers, args.rounds)
        wall = row["wall"] or float("nan")
        print(
            f"{row['count']:>12} {row['completed']:>6} {row['failed']:>6} {wall:>8.2f} "
            f"{row['completed'] / wall:>8.1f} {row['rounds'] / wall:>9.0f} "
            f"{row['p50']:>8.1f} {row['p99']:>8.1f}"
            + (f"  errors: {row['errors']}" if row["errors"] else ""),
            flush=True,
        )


if __name__ == "__main__":
    main()
