"""One GENIUS preference profile (a ``<utility_space>`` file) as an accord profile.

Utilities are those GENIUS computes, the platform the ANAC domains were written for:

* **linear-additive** profiles: ``min(1, sum(weight_i * evaluation_i(x_i)))`` with the
  evaluations of :mod:`accord.importers._genius_values` and the ``<weight index=...>`` of each
  issue as written (a weight for the enclosing objective plays no part, as in GENIUS). accord
  wants weights that sum to 1: when they do not, the same utilities are written with rescaled
  weights and value functions, which is exact as long as no outcome is worth more than 1;
  when one is, GENIUS caps it at 1, which no linear-additive utility can express, and the
  profile is refused.
* **hyper-rectangle** profiles (ANAC 2014, ``<utility maxutility=...>`` holding one
  ``<ufun type="PlainUfun" aggregation="sum">``): an outcome earns the ``utility`` of every
  ``<hyperRectangle>`` whose ``<INCLUDES index= min= max=>`` bounds it satisfies (closed
  intervals, on the issues numbered ``index``); the sum is divided by ``maxutility`` and
  capped at 1 (GENIUS ``NonlinearUtilitySpace``).
* ``<reservation value=...>`` is the reservation value (default 0) and ``<discount_factor
  value=...>`` the discount factor per unit of relative time (default 1; GENIUS reads 0 as
  "no discount").

Elements GENIUS ignores when it computes utilities (``<similarity_function>`` in the car
domains, the issues' ``cost`` and ``description``) are ignored here too.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from accord.importers._genius_domain import DomainIssue, issue_kind, objective_of
from accord.importers._genius_values import Value, evaluation
from accord.importers._xml import Node, fail, integer, number

__all__ = ["read_profile"]

_SUM_TOLERANCE = 1e-9
"""Weights summing to 1 within this are kept as written (the utility differs from GENIUS's
capped one by at most this much)."""


def read_profile(path: Path, root: Node, issues: list[DomainIssue]) -> dict[str, Any]:
    """The profile in the file at ``path`` (parsed as ``root``) over the domain's ``issues``,
    as scenario data."""
    objective = objective_of(path, root)
    nodes = _issue_nodes(path, objective, issues)
    utility_nodes = objective.all("utility") + objective.all("utility_function")
    if utility_nodes:
        if len(utility_nodes) > 1:
            raise fail(path, utility_nodes[1], "a profile holds one <utility> element at most")
        if objective.all("weight"):
            raise fail(path, objective, "a profile mixing <weight>s and <utility> is not supported")
        utility = _hyper_rectangles(path, utility_nodes[0], issues)
    else:
        utility = _additive(path, objective, nodes, issues)
    reservation = _setting(path, root, objective, "reservation", 0.0)
    if not 0.0 <= reservation <= 1.0:
        raise fail(path, root, f"the reservation value must be in [0, 1], got {reservation!r}")
    discount = _setting(path, root, objective, "discount_factor", 1.0)
    if not 0.0 <= discount <= 1.0:
        raise fail(path, root, f"the discount factor must be in [0, 1], got {discount!r}")
    return {"utility": utility, "reservation": reservation, "discount": discount or 1.0}


def _setting(path: Path, root: Node, objective: Node, tag: str, default: float) -> float:
    nodes = root.all(tag) + (objective.all(tag) if objective is not root else [])
    if len(nodes) > 1:
        raise fail(path, nodes[1], f"<{tag}> is given more than once")
    return number(path, nodes[0], "value") if nodes else default


def _issue_nodes(path: Path, objective: Node, issues: list[DomainIssue]) -> dict[int, Node]:
    """The profile's issue elements by number, checked against the domain's issues."""
    by_index = {issue.index: issue for issue in issues}
    nodes: dict[int, Node] = {}
    for node in objective.all("issue"):
        index = integer(path, node, "index")
        issue = by_index.get(index)
        if issue is None:
            raise fail(path, node, f"the domain has no issue number {index}")
        if node.attrib.get("name") != issue.genius_name:
            raise fail(
                path,
                node,
                f"issue number {index} is {issue.genius_name!r} in the domain, but "
                f"{node.attrib.get('name')!r} here",
            )
        kind = issue_kind(path, node)
        if kind != issue.kind:
            raise fail(path, node, f"the issue is {issue.kind} in the domain, but {kind} here")
        if index in nodes:
            raise fail(path, node, f"issue number {index} is given twice")
        nodes[index] = node
    return nodes


def _additive(
    path: Path, objective: Node, nodes: dict[int, Node], issues: list[DomainIssue]
) -> dict[str, Any]:
    weights = _weights(path, objective, issues)
    values: dict[int, Value] = {}
    for issue in issues:
        node = nodes.get(issue.index)
        if node is None:
            raise fail(
                path,
                objective,
                f"no evaluation for issue {issue.genius_name!r} (number {issue.index})",
            )
        if issue.index not in weights:
            raise fail(path, node, "the issue has no <weight>")
        values[issue.index] = evaluation(path, node, issue)
    total = math.fsum(weights.values())
    if abs(total - 1.0) > _SUM_TOLERANCE:
        weights, values = _rescaled(path, objective, issues, weights=weights, values=values)
    return {
        "type": "linear-additive",
        "weights": {issue.name: weights[issue.index] for issue in issues},
        "values": {issue.name: values[issue.index].as_data(issue) for issue in issues},
    }


def _weights(path: Path, objective: Node, issues: list[DomainIssue]) -> dict[int, float]:
    numbers = {issue.index for issue in issues}
    own = objective.attrib.get("index", "").strip()
    weights: dict[int, float] = {}
    for node in objective.all("weight"):
        index = integer(path, node, "index")
        if index not in numbers:
            if str(index) == own:
                continue  # the objective's own weight: GENIUS sums over issues only
            raise fail(path, node, f"a weight for issue number {index}, which the domain lacks")
        if index in weights:
            raise fail(path, node, f"issue number {index} is weighted twice")
        weight = number(path, node, "value")
        if weight < 0:
            raise fail(path, node, f"weights must be >= 0, got {weight!r}")
        weights[index] = weight
    return weights


def _rescaled(
    path: Path,
    objective: Node,
    issues: list[DomainIssue],
    *,
    weights: dict[int, float],
    values: dict[int, Value],
) -> tuple[dict[int, float], dict[int, Value]]:
    """Weights that sum to 1 and value functions giving the same utilities: issue ``i`` with
    weight ``w`` and largest value ``m`` gets weight ``w * m / best`` and its values times
    ``best / m``, where ``best`` (the sum of ``w * m``) is the best outcome's utility."""
    total = math.fsum(weights.values())
    tops = {issue.index: values[issue.index].top(issue) for issue in issues}
    best = math.fsum(weights[k] * tops[k] for k in weights)
    if best > 1.0:
        raise fail(
            path,
            objective,
            f"the weights sum to {total!r} and the best outcome is worth "
            f"{best!r} > 1; GENIUS caps utilities at 1, which a linear-additive utility "
            "cannot express",
        )
    if best <= 0.0:
        raise fail(path, objective, "every outcome is worth 0; there is nothing to negotiate")
    new_weights = {k: weights[k] * tops[k] / best for k in weights}
    new_values = {k: values[k].scaled(best / tops[k]) if tops[k] > 0 else values[k] for k in values}
    return new_weights, new_values


def _hyper_rectangles(path: Path, utility: Node, issues: list[DomainIssue]) -> dict[str, Any]:
    scale = number(path, utility, "maxutility")
    if scale <= 0:
        raise fail(path, utility, f"maxutility must be > 0, got {scale!r}")
    ufuns = utility.all("ufun")
    if len(ufuns) != 1:
        raise fail(path, utility, f"expected exactly one <ufun>, found {len(ufuns)}")
    ufun = ufuns[0]
    aggregation = ufun.attrib.get("aggregation", "sum")
    if aggregation != "sum":
        raise fail(path, ufun, f"only aggregation 'sum' is supported, got {aggregation!r}")
    if number(path, ufun, "weight", "1") != 1.0:
        raise fail(path, ufun, "only a <ufun> of weight 1 is supported")
    by_index = {issue.index: issue for issue in issues}
    constraints = []
    for rect in ufun.children:
        if rect.tag != "hyperRectangle":
            raise fail(path, rect, "only <hyperRectangle> elements are supported in a <ufun>")
        worth = number(path, rect, "utility") * number(path, rect, "weight", "1")
        if worth < 0:
            raise fail(path, rect, f"negative utilities are not supported, got {worth!r}")
        bounds = _box(path, rect, by_index)
        if bounds is not None:
            constraints.append({"utility": worth, "bounds": bounds})
    if not constraints:
        raise fail(path, ufun, "no <hyperRectangle> can ever be satisfied")
    return {"type": "hyper-rectangle", "constraints": constraints, "scale": scale}


def _box(path: Path, rect: Node, by_index: dict[int, DomainIssue]) -> dict[str, list[float]] | None:
    """The bounds of a hyper-rectangle by issue name; ``None`` when no outcome satisfies them."""
    bounds: dict[str, list[float]] = {}
    for node in rect.children:
        if node.tag != "INCLUDES":
            raise fail(path, node, f"only <INCLUDES> bounds are supported, got <{node.tag}>")
        index = integer(path, node, "index")
        issue = by_index.get(index)
        if issue is None:
            raise fail(path, node, f"the domain has no issue number {index}")
        if issue.kind == "discrete":
            raise fail(path, node, f"issue {issue.genius_name!r} is discrete; bounds need numbers")
        low, high = number(path, node, "min"), number(path, node, "max")
        if issue.name in bounds:  # every bound must hold: intersect
            low, high = max(low, bounds[issue.name][0]), min(high, bounds[issue.name][1])
        bounds[issue.name] = [low, high]
    if any(low > high for low, high in bounds.values()):
        return None
    if not bounds:  # no bound at all: GENIUS counts the rectangle for every outcome
        numeric = [issue for issue in by_index.values() if issue.kind != "discrete"]
        if not numeric:
            raise fail(path, rect, "a rectangle without bounds needs a numeric issue to span")
        bounds[numeric[0].name] = [numeric[0].low, numeric[0].high]
    return bounds
