"""accord's domain analysis against NegMAS 0.16's ``calc_scenario_stats``, on the GENIUS corpus.

For every two-party domain folder under ``--corpus`` with at most ``--max-outcomes`` outcomes
that accord's GENIUS importer loads, the script computes every outcome's utility for both
parties with accord, then analyses the domain twice from those same numbers:

* accord: :func:`accord.analysis.analyze_domain`;
* NegMAS: the functions ``calc_scenario_stats`` calls (``pareto_frontier``, ``nash_points``,
  ``ks_points``, ``max_welfare_points``) on two utility functions that return exactly those numbers
  (a one-issue outcome space, outcome ``k`` being accord's ``k``-th outcome, and a table value
  function with weight 1).

So it checks the analysis, not the importers (``genius_vs_negmas.py`` checks those: NegMAS
computes other utilities than GENIUS from the same files). It compares, to ``--tolerance``:
the set of Pareto-optimal utility vectors, and the utilities of the Nash, Kalai-Smorodinsky
and maximum-welfare points. Every mismatch is printed, then a summary.

Conventions that differ, and how the comparison lines them up:

* **Disagreement point.** accord measures gains from each party's reservation value. NegMAS
  raises a reservation value below the party's worst outcome to that worst outcome. accord is
  given ``max(reservation, worst)`` here, so both start from the same point.
* **Kalai-Smorodinsky.** accord and NegMAS take the frontier point whose relative gains
  ``(u - d) / (best - d)`` are the most even (smallest spread); NegMAS's ``best`` is the
  party's best outcome overall, accord's its best individually rational one (the textbook
  ideal point). Where the answers differ, the script runs accord's rule with NegMAS's ideal
  point; when that gives NegMAS's answer, the domain is listed under this convention instead
  of as a mismatch.
* **Maximum welfare.** NegMAS looks among individually rational outcomes only, accord among
  all outcomes; the script compares the best individually rational frontier point of accord.

Run from the repository root under a Python that has NegMAS 0.16 and accord's dependencies::

    .venv-bench/bin/python bench/analysis_vs_negmas.py --corpus ../shared/corpus/genius
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from accord.analysis import analyze_domain, points
from accord.errors import AccordError
from accord.importers import genius_scenario
from accord.scenarios import Scenario

Matrix = npt.NDArray[np.float64]


def accord_side(scenario: Scenario) -> tuple[Matrix, list[float], dict[str, Any]]:
    """Every outcome's utilities, the reservations used (see the module docstring), and the
    individually rational frontier and the points."""
    space = scenario.outcome_space()
    bound = [p.profile.bind(space) for p in scenario.parties]
    utilities = np.column_stack([b.all_utilities for b in bound]).astype(np.float64)
    worst = utilities.min(axis=0)
    reservations = [max(b.reservation, float(w)) for b, w in zip(bound, worst, strict=True)]
    profiles = {
        p.id: p.profile.model_copy(update={"reservation": r}).bind(space)
        for p, r in zip(scenario.parties, reservations, strict=True)
    }
    analysis = analyze_domain(space, profiles)
    ids = [p.id for p in scenario.parties]

    def vector(point: Any) -> list[float] | None:
        return None if point is None else [point.utilities[i] for i in ids]

    rational = [
        [q.utilities[i] for i in ids]
        for q in analysis.pareto
        if all(q.utilities[i] >= r for i, r in zip(ids, reservations, strict=True))
    ]
    points = {
        "frontier": rational,
        "nash": vector(analysis.nash),
        "kalai_smorodinsky": vector(analysis.kalai_smorodinsky),
        "max_welfare": max(rational, key=sum) if rational else None,
    }
    return utilities, reservations, points


def negmas_side(utilities: Matrix, reservations: list[float]) -> dict[str, Any]:
    """NegMAS's frontier and points, as ``calc_scenario_stats`` computes them, but from exact
    utility ranges: ``calc_scenario_stats`` takes them from ``minmax`` with its default
    ``max_cardinality=1000``, which samples larger spaces and can miss a party's best outcome."""
    from negmas import make_issue  # noqa: PLC0415  # optional dependency
    from negmas.outcomes import make_os  # noqa: PLC0415
    from negmas.preferences import LinearAdditiveUtilityFunction, TableFun  # noqa: PLC0415
    from negmas.preferences.ops import (  # noqa: PLC0415
        ks_points,
        max_welfare_points,
        nash_points,
        pareto_frontier,
    )

    n = len(utilities)
    space = make_os([make_issue(n, name="k")])
    ufuns = [
        LinearAdditiveUtilityFunction(
            values=[TableFun(dict(enumerate(utilities[:, j].tolist())))],
            weights=[1.0],
            outcome_space=space,
            reserved_value=reservations[j],
        )
        for j in range(utilities.shape[1])
    ]
    ranges = [u.minmax(space, max_cardinality=float("inf")) for u in ufuns]
    frontier, _ = pareto_frontier(ufuns, list(space.enumerate()), sort_by_welfare=True)
    nash = nash_points(ufuns, frontier, ranges=ranges)
    ks = ks_points(ufuns, frontier, ranges=ranges, subtract_reserved_value=True)
    welfare = max_welfare_points(ufuns, frontier, ranges=ranges)

    def first(found: Any) -> list[float] | None:
        return [float(u) for u in found[0][0]] if found else None

    return {
        "frontier": [list(map(float, u)) for u in frontier],
        "nash": first(nash),
        "kalai_smorodinsky": first(ks),
        "max_welfare": first(welfare),
        "ks_all": [list(map(float, u)) for u, _ in ks],
        "welfare_all": [list(map(float, u)) for u, _ in welfare],
    }


def same_with_negmas_ideal(
    utilities: Matrix,
    reservations: list[float],
    frontier: list[list[float]],
    negmas_answers: list[list[float]],
    tolerance: float,
) -> bool:
    """Whether accord's Kalai-Smorodinsky rule, given NegMAS's ideal point (each party's best
    utility over all outcomes, rational or not), picks one of NegMAS's answers."""
    front = np.array(frontier, dtype=np.float64)
    at = points.kalai_smorodinsky(front, np.array(reservations), ideal=utilities.max(axis=0))
    if at is None:
        return not negmas_answers
    return any(float(np.abs(front[at] - np.array(c)).max()) <= tolerance for c in negmas_answers)


def same_set(a: list[list[float]], b: list[list[float]], tolerance: float) -> str | None:
    """``None`` when the two sets of vectors agree, else what differs."""
    left = np.array(sorted(map(tuple, a))) if a else np.zeros((0, 2))
    right = np.array(sorted(map(tuple, b))) if b else np.zeros((0, 2))
    if left.shape != right.shape:
        return f"{len(left)} points against NegMAS's {len(right)}"
    worst = float(np.abs(left - right).max()) if len(left) else 0.0
    return None if worst <= tolerance else f"largest difference {worst:.3g}"


def compare(
    utilities: Matrix,
    reservations: list[float],
    ours: dict[str, Any],
    theirs: dict[str, Any],
    tolerance: float,
) -> tuple[list[str], bool]:
    """What differs between the two analyses, and whether the Kalai-Smorodinsky points differ
    only by the ideal-point convention."""
    problems = []
    frontier = same_set(ours["frontier"], theirs["frontier"], tolerance)
    if frontier:
        problems.append(f"frontier: {frontier}")
    convention = False
    for point in ("nash", "kalai_smorodinsky", "max_welfare"):
        a, b = ours[point], theirs[point]
        if (a is None) != (b is None):
            problems.append(f"{point}: accord {a}, NegMAS {b}")
        if a is None or b is None:
            continue
        tied = theirs["ks_all" if point == "kalai_smorodinsky" else "welfare_all"]
        if point != "nash" and any(
            max(abs(x - y) for x, y in zip(a, c, strict=True)) <= tolerance for c in tied
        ):
            continue  # one of NegMAS's tied answers
        if max(abs(x - y) for x, y in zip(a, b, strict=True)) <= tolerance:
            continue
        if point == "kalai_smorodinsky" and same_with_negmas_ideal(
            utilities, reservations, ours["frontier"], tied, tolerance
        ):
            convention = True
            continue
        problems.append(f"{point}: accord {a}, NegMAS {b}")
    return problems, convention


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--max-outcomes", type=int, default=1_000_000)
    parser.add_argument("--tolerance", type=float, default=1e-9)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    folders = sorted({p.parent for p in args.corpus.rglob("*.xml")})
    compared = skipped = 0
    mismatches: list[str] = []
    ideal_convention: list[str] = []
    accord_s = negmas_s = 0.0
    for folder in folders:
        name = folder.relative_to(args.corpus)
        try:
            scenario = Scenario.model_validate(genius_scenario(folder))
        except (AccordError, ValueError) as exc:
            print(f"skip {name}: not imported ({str(exc).splitlines()[0][:100]})")
            skipped += 1
            continue
        size = scenario.outcome_space().cardinality
        if len(scenario.parties) != 2 or size > args.max_outcomes:
            skipped += 1
            continue
        began = time.perf_counter()
        utilities, reservations, ours = accord_side(scenario)
        accord_s += time.perf_counter() - began
        began = time.perf_counter()
        theirs = negmas_side(utilities, reservations)
        negmas_s += time.perf_counter() - began
        compared += 1
        problems, convention = compare(utilities, reservations, ours, theirs, args.tolerance)
        if convention:
            ideal_convention.append(str(name))
        for problem in problems:
            line = f"MISMATCH {name} ({size:,} outcomes): {problem}"
            mismatches.append(line)
            print(line)
    print()
    print(f"domains compared: {compared} (two parties, at most {args.max_outcomes:,} outcomes)")
    print(f"folders skipped: {skipped} (not two parties, larger, or not imported)")
    print(f"mismatches: {len(mismatches)} (tolerance {args.tolerance:g})")
    print(
        f"Kalai-Smorodinsky points that differ only by the ideal point ({len(ideal_convention)}):"
        f" accord's rule with NegMAS's ideal picks NegMAS's point: {', '.join(ideal_convention)}"
    )
    print(f"time: accord {accord_s:.2f} s, NegMAS {negmas_s:.2f} s")


if __name__ == "__main__":
    main()
