"""Per-issue evaluations of a GENIUS linear-additive profile, as GENIUS computes them.

* **discrete** (``<item value=... evaluation=...>``): GENIUS (``EvaluatorDiscrete``) divides
  each evaluation by the issue's largest one when that largest one rounds to more than 1,
  rounding both to integers first (Java ``Math.round``); when every evaluation is at most 1 it
  uses them as written. Negative evaluations are refused, as GENIUS refuses them.
* **integer** (``<evaluator ftype="linear" slope=... offset=...>``): GENIUS
  (``EvaluatorInteger``) computes ``offset + slope * (x - lowerbound)``, with the lower bound
  the profile's issue element gives, clipped to ``[0, 1]``.
* **real** (``<evaluator ftype=... parameter0=... parameter1=... parameter2=...>``): GENIUS
  (``EvaluatorReal``) computes ``linear`` as ``parameter0 + parameter1 * x`` clipped to
  ``[0, 1]``, ``constant`` as ``parameter0`` and ``triangular`` as 0 below ``parameter0``,
  rising to 1 at ``parameter2``, falling to 0 at ``parameter1``.

A clipped line is a piecewise-linear value function with its corners where the line crosses 0
and 1, so every one of these is exact in accord.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from accord.importers._genius_domain import DomainIssue, numeric_bounds
from accord.importers._xml import Node, fail, number

__all__ = ["Curve", "Table", "evaluation"]


@dataclass(frozen=True, slots=True)
class Table:
    """A value in ``[0, 1]`` for every label of a discrete issue."""

    values: dict[str, float]

    def top(self, issue: DomainIssue) -> float:
        """The largest value over the issue."""
        return max(self.values.values())

    def scaled(self, factor: float) -> Table:
        return Table({label: min(1.0, v * factor) for label, v in self.values.items()})

    def as_data(self, issue: DomainIssue) -> dict[str, Any]:
        return {"type": "table", "table": dict(self.values)}


@dataclass(frozen=True, slots=True)
class Curve:
    """Straight segments through ``points`` (x strictly increasing), flat beyond the ends."""

    points: tuple[tuple[float, float], ...]

    def top(self, issue: DomainIssue) -> float:
        """The largest value the issue's values reach: at its bounds or a corner between them
        (for an integer issue, the integers either side of a corner)."""
        xs = [x for x, _ in self.points]
        candidates = [issue.low, issue.high]
        for x in xs:
            if issue.low < x < issue.high:
                candidates += [math.floor(x), math.ceil(x)] if issue.kind == "integer" else [x]
        ys = [y for _, y in self.points]
        return float(np.max(np.interp(candidates, xs, ys)))

    def scaled(self, factor: float) -> Curve:
        return Curve(tuple((x, min(1.0, y * factor)) for x, y in self.points))

    def as_data(self, issue: DomainIssue) -> dict[str, Any]:
        (x0, y0), (x1, y1) = self.points[0], self.points[-1]
        if len(self.points) == 1:
            return {"type": "linear", "low": y0, "high": y0}
        if len(self.points) == 2 and (x0, x1) == (issue.low, issue.high):
            return {"type": "linear", "low": y0, "high": y1}
        return {"type": "piecewise-linear", "points": [[x, y] for x, y in self.points]}


Value = Table | Curve


def evaluation(path: Path, node: Node, issue: DomainIssue) -> Value:
    """What the profile's issue element ``node`` makes of the values of ``issue``."""
    if issue.kind == "discrete":
        return _discrete(path, node, issue)
    if node.all("item"):
        raise fail(path, node, f"an {issue.kind} issue cannot give <item> evaluations")
    evaluator = node.first("evaluator")
    if evaluator is None:
        raise fail(path, node, f"an {issue.kind} issue needs an <evaluator>")
    ftype = evaluator.attrib.get("ftype", "linear")
    if issue.kind == "integer":
        if ftype != "linear":
            raise fail(
                path, evaluator, f"integer issues support ftype 'linear' only, got {ftype!r}"
            )
        bounds = numeric_bounds(path, node)
        origin = issue.low if bounds is None else bounds[0]
        slope, offset = number(path, evaluator, "slope"), number(path, evaluator, "offset")
        return _clipped_line(offset, slope, origin, issue)
    return _real(path, evaluator, ftype, issue)


def _java_round(x: float) -> int:
    return math.floor(x + 0.5)


def _discrete(path: Path, node: Node, issue: DomainIssue) -> Table:
    evaluations: dict[str, float] = {}
    for item in node.all("item"):
        label = item.attrib.get("value")
        if label is None:
            raise fail(path, item, "an <item> needs a value attribute")
        if label not in issue.labels:
            raise fail(
                path,
                item,
                f"{label!r} is not a value of the domain's issue "
                f"{issue.genius_name!r} (its values are {list(issue.labels)!r})",
            )
        value = number(path, item, "evaluation")
        if value < 0:
            raise fail(path, item, f"evaluations must be >= 0 (GENIUS refuses them), got {value!r}")
        if evaluations.get(label, value) != value:
            raise fail(path, item, f"{label!r} is evaluated twice, differently")
        evaluations[label] = value
    missing = [label for label in issue.labels if label not in evaluations]
    if missing:
        raise fail(path, node, f"no evaluation for the values {missing!r}")
    top = max(evaluations.values())
    if _java_round(top) > 1:
        return Table({k: _java_round(v) / _java_round(top) for k, v in evaluations.items()})
    if top > 1:
        raise fail(
            path,
            node,
            f"the largest evaluation {top!r} rounds to 1, so GENIUS uses the "
            "evaluations as written, and some exceed 1",
        )
    return Table(evaluations)


def _clipped_line(offset: float, slope: float, origin: float, issue: DomainIssue) -> Curve:
    """``offset + slope * (x - origin)`` clipped to ``[0, 1]``, over the issue's range."""
    xs = {issue.low, issue.high}
    if slope:
        for level in (0.0, 1.0):
            x = origin + (level - offset) / slope
            if issue.low < x < issue.high:
                xs.add(x)
    return Curve(tuple((x, min(1.0, max(0.0, offset + slope * (x - origin)))) for x in sorted(xs)))


def _real(path: Path, evaluator: Node, ftype: str, issue: DomainIssue) -> Curve:
    def parameter(k: int, alias: str | None = None) -> float:
        name = f"parameter{k}"
        if name not in evaluator.attrib and alias is not None and alias in evaluator.attrib:
            name = alias
        return number(path, evaluator, name)

    if ftype == "linear":
        return _clipped_line(parameter(0, "offset"), parameter(1, "slope"), 0.0, issue)
    if ftype == "constant":
        value = parameter(0)
        if not 0.0 <= value <= 1.0:
            raise fail(path, evaluator, f"a constant evaluation must be in [0, 1], got {value!r}")
        return Curve(((issue.low, value), (issue.high, value)))
    if ftype == "triangular":
        low, high, top = parameter(0), parameter(1), parameter(2)
        if not low < top < high:
            raise fail(
                path,
                evaluator,
                "a triangular evaluator needs parameter0 < parameter2 < "
                f"parameter1, got {low!r}, {top!r}, {high!r}",
            )
        return Curve(((low, 0.0), (top, 1.0), (high, 0.0)))
    raise fail(
        path, evaluator, f"real issues support ftype linear, constant and triangular, got {ftype!r}"
    )
