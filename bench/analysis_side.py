"""One side of ``bench_analysis.py``, run in a fresh process per measurement so that its peak
memory is its own.

    python bench/analysis_side.py accord DOMAIN.json [--repeat 5]
    python bench/analysis_side.py negmas DOMAIN.json [--repeat 1]   # under NegMAS's python

``DOMAIN.json`` is a ``negmas_side.make_domain`` domain. Each repetition builds the preferences
from it (accord: the scenario, validated; NegMAS: the outcome space and one
``LinearAdditiveUtilityFunction`` per party) and computes the full statistics (accord:
``analyze_scenario``; NegMAS: ``calc_scenario_stats``: frontier, Nash, Kalai-Smorodinsky,
egalitarian (NegMAS's "Kalai") and maximum-welfare points). It prints one JSON line per
repetition: seconds, the process's resident memory before the first repetition and at its
peak (``ru_maxrss``), the size of the individually rational frontier (NegMAS's frontier is
only that) and each point's utilities, so that the caller can check both sides agree.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def accord_side(domain: dict[str, Any]) -> dict[str, Any]:
    from bench_saop import scenario_from  # noqa: PLC0415  # a sibling script that imports accord

    from accord import Scenario  # noqa: PLC0415  # each side imports only its own library
    from accord.analysis import analyze_scenario  # noqa: PLC0415

    data = scenario_from(domain, rounds=100)
    scenario = Scenario.model_validate(data | {"max_outcomes": 10**8})
    analysis = analyze_scenario(scenario)
    ids = [p["id"] for p in domain["parties"]]

    def utilities(point: Any) -> list[float] | None:
        return None if point is None else [point.utilities[p] for p in ids]

    rational = [
        q for q in analysis.pareto if all(q.utilities[p] >= analysis.reservations[p] for p in ids)
    ]
    return {
        "size": analysis.size,
        "frontier": len(analysis.pareto),
        "rational_frontier": len(rational),
        "nash": utilities(analysis.nash),
        "kalai_smorodinsky": utilities(analysis.kalai_smorodinsky),
        "egalitarian": utilities(analysis.egalitarian),
        "max_welfare": utilities(analysis.max_welfare),
    }


def negmas_side(domain: dict[str, Any]) -> dict[str, Any]:
    from negmas import make_issue  # noqa: PLC0415  # optional dependency
    from negmas.outcomes import make_os  # noqa: PLC0415
    from negmas.preferences import LinearAdditiveUtilityFunction, TableFun  # noqa: PLC0415
    from negmas.preferences.ops import calc_scenario_stats  # noqa: PLC0415

    issues = [make_issue(list(i["values"]), name=i["name"]) for i in domain["issues"]]
    space = make_os(issues)
    ufuns = [
        LinearAdditiveUtilityFunction(
            values=[TableFun(party["tables"][i["name"]]) for i in domain["issues"]],
            weights=[party["weights"][i["name"]] for i in domain["issues"]],
            outcome_space=space,
            reserved_value=party["reservation"],
        )
        for party in domain["parties"]
    ]
    stats = calc_scenario_stats(ufuns)

    def first(points: Any) -> list[float] | None:
        return [float(u) for u in points[0]] if points else None

    return {
        "size": space.cardinality,
        "frontier": len(stats.pareto_utils),
        "rational_frontier": len(stats.pareto_utils),  # NegMAS keeps rational outcomes only
        "nash": first(stats.nash_utils),
        "kalai_smorodinsky": first(stats.ks_utils),
        "egalitarian": first(stats.kalai_utils),
        "max_welfare": first(stats.max_welfare_utils),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("side", choices=("accord", "negmas"))
    parser.add_argument("domain", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    domain = json.loads(args.domain.read_text())
    work = accord_side if args.side == "accord" else negmas_side
    if args.side == "accord":
        import accord.analysis  # noqa: F401, PLC0415  # imports are not part of the timing
    else:
        import negmas.preferences.ops  # noqa: F401, PLC0415
    base = rss_mb()
    for _ in range(args.repeat):
        began = time.perf_counter()
        answer = work(domain)
        seconds = time.perf_counter() - began
        print(json.dumps({"seconds": seconds, "base_mb": base, "peak_mb": rss_mb(), **answer}))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
