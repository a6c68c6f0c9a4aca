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
pool; the spec is parsed before timing, as NegMAS's side makes its list of competitors before
(and loads its domains before, too: that part is timed on accord's side only). On NegMAS's
side (``negmas_tournament_side.py``, in the NegMAS virtualenv): ``cartesian_tournament`` with
statistics files and figures off, in process (``njobs=-1``) and with worker processes. Every
run of either side is a new process: interpreter start-up and its imports are timed on
neither side, a worker pool's start-up on both (both fork their workers here). The four
configurations run in turn, ``--repeat`` times over (the load of these shared machines
changes within minutes, and both sides should meet the same); prints each one's median,
range and negotiations per second, and the ratios NegMAS / accord, of the medians and of
each pair of runs made side by side.

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
PLUGINS = ["bench-boulware", "bench-conceder", "linear", "tit-for-tat"]
"""``--plugins``: a user's own Boulware and Conceder, installed (``pip install -e bench/plugin``),
in place of the built-ins; NegMAS's side plays its user's counterparts (``negmas_custom.py``)."""


def quiet() -> None:
    """Worker processes log warnings only, as the ``accord`` command's do."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def time_accord(spec: Path, workers: int, *, plots: bool) -> tuple[int, float]:
    """Negotiations played and seconds of one whole tournament in a new process
    (``--accord-run``), as NegMAS's side runs: a worker pool's start-up (the fork, or the
    forkserver, which imports accord) counts, the parent's imports do not."""
    command = [sys.executable, __file__, "--accord-run", str(spec), "--workers", str(workers)]
    done = subprocess.run(
        [*command, *(["--plots"] if plots else [])], capture_output=True, text=True, check=True
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures["negotiations"], figures["seconds"]


def accord_run(spec: Path, workers: int, *, plots: bool) -> None:
    """One timed tournament in this (new) process; prints ``{"negotiations", "seconds"}``."""
    # what accord imports on first use (~0.4 s for scipy.special here): imports are not timed
    importlib.import_module("scipy.special")
    if importlib.util.find_spec("pyarrow") is not None:
        importlib.import_module("pyarrow.parquet")
    if plots:
        pyplot()
    loaded, base = load_spec(spec)  # NegMAS's side, too, names its competitors before timing
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        tournament = Tournament.prepare(loaded, base)
        executor: Executor = (
            SerialExecutor() if workers == 1 else ProcessExecutor(workers, setup=quiet)
        )
        run = run_tournament(tournament, Path(out) / "t", executor=executor, plots=plots)
        seconds = time.perf_counter() - began
    assert run.failed == 0  # noqa: S101  # a benchmark of failures would mean nothing
    print(json.dumps({"negotiations": run.played, "seconds": seconds}))


def time_negmas(
    python: str, folders: list[Path], rounds: int, njobs: int, repetitions: int, *, custom: bool
) -> tuple[int, float]:
    """Negotiations played and seconds of one NegMAS tournament in a new process."""
    script = Path(__file__).with_name("negmas_tournament_side.py")
    command = [python, str(script), *map(str, folders), "--steps", str(rounds)]
    command += ["--repetitions", str(repetitions), "--njobs", str(njobs)]
    command += ["--custom"] if custom else []
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures["negotiations"], figures["seconds"]


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
    parser.add_argument(
        "--plugins",
        action="store_true",
        help="Boulware and Conceder as a user's installed plug-ins (pip install -e bench/plugin) "
        "on accord's side, as a user's own negotiators on NegMAS's side [default: built-ins].",
    )
    parser.add_argument("--accord-run", type=Path, help=argparse.SUPPRESS)  # one timed run
    args = parser.parse_args()
    quiet()
    if args.accord_run:
        accord_run(args.accord_run, args.workers, plots=args.plots)
        return
    if args.plugins and importlib.util.find_spec("accord_bench_plugin") is None:
        parser.error("--plugins needs the plug-in installed: pip install -e bench/plugin")

    folders = [(args.corpus / "genius" / d).resolve() for d in args.domains]
    sides = [("accord tournament", 1), ("accord tournament", args.workers)]
    if args.negmas_python:
        sides += [
            ("NegMAS cartesian_tournament", -1),
            ("NegMAS cartesian_tournament", args.workers),
        ]
    times: dict[tuple[str, int], list[float]] = {side: [] for side in sides}
    played: dict[tuple[str, int], int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.yaml"
        data = {
            "name": "bench",
            "seed": 1,
            "strategies": PLUGINS if args.plugins else STRATEGIES,
            "scenarios": [str(f) for f in folders],
            "mechanisms": [{"name": "saop", "deadline": {"rounds": args.rounds}}],
            "repetitions": args.repetitions,
        }
        spec.write_text(yaml.safe_dump(data), encoding="utf-8")
        # interleaved (accord serial, NegMAS serial, accord pool, NegMAS pool, again): on
        # these shared machines the load changes within minutes, and both sides should see it
        for _ in range(args.repeat):
            for side in sides:
                name, workers = side
                if name.startswith("accord"):
                    count, seconds = time_accord(spec, workers, plots=args.plots)
                else:  # rotation plays each pair in both roles already: half the repetitions
                    assert args.negmas_python  # noqa: S101  # only then is NegMAS a side
                    count, seconds = time_negmas(
                        args.negmas_python,
                        folders,
                        args.rounds,
                        workers,
                        max(1, args.repetitions // 2),
                        custom=args.plugins,
                    )
                played[side] = count
                times[side].append(seconds)
    report(args, sides, times, played)


def report(
    args: argparse.Namespace,
    sides: list[tuple[str, int]],
    times: dict[tuple[str, int], list[float]],
    played: dict[tuple[str, int], int],
) -> None:
    figures = "accord draws its figures" if args.plots else "figures off on both sides"
    players = (
        "Boulware and Conceder as a user's own (accord: installed plug-ins)"
        if args.plugins
        else "built-in strategies"
    )
    print(
        f"domains: {', '.join(args.domains)}; {args.rounds} rounds; {players}; {figures}; "
        f"median of {args.repeat} interleaved runs"
    )
    print(f"{'':44} {'negotiations':>12} {'seconds':>8} {'min-max':>11} {'per second':>10}")
    for side in sides:
        name, workers = side
        label = f"{name}, " + (
            f"workers={workers}"
            if name.startswith("accord")
            else ("in process" if workers < 0 else f"njobs={workers}")
        )
        seconds = statistics.median(times[side])
        spread = f"{min(times[side]):.2f}-{max(times[side]):.2f}"
        rate = played[side] / seconds
        print(f"{label:44} {played[side]:12d} {seconds:8.2f} {spread:>11} {rate:10.1f}")
    if len(sides) == 4:
        for (accord, negmas), what in zip(
            ((sides[0], sides[2]), (sides[1], sides[3])),
            ("serial", f"{args.workers} workers"),
            strict=True,
        ):
            pairs = [n / a for a, n in zip(times[accord], times[negmas], strict=True)]
            ratio = statistics.median(times[negmas]) / statistics.median(times[accord])
            print(
                f"NegMAS / accord, {what}: {ratio:.1f}x (ratio of medians); runs side by side: "
                + ", ".join(f"{r:.1f}x" for r in pairs)
            )


if __name__ == "__main__":
    main()
