"""The NegMAS 0.16 side of ``bench_tournament.py``: a ``cartesian_tournament`` on GENIUS folders.

Run under a Python that has NegMAS; prints one JSON line with the number of negotiations and
the seconds they took (loading the domains and importing NegMAS not included)::

    python bench/negmas_tournament_side.py FOLDER FOLDER ... [--steps 100] [--repetitions 1]
        [--njobs -1]

Four time-based competitors (Boulware, Conceder, Linear, naive tit-for-tat), self-play
included (``--custom``: a user's own Boulware and Conceder, ``negmas_custom.py``, in place of
NegMAS's), utility functions rotated so every competitor plays every role
(``rotate_ufuns=True``), SAOP with ``n_steps`` rounds; ``njobs=-1`` runs in this process,
``njobs=N`` in N worker processes. Statistics files and figures are turned off as far as
NegMAS allows, so that the time is the negotiations' and their bookkeeping's.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repetitions", type=int, default=1)
    parser.add_argument("--njobs", type=int, default=-1)
    parser.add_argument(
        "--custom",
        action="store_true",
        help="A user's own Boulware and Conceder (negmas_custom.py) in place of NegMAS's",
    )
    args = parser.parse_args()

    from negmas.inout import Scenario  # noqa: PLC0415  # NegMAS only here
    from negmas.sao.negotiators import (  # noqa: PLC0415
        BoulwareTBNegotiator,
        ConcederTBNegotiator,
        LinearTBNegotiator,
        NaiveTitForTatNegotiator,
    )
    from negmas.tournaments.neg import cartesian_tournament  # noqa: PLC0415

    scenarios = [
        Scenario.from_genius_folder(folder, ignore_discount=True) for folder in args.folders
    ]
    competitors: list[type] = [
        BoulwareTBNegotiator,
        ConcederTBNegotiator,
        LinearTBNegotiator,
        NaiveTitForTatNegotiator,
    ]
    if args.custom:  # what accord's side plays as plug-ins (bench/plugin)
        from negmas_custom import UserBoulware, UserConceder  # noqa: PLC0415  # a sibling

        competitors[:2] = [UserBoulware, UserConceder]
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        results = cartesian_tournament(
            competitors=competitors,
            scenarios=scenarios,
            n_repetitions=args.repetitions,
            n_steps=args.steps,
            njobs=args.njobs,
            path=Path(tmp) / "t",
            rotate_ufuns=True,
            self_play=True,
            verbosity=0,
            save_stats=False,
            save_scenario_figs=False,
            plot_fraction=0.0,
        )
        seconds = time.perf_counter() - began
    print(json.dumps({"negotiations": len(results.details), "seconds": seconds}))


if __name__ == "__main__":
    main()
