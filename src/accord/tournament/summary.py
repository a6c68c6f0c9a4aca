"""Per-strategy summary of a tournament, with 95% confidence intervals.

Every (negotiation, party role) is one observation of the strategy in that role: a strategy
meeting itself counts twice. Negotiations that crashed (``status`` ``failed``) are counted but
left out of the statistics. Intervals are Student-t intervals of the mean,
``mean ± t(0.975, n-1) · s / sqrt(n)``; with a single observation there is none.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "FAULTS",
    "METRICS",
    "Estimate",
    "StrategySummary",
    "estimate",
    "summarise",
    "summary_columns",
    "write_summary",
]

METRICS: dict[str, str] = {
    "utility": "mean utility",
    "gain": "mean gain",
    "agreement": "agreement rate",
    "welfare_share": "mean welfare share",
    "distance_nash": "mean distance to Nash",
    "distance_kalai_smorodinsky": "mean distance to Kalai-Smorodinsky",
    "gini": "mean Gini of gains",
}
"""The summarised quantities and what they mean."""

FAULTS = frozenset({"strategy_error", "protocol_violation", "turn_timeout"})
"""Reasons that put a negotiation's end on the responsible party."""

CONFIDENCE = 0.95


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Estimate(_Model):
    n: int
    mean: float | None
    low: float | None
    high: float | None


class StrategySummary(_Model):
    strategy: str
    negotiations: int
    """Seats taken, failed negotiations included."""
    failed: int
    """Seats in negotiations that crashed."""
    faults: int
    """Negotiations this strategy ended by raising, breaking the protocol or timing out."""
    estimates: dict[str, Estimate]


def estimate(values: list[float]) -> Estimate:
    """The mean of ``values`` with its t-based 95% confidence interval."""
    n = len(values)
    if n == 0:
        return Estimate(n=0, mean=None, low=None, high=None)
    mean = math.fsum(values) / n
    if n == 1:
        return Estimate(n=1, mean=mean, low=None, high=None)
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    # the t quantile straight from scipy.special (what scipy.stats.t.ppf calls): about a
    # tenth of a second to import, where scipy.stats takes a second
    from scipy.special import stdtrit  # noqa: PLC0415  # only when summarising

    half = float(stdtrit(n - 1, 0.5 + CONFIDENCE / 2)) * sd / math.sqrt(n)
    return Estimate(n=n, mean=mean, low=mean - half, high=mean + half)


def _observations(row: Mapping[str, Any], role: int) -> dict[str, float | None]:
    agreement = row["agreement"]
    return {
        "utility": row[f"role{role}_utility"],
        "gain": row[f"role{role}_gain"],
        "agreement": None if agreement is None else float(agreement),
        "welfare_share": row["welfare_share"],
        "distance_nash": row["distance_nash"],
        "distance_kalai_smorodinsky": row["distance_kalai_smorodinsky"],
        "gini": row["gini"],
    }


def summarise(rows: Iterable[Mapping[str, Any]], strategies: list[str]) -> list[StrategySummary]:
    """One summary per strategy label (in spec order) from typed result rows."""
    values: dict[str, dict[str, list[float]]] = {s: {m: [] for m in METRICS} for s in strategies}
    seats = dict.fromkeys(strategies, 0)
    failed = dict.fromkeys(strategies, 0)
    faults = dict.fromkeys(strategies, 0)
    for row in rows:
        role = 1
        while f"role{role}_strategy" in row and row[f"role{role}_strategy"] is not None:
            strategy = str(row[f"role{role}_strategy"])
            seats[strategy] = seats.get(strategy, 0) + 1
            if row["status"] != "ok":
                failed[strategy] = failed.get(strategy, 0) + 1
            else:
                if row["reason"] in FAULTS and row["responsible"] == row[f"role{role}_party"]:
                    faults[strategy] = faults.get(strategy, 0) + 1
                bucket = values.setdefault(strategy, {m: [] for m in METRICS})
                for metric, value in _observations(row, role).items():
                    if value is not None:
                        bucket[metric].append(float(value))
            role += 1
    return [
        StrategySummary(
            strategy=strategy,
            negotiations=seats.get(strategy, 0),
            failed=failed.get(strategy, 0),
            faults=faults.get(strategy, 0),
            estimates={m: estimate(v) for m, v in values[strategy].items()},
        )
        for strategy in values
    ]


def summary_columns() -> list[str]:
    names = ["strategy", "negotiations", "failed", "faults"]
    for metric in METRICS:
        names += [f"{metric}_mean", f"{metric}_low", f"{metric}_high", f"{metric}_n"]
    return names


def write_summary(path: Path, summaries: list[StrategySummary]) -> None:
    """``summary.csv``: one row per strategy, ``<metric>_mean``, ``_low``, ``_high``, ``_n``."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(summary_columns())
        for s in summaries:
            cells: list[Any] = [s.strategy, s.negotiations, s.failed, s.faults]
            for metric in METRICS:
                e = s.estimates[metric]
                cells += [e.mean, e.low, e.high, e.n]
            writer.writerow(cells)
