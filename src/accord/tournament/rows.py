"""One row per negotiation: the columns of ``results.csv`` and how a result becomes a row.

Keys: ``index``, ``key``, ``scenario``, ``mechanism``, ``repetition``, ``assignment``,
``seed``. Then ``status`` (``ok``, or ``failed`` when the negotiation itself crashed, with
``error``), the result (``reason``, ``responsible``, ``rounds``, ``agreement``, ``outcome`` as
JSON, ``violations`` as ``party:kind`` separated by ``;``, ``wall_time_s``), per party role
``roleN_party``, ``roleN_strategy``, ``roleN_utility``, ``roleN_discounted_utility``,
``roleN_gain`` (N from 1; empty for scenarios with fewer parties), and every outcome metric.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from accord.analysis import OutcomeMetrics
from accord.result import NegotiationResult
from accord.tournament.plan import Job

__all__ = [
    "DISTANCES",
    "Cell",
    "Row",
    "column_types",
    "columns",
    "failed_row",
    "parse_row",
    "result_row",
]

Cell = str | int | float | bool | None
Row = dict[str, Cell]

DISTANCES = ("nash", "kalai_smorodinsky", "egalitarian")

_KEYS: dict[str, type] = {
    "index": int,
    "key": str,
    "scenario": str,
    "mechanism": str,
    "repetition": int,
    "assignment": str,
    "seed": int,
    "negotiation_id": str,
    "status": str,
    "error": str,
    "reason": str,
    "responsible": str,
    "rounds": int,
    "agreement": bool,
    "outcome": str,
    "violations": str,
    "wall_time_s": float,
}
_ROLE: dict[str, type] = {
    "party": str,
    "strategy": str,
    "utility": float,
    "discounted_utility": float,
    "gain": float,
}
_METRICS: dict[str, type] = {
    "individually_rational": bool,
    "pareto_optimal": bool,
    "pareto_distance": float,
    **{f"distance_{name}": float for name in DISTANCES},
    "welfare": float,
    "max_welfare": float,
    "welfare_share": float,
    "gini": float,
    "min_max_ratio": float,
}


def column_types(roles: int) -> dict[str, type]:
    """Each column's type (``int``, ``float``, ``bool`` or ``str``; every cell may be empty)."""
    return _types(roles)


def _types(roles: int) -> dict[str, type]:
    types = dict(_KEYS)
    for n in range(1, roles + 1):
        types |= {f"role{n}_{name}": kind for name, kind in _ROLE.items()}
    return types | _METRICS


def columns(roles: int) -> list[str]:
    """The columns of a tournament whose largest scenario has ``roles`` parties."""
    return list(_types(roles))


def _keys(job: Job) -> Row:
    row: Row = {
        "index": job.index,
        "key": job.key,
        "scenario": job.scenario,
        "mechanism": job.mechanism,
        "repetition": job.repetition,
        "assignment": job.assignment,
        "seed": job.seed,
    }
    for n, strategy in enumerate(job.strategies, start=1):
        row[f"role{n}_strategy"] = strategy
    return row


def _one_line(text: str) -> str:
    """A cell never holds a line break, so that a torn last line is always detectable."""
    return " ".join(text.split())


def result_row(job: Job, result: NegotiationResult, metrics: OutcomeMetrics | None) -> Row:
    row = _keys(job)
    row |= {
        "negotiation_id": result.negotiation_id,
        "status": "ok",
        "reason": result.reason,
        "responsible": result.responsible,
        "rounds": result.rounds,
        "agreement": result.agreement,
        "outcome": (
            json.dumps(result.outcome, sort_keys=True, separators=(",", ":"))
            if result.outcome is not None
            else None
        ),
        "violations": ";".join(_one_line(f"{v.party}:{v.kind}") for v in result.violations) or None,
        "wall_time_s": result.wall_time_s,
    }
    for n, party in enumerate(result.parties, start=1):
        row[f"role{n}_party"] = party.id
        row[f"role{n}_utility"] = party.utility
        row[f"role{n}_discounted_utility"] = party.discounted_utility
        row[f"role{n}_gain"] = party.gain
    if metrics is not None:
        row |= {
            "individually_rational": metrics.individually_rational,
            "pareto_optimal": metrics.pareto_optimal,
            "pareto_distance": metrics.pareto_distance,
            "welfare": metrics.welfare,
            "max_welfare": metrics.max_welfare,
            "welfare_share": metrics.welfare_share,
            "gini": metrics.gini,
            "min_max_ratio": metrics.min_max_ratio,
        }
        for name in DISTANCES:
            row[f"distance_{name}"] = metrics.distance_to.get(name)
    return row


def failed_row(job: Job, negotiation_id: str, error: BaseException) -> Row:
    """The row of a negotiation that crashed: its keys, ``status`` ``failed`` and the error."""
    row = _keys(job)
    row |= {
        "negotiation_id": negotiation_id,
        "status": "failed",
        "error": _one_line(f"{type(error).__name__}: {error}")[:2000],
    }
    return row


def _boolean(text: str) -> bool:
    if text not in {"True", "False"}:
        raise ValueError(f"expected True or False, got {text!r}")
    return text == "True"


_PARSE: dict[type, Callable[[str], Cell]] = {int: int, float: float, bool: _boolean, str: str}


def parse_row(raw: Mapping[str, str], roles: int) -> dict[str, Any]:
    """A row read back from CSV, with its types (empty cells are ``None``); raises
    ``ValueError`` on a cell that does not parse."""
    types = _types(roles)
    return {
        name: (None if raw.get(name, "") == "" else _PARSE[types[name]](raw[name]))
        for name in types
    }
