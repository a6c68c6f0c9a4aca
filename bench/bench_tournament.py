"""Tournament throughput: accord tournament against NegMAS 0.16's cartesian_tournament.

The same four time-based strategies (Boulware, Conceder, Linear, tit-for-tat) on the same
GENIUS domains (default ``y2013/Icecream`` and ``y2011/Car``, 720 and 15,625 outcomes: the
example pair the 10x tournament target is stated for; ``--domains y2013/Coffee
y2010/ItexvsCypress``, 112 and 180 outcomes, is the harder case for accord: negotiations last
longer, and NegMAS has less to compute per outcome),
SAOP with ``--rounds`` rounds, self-play included, every strategy in every role. accord plays
every ordered pair ``--repetitions`` times (default 2: 2 domains x 16 x 2 = 64 negotiations);
NegMAS plays every pair ``repetitions / 2`` times with its utility functions rotated (also 64).

Timed on accord's side: ``Tournament.prepare`` (import and analysis of the domains) and
``run_tournament`` into a new folder (CSV rows, Parquet, summary; the two figures only with
``--plots``, since NegMAS's side draws none), in process (``--workers 1``) and in a process
pool. On NegMAS's side (``negmas_tournament_side.py``, in the NegMAS virtualenv):
``cartesian_tournament`` with statistics files and figures off, in process (``njobs=-1``)
and with worker processes. Every run of either side is a new process: interpreter start-up
and its imports are timed on neither side, a worker pool's start-up on both (accord's
forkserver imports accord; NegMAS forks). Prints the median of ``--repeat`` runs and
negotiations per second. Machines here are shared and noisy: compare figures from one run.

    python bench/bench_tournament.py --negmas-python .venv-negmas/bin/python
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import structlog
import yaml

from accord.pyplot import pyplot
from accord.tournament import ProcessExecutor, SerialExecutor, Tournament, load_spec, run_tournament
from accord.tournament.executors import Executor

DOMAINS = ("y2013/Icecream", "y2011/Car")
STRATEGIES = ["boulware", "conceder", "linear", "tit-for-tat"]


def quiet() -> None:
    """Worker processes log warnings only, as the ``accord`` command's do."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def time_accord(spec: Path, workers: int, repeat: int, *, plots: bool) -> tuple[int, float]:
    """Negotiations played and the median seconds of ``repeat`` whole tournaments, each in a
    new process (``--accord-run``), as NegMAS's side runs: a worker pool's start-up (the
    forkserver, which imports accord) counts in every run, the parent's imports in none."""
    times = []
    played = 0
    for _ in range(repeat):
        command = [sys.executable, __file__, "--accord-run", str(spec), "--workers", str(workers)]
        done = subprocess.run(
            [*command, *(["--plots"] if plots else [])], capture_output=True, text=True, check=True
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        times.append(figures["seconds"])
        played = figures["negotiations"]
    return played, statistics.median(times)


def accord_run(spec: Path, workers: int, *, plots: bool) -> None:
    """One timed tournament in this (new) process; prints ``{"negotiations", "seconds"}``."""
    # what accord imports on first use (~0.4 s for scipy.special here): imports are not timed
    importlib.import_module("scipy.special")
    if importlib.util.find_spec("pyarrow") is not None:
        importlib.import_module("pyarrow.parquet")
    if plots:
        pyplot()
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        loaded, base = load_spec(spec)
        tournament = Tournament.prepare(loaded, base)
        executor: Executor = (
            SerialExecutor() if workers == 1 else ProcessExecutor(workers, setup=quiet)
        )
        run = run_tournament(tournament, Path(out) / "t", executor=executor, plots=plots)
        seconds = time.perf_counter() - began
    assert run.failed == 0  # noqa: S101  # a benchmark of failures would mean nothing
    print(json.dumps({"negotiations": run.played, "seconds": seconds}))


def time_negmas(  # noqa: PLR0917  # a benchmark helper, called once
    python: str, folders: list[Path], rounds: int, njobs: int, repeat: int, repetitions: int
) -> tuple[int, float]:
    times = []
    count = 0
    script = Path(__file__).with_name("negmas_tournament_side.py")
    for _ in range(repeat):
        command = [python, str(script), *map(str, folders), "--steps", str(rounds)]
        command += ["--repetitions", str(repetitions)]
        done = subprocess.run(
            [*command, "--njobs", str(njobs)], capture_output=True, text=True, check=True
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        count = figures["negotiations"]
        times.append(figures["seconds"])
    return count, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default_corpus = os.environ.get("ACCORD_CORPUS", "../shared/corpus")
    parser.add_argument("--corpus", type=Path, default=Path(default_corpus))
    parser.add_argument("--domains", nargs="+", default=list(DOMAINS))
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="Pool size on both sides.")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--negmas-python", help="A Python with negmas==0.16.0 installed.")
    parser.add_argument(
        "--plots",
        action="store_true",
        help="Let accord draw its two figures (NegMAS's side draws none) [default: off].",
    )
    parser.add_argument("--accord-run", type=Path, help=argparse.SUPPRESS)  # one timed run
    args = parser.parse_args()
    quiet()
    if args.accord_run:
        accord_run(args.accord_run, args.workers, plots=args.plots)
        return

    folders = [(args.corpus / "genius" / d).resolve() for d in args.domains]
    rows: list[tuple[str, int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.yaml"
        data = {
            "name": "bench",
            "seed": 1,
            "strategies": STRATEGIES,
            "scenarios": [str(f) for f in folders],
            "mechanisms": [{"name": "saop", "deadline": {"rounds": args.rounds}}],
            "repetitions": args.repetitions,
        }
        spec.write_text(yaml.safe_dump(data), encoding="utf-8")
        for workers in (1, args.workers):
            played, seconds = time_accord(spec, workers, args.repeat, plots=args.plots)
            rows.append((f"accord tournament, workers={workers}", played, seconds))
    if args.negmas_python:
        for njobs in (-1, args.workers):
            # rotation already plays each pair in both roles: half the repetitions
            count, seconds = time_negmas(
                args.negmas_python,
                folders,
                args.rounds,
                njobs,
                args.repeat,
                max(1, args.repetitions // 2),
            )
            label = "in process" if njobs < 0 else f"njobs={njobs}"
            rows.append((f"NegMAS cartesian_tournament, {label}", count, seconds))
    figures = "accord draws its figures" if args.plots else "figures off on both sides"
    print(
        f"domains: {', '.join(args.domains)}; {args.rounds} rounds; {figures}; "
        f"median of {args.repeat}"
    )
    print(f"{'':44} {'negotiations':>12} {'seconds':>8} {'per second':>10}")
    for label, count, seconds in rows:
        print(f"{label:44} {count:12d} {seconds:8.2f} {count / seconds:10.1f}")


if __name__ == "__main__":
    main()
