"""The NegMAS 0.16 side of ``bench_saop.py``, and the random domains both sides share.

``make_domain`` needs only numpy, so accord's side imports it; ``run_negmas_bilateral`` imports
NegMAS when called. Run as a script (under a Python that has NegMAS) it times NegMAS on a
domain file and prints one JSON line per repetition::

    python bench/negmas_side.py DOMAIN.json [--steps 100] [--repeat 7]

Timed: building the outcome space, one ``LinearAdditiveUtilityFunction`` per party (table
value functions), ``SAOMechanism(n_steps=...)`` with a ``BoulwareTBNegotiator`` against an
``AspirationNegotiator`` (default parameters), and running it: what a NegMAS user does to
run one negotiation, like for like with accord's side. Not timed: importing NegMAS, including
``negmas.genius.negotiator``, which ``SAOMechanism.add`` otherwise imports on its first call
(plotly, PIL and ~80 other modules, tens of milliseconds in the first repetition only).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["make_domain", "run_negmas_bilateral"]


def shape(n_outcomes_target: int) -> tuple[int, int]:
    """(issues, values per issue) whose product is about ``n_outcomes_target``.

    Powers of ten get ten values per issue: 10^3 is 3 issues of 10 values, 10^5 is 5 of 10.
    """
    if n_outcomes_target < 1:
        raise ValueError(f"a domain needs at least one outcome, not {n_outcomes_target}")
    n_issues = max(1, round(math.log10(n_outcomes_target)))
    return n_issues, max(2, round(n_outcomes_target ** (1 / n_issues)))


def make_domain(
    n_outcomes_target: int, seed: int, party_ids: tuple[str, ...] = ("a", "b")
) -> dict[str, Any]:
    """A random linear-additive categorical domain of about ``n_outcomes_target`` outcomes for
    ``party_ids``: weights summing to 1 and value tables in [0, 1], from ``default_rng(seed)``
    (the first two parties get the same preferences whatever the number of parties)."""
    n_issues, n_values = shape(n_outcomes_target)
    rng = np.random.default_rng(seed)
    issues = [
        {"name": f"i{k}", "values": [f"v{j}" for j in range(n_values)]} for k in range(n_issues)
    ]
    parties = []
    for party in party_ids:
        raw = rng.random(n_issues)
        weights = [float(w) for w in raw / raw.sum()]
        weights[-1] = 1.0 - sum(weights[:-1])  # exactly 1 in floating point
        tables = {
            issue["name"]: {value: float(rng.random()) for value in issue["values"]}
            for issue in issues
        }
        names = [issue["name"] for issue in issues]
        parties.append(
            {
                "id": party,
                "weights": dict(zip(names, weights, strict=True)),
                "tables": tables,
                "reservation": 0.0,
            }
        )
    return {"issues": issues, "parties": parties}


def run_negmas_bilateral(domain: dict[str, Any], n_steps: int = 100) -> dict[str, Any]:
    """One NegMAS negotiation on ``domain``: agreement, steps and wall time."""
    import negmas.genius.negotiator  # noqa: F401, PLC0415  # else SAOMechanism.add imports it
    from negmas import SAOMechanism, make_issue  # noqa: PLC0415  # optional dependency
    from negmas.outcomes import make_os  # noqa: PLC0415
    from negmas.preferences import LinearAdditiveUtilityFunction, TableFun  # noqa: PLC0415
    from negmas.sao import AspirationNegotiator, BoulwareTBNegotiator  # noqa: PLC0415

    began = time.perf_counter()
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
    mechanism = SAOMechanism(outcome_space=space, n_steps=n_steps)
    mechanism.add(BoulwareTBNegotiator(), ufun=ufuns[0])
    mechanism.add(AspirationNegotiator(), ufun=ufuns[1])
    mechanism.run()
    seconds = time.perf_counter() - began
    agreement = mechanism.state.agreement
    named = None
    if agreement is not None:
        named = {i["name"]: v for i, v in zip(domain["issues"], agreement, strict=True)}
    return {"agreement": named, "steps": mechanism.state.step, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("domain", type=Path)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    domain = json.loads(args.domain.read_text())
    for _ in range(args.repeat):
        print(json.dumps(run_negmas_bilateral(domain, args.steps)), flush=True)


if __name__ == "__main__":
    main()
