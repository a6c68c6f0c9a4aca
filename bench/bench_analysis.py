"""Domain analysis and audit: accord against NegMAS 0.16, side by side in one run.

**Full statistics** (Pareto frontier, Nash, Kalai-Smorodinsky, egalitarian and maximum-welfare
points) of random linear-additive categorical domains (``negmas_side.make_domain``, every
party's reservation value a fifth of the way from its worst to its best outcome) of 10^3 to
10^6 outcomes, for 2 and 3 parties: accord's ``analyze_scenario`` against NegMAS's
``calc_scenario_stats``, each in a fresh process (``analysis_side.py``) so that its peak
resident memory is its own. Printed: the median time, the peak memory of the process and
its growth over the process after imports, the individually rational frontier's size and the
Nash point on both sides (they must agree), and the ratio NegMAS / accord.

NegMAS takes minutes from 10^6 outcomes; ``--negmas-max`` (default 10^5) bounds the sizes it
runs, and its repetitions are fewer from 10^5 (``--negmas-repeat-large``).

**10^7 outcomes x 2 parties**, accord only: time and peak memory, to show the memory stays
bounded (the space is scanned in chunks of 2^20 outcomes).

**Audit** of a transcript of about ``--audit-messages`` envelopes (two hardliners that never
agree, signed, recorded, profiles revealed): the median time of ``load_transcript`` (which
verifies the log) plus ``audit``.

    python bench/bench_analysis.py --negmas-python .venv-bench/bin/python [--negmas-max 1000000]
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

import structlog

sys.path.insert(0, str(Path(__file__).parent))
from negmas_side import make_domain  # sibling scripts, not a package

HERE = Path(__file__).parent
SIZES = (1_000, 10_000, 100_000, 1_000_000)
PARTIES = {2: ("a", "b"), 3: ("a", "b", "c")}


def with_reservations(domain: dict[str, Any]) -> dict[str, Any]:
    """Each party's reservation a fifth of the way from its worst outcome to its best."""
    for party in domain["parties"]:
        tables, weights = party["tables"], party["weights"]
        worst = sum(weights[i] * min(tables[i].values()) for i in tables)
        best = sum(weights[i] * max(tables[i].values()) for i in tables)
        party["reservation"] = round(worst + 0.2 * (best - worst), 9)
    return domain


def side(python: str, which: str, domain: dict[str, Any], repeat: int) -> list[dict[str, Any]]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(domain, handle)
    try:
        done = subprocess.run(  # our own script
            [python, str(HERE / "analysis_side.py"), which, handle.name, "--repeat", str(repeat)],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        Path(handle.name).unlink()
    if done.returncode != 0:
        raise SystemExit(f"{which} side failed:\n{done.stderr[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    first = runs[0]
    return {
        "median": statistics.median(r["seconds"] for r in runs),
        "n": len(runs),
        "peak": max(r["peak_mb"] for r in runs),
        "growth": max(r["peak_mb"] for r in runs) - first["base_mb"],
        "frontier": first["rational_frontier"],
        "nash": first["nash"],
    }


def same(a: list[float] | None, b: list[float] | None) -> bool:
    if a is None or b is None:
        return a is b
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) <= 1e-9


def analysis_rows(args: argparse.Namespace) -> None:
    header = ("outcomes", "parties", "side", "median s", "n", "peak MB", "+MB", "frontier")
    print("{:>10} {:>7} {:<7} {:>9} {:>3} {:>8} {:>7} {:>8}  agree  NegMAS/x".format(*header))
    for parties, ids in PARTIES.items():
        if parties not in args.parties:
            continue
        for size in args.sizes:
            domain = with_reservations(make_domain(size, args.seed, ids))
            ours = summary(side(sys.executable, "accord", domain, args.repeat))
            theirs = None
            if args.negmas_python and size <= args.negmas_max:
                repeat = args.negmas_repeat if size < 100_000 else args.negmas_repeat_large
                theirs = summary(side(args.negmas_python, "negmas", domain, repeat))
            for label, s in (("accord", ours), ("negmas", theirs)):
                if s is None:
                    continue
                agree, ratio = "", ""
                if theirs is not None and label == "negmas":
                    agree = str(s["frontier"] == ours["frontier"] and same(s["nash"], ours["nash"]))
                    ratio = f"{theirs['median'] / ours['median']:8.1f}x"
                print(
                    f"{size:>10,} {parties:>7} {label:<7} {s['median']:>9.3f} {s['n']:>3} "
                    f"{s['peak']:>8.0f} {s['growth']:>7.0f} {s['frontier']:>8}  {agree:<5}  {ratio}"
                )
    if args.ten_million:
        domain = with_reservations(make_domain(10_000_000, args.seed, PARTIES[2]))
        big = summary(side(sys.executable, "accord", domain, 1))
        print(
            f"{10_000_000:>10,} {2:>7} {'accord':<7} {big['median']:>9.3f} {big['n']:>3} "
            f"{big['peak']:>8.0f} {big['growth']:>7.0f} {big['frontier']:>8}"
        )


def audit_row(messages: int, repeat: int) -> None:
    from bench_saop import scenario_from  # noqa: PLC0415

    from accord import Scenario  # noqa: PLC0415
    from accord.audit import DEFAULT_POLICY, audit, load_transcript  # noqa: PLC0415
    from accord.ledger.storage import JsonlStorage  # noqa: PLC0415
    from accord.result import write_outputs  # noqa: PLC0415
    from accord.runner import negotiate  # noqa: PLC0415

    domain = with_reservations(make_domain(1_000, 1))
    data = scenario_from(domain, rounds=messages // 6)  # about six envelopes a round
    for party in data["parties"]:
        party["strategy"] = {"name": "hardliner"}
    scenario = Scenario.model_validate(data)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        done = asyncio.run(negotiate(scenario, log=JsonlStorage(out / "log.jsonl")))
        write_outputs(out, done.result, done.transcript)
        entries = sum(1 for _ in (out / "log.jsonl").open())
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            report = audit(load_transcript(out), DEFAULT_POLICY)
            times.append(time.perf_counter() - began)
    print(
        f"audit: {entries:,} log entries ({len(done.transcript):,} envelopes), "
        f"median {statistics.median(times):.3f} s of {repeat} (verify the log, read it, analyse, "
        f"judge); verdict {report.verdict.status}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--negmas-python",
        default=sys.executable if importlib.util.find_spec("negmas") else None,
        help="python of a virtualenv with negmas==0.16.0 [default: this one, if it has it]",
    )
    parser.add_argument("--negmas-max", type=int, default=100_000)
    parser.add_argument("--negmas-repeat", type=int, default=3)
    parser.add_argument("--negmas-repeat-large", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--parties", type=int, nargs="+", choices=sorted(PARTIES), default=[2, 3])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-ten-million", dest="ten_million", action="store_false")
    parser.add_argument("--audit-messages", type=int, default=10_000)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    analysis_rows(args)
    audit_row(args.audit_messages, repeat=3)


if __name__ == "__main__":
    main()
