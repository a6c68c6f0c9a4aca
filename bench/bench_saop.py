"""Bilateral stacked alternating offers: accord against NegMAS 0.16, side by side in one run.

For each domain size (10^3 and 10^5 outcomes, random linear-additive categorical domains from
``negmas_side.make_domain``) it times, with the same preferences:

* accord: scenario validation, profile binding, whole-space utilities, sorting and a
  100-round negotiation (Boulware against Boulware, ``time-dependent e=0.2`` both sides) over
  a direct session (``negotiate``'s default in process: parties called, no envelopes, see
  ``accord.direct``) with built-in strategies and with a user's own Boulware installed as a
  plug-in (``bench-boulware`` from ``bench/plugin``, by its entry point: inline under the
  watchdog, as ``executor="auto"`` runs every strategy that is not accord's own); over the
  memory bus (``envelopes=True``) with the plug-in on worker threads (``executor="thread"``,
  how plug-ins ran until December 2026), with built-ins, and signed (every envelope signed
  by its sender and verified by the host, as ``accord run`` does);
* NegMAS: building the utility functions and ``SAOMechanism(n_steps=100)`` with a
  ``BoulwareTBNegotiator`` against an ``AspirationNegotiator``, run in the NegMAS virtualenv
  (``--negmas-python``) through ``negmas_side.py``.

and the physical floor: the same two Boulwares' own calls for the same turns, with no
framework (``time_floor``). It prints the median of ``--repeat`` runs per side and the ratio
NegMAS / accord. Machines here are shared and noisy: compare ratios from one run, not
absolute times across runs.

    python bench/bench_saop.py --negmas-python .venv-negmas/bin/python
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import structlog

sys.path.insert(0, str(Path(__file__).parent))
from negmas_side import make_domain  # a sibling script, not a package

from accord import Scenario
from accord.agents import AgentContext, Boulware, Response, TurnState
from accord.agents.strategy import OfferEvent
from accord.runner import negotiate

SIZES = (1_000, 100_000)


def scenario_from(
    domain: dict[str, Any], rounds: int, strategy: str = "boulware"
) -> dict[str, Any]:
    """The accord scenario with exactly the preferences of a ``make_domain`` domain."""
    issues = [
        {"name": i["name"], "type": "categorical", "values": i["values"]} for i in domain["issues"]
    ]
    parties = [
        {
            "id": party["id"],
            "organisation": party["id"],
            "strategy": {"name": strategy},
            "profile": {
                "reservation": party.get("reservation", 0.0),
                "utility": {
                    "type": "linear-additive",
                    "weights": party["weights"],
                    "values": {
                        name: {"type": "table", "table": table}
                        for name, table in party["tables"].items()
                    },
                },
            },
        }
        for party in domain["parties"]
    ]
    return {
        "name": "bench",
        "issues": issues,
        "parties": parties,
        "mechanism": {"name": "saop", "deadline": {"rounds": rounds}},
    }


def time_accord(
    data: dict[str, Any], executor: str, repeat: int, *, sign: bool, envelopes: bool
) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        scenario = Scenario.model_validate(data)
        negotiation = negotiate(
            scenario,
            executor=executor,  # type: ignore[arg-type]
            sign=sign,
            envelopes=envelopes,
        )
        result = asyncio.run(negotiation).result
        times.append(time.perf_counter() - began)
    return times, result


def time_floor(data: dict[str, Any], repeat: int) -> tuple[list[float], int, bool]:
    """The physical floor: what the two Boulwares themselves compute in such a negotiation,
    with no framework at all. Timed like accord's sides (validation, binding, each party's
    ``on_start``), then the turns of stacked alternating offers as plain calls (each turn a
    ``TurnState``, ``respond`` to the standing offer and, on a rejection, ``propose``; every
    offer appended to both parties' ``ctx.offers``, which ``respond`` reads)."""
    times, rounds, agreed = [], 0, False
    for _ in range(repeat):
        began = time.perf_counter()
        scenario = Scenario.model_validate(data)
        space = scenario.outcome_space()
        ids = [party.id for party in scenario.parties]
        strategies, contexts = [], []
        for index, party in enumerate(scenario.parties):
            ctx = AgentContext(
                party_id=party.id,
                parties=tuple(ids),
                mechanism="saop",
                space=space,
                profile=party.profile.bind(space),
                rng=np.random.default_rng([1, index]),
                rounds=scenario.mechanism.deadline.rounds,
                seconds=None,
            )
            strategy = Boulware()
            strategy.on_start(ctx)
            strategies.append(strategy)
            contexts.append(ctx)
        total = scenario.mechanism.deadline.rounds or 1
        standing: dict[str, Any] | None = None
        turn = round_ = 0
        agreed = False
        while True:
            if turn and turn % 2 == 0:
                round_ += 1
                if round_ >= total:
                    break
            state = TurnState(round_, round_ / total, "respond", standing, None, {})
            strategy = strategies[turn % 2]
            if standing is not None and strategy.respond(state, standing) == Response.ACCEPT:
                agreed = True
                break
            standing = strategy.propose(state)
            for ctx in contexts:
                ctx.offers.append(OfferEvent(round_, ids[turn % 2], dict(standing), ctx.profile))
            turn += 1
        rounds = min(round_ + 1, total)
        times.append(time.perf_counter() - began)
    return times, rounds, agreed


def time_negmas(
    python: str, domain: dict[str, Any], rounds: int, repeat: int
) -> list[dict[str, Any]]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(domain, handle)
    script = Path(__file__).parent / "negmas_side.py"
    done = subprocess.run(
        [python, str(script), handle.name, "--steps", str(rounds), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    Path(handle.name).unlink()
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--negmas-python",
        default=sys.executable if importlib.util.find_spec("negmas") else None,
        help="python of a virtualenv with negmas==0.16.0 [default: this one, if it has it]",
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if importlib.util.find_spec("accord_bench_plugin") is None:
        parser.error("the plug-in rows need it installed: pip install -e bench/plugin")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    header = ("outcomes", "side", "median ms", "rounds", "agreement", "NegMAS/x")
    print("{:>9} {:<26} {:>10} {:>7} {:>9} {:>9}".format(*header))
    for size in SIZES:
        domain = make_domain(size, args.seed)
        data = scenario_from(domain, args.rounds)
        plugin = scenario_from(domain, args.rounds, "bench-boulware")
        rows: list[tuple[str, float, int, bool]] = []
        negmas_median = None
        if args.negmas_python:
            runs = time_negmas(args.negmas_python, domain, args.rounds, args.repeat)
            negmas_median = statistics.median(r["seconds"] for r in runs)
            rows.append(
                (
                    "negmas SAOMechanism",
                    negmas_median,
                    runs[0]["steps"],
                    runs[0]["agreement"] is not None,
                )
            )
        sides = (
            ("accord (built-in)", data, "auto", False, False),
            ("accord (plug-in)", plugin, "auto", False, False),
            ("accord (plug-in, thread)", plugin, "thread", False, True),
            ("accord (envelopes)", data, "auto", False, True),
            ("accord (envelopes, signed)", data, "auto", True, True),
        )
        for label, scenario, executor, sign, envelopes in sides:
            times, result = time_accord(
                scenario, executor, args.repeat, sign=sign, envelopes=envelopes
            )
            rows.append((label, statistics.median(times), result.rounds, result.agreement))
        times, rounds, agreed = time_floor(data, args.repeat)
        rows.append(("strategy calls alone", statistics.median(times), rounds, agreed))
        for side, median, rounds, agreed in rows:
            ratio = f"{negmas_median / median:8.1f}x" if negmas_median else "        -"
            print(f"{size:>9,} {side:<26} {median * 1000:>10.1f} {rounds:>7} {agreed!s:>9} {ratio}")


if __name__ == "__main__":
    main()
