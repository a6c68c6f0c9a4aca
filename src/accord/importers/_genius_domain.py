"""The issues of a GENIUS domain file (``<negotiation_template>``), as accord issues.

GENIUS issues are numbered by their ``index`` attribute; profiles refer to them by that number
(weights, evaluators, hyper-rectangle bounds). Three kinds exist: ``discrete`` (``<item
value=...>`` labels), ``integer`` and ``real`` (bounds as ``lowerbound``/``upperbound``
attributes or a ``<range>`` child). GENIUS names may hold spaces and punctuation, which accord
issue names may not: they are rewritten (``Size of Fund`` -> ``Size_of_Fund``, ``Price($)`` ->
``Price``) and the original name is kept in the issue's description.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from accord.importers._names import issue_name
from accord.importers._xml import Node, fail, integer, number

__all__ = ["DomainIssue", "issue_kind", "numeric_bounds", "objective_of", "read_domain"]

Kind = Literal["discrete", "integer", "real"]


@dataclass(frozen=True, slots=True)
class DomainIssue:
    """One issue of the domain: its GENIUS number and name, its accord name and its values."""

    index: int
    genius_name: str
    name: str
    kind: Kind
    labels: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 0.0

    def as_data(self) -> dict[str, Any]:
        """The issue as scenario data."""
        data: dict[str, Any] = {"name": self.name}
        if self.name != self.genius_name:
            data["description"] = self.genius_name
        if self.kind == "discrete":
            data |= {"type": "categorical", "values": list(self.labels)}
        elif self.kind == "integer":
            data |= {"type": "integer", "min": int(self.low), "max": int(self.high)}
        else:
            data |= {"type": "continuous", "min": self.low, "max": self.high}
        return data


def objective_of(path: Path, root: Node) -> Node:
    """The ``<objective>`` holding the issues: under ``<utility_space>`` (a domain file, whose
    root is ``<negotiation_template>``) or directly under the root (a profile)."""
    space = root.first("utility_space") if root.tag == "negotiation_template" else root
    objective = space.first("objective") if space is not None else None
    if objective is None:
        raise fail(path, root, "no <objective> element holding the issues was found")
    return objective


def issue_kind(path: Path, node: Node) -> Kind:
    """``discrete``, ``integer`` or ``real``, from ``type`` (or ``etype``/``vtype``; GENIUS
    takes an issue without any as discrete)."""
    kind = node.attrib.get("type") or node.attrib.get("etype") or node.attrib.get("vtype")
    kind = kind or "discrete"
    if kind not in ("discrete", "integer", "real"):
        raise fail(path, node, f"unknown issue type {kind!r}; expected discrete, integer or real")
    return kind  # type: ignore[return-value]  # narrowed by the membership test above


def numeric_bounds(path: Path, node: Node) -> tuple[float, float] | None:
    """The ``lowerbound``/``upperbound`` of an issue element (those of a ``<range>`` child win
    over the attributes); ``None`` when it gives neither."""
    holder = node
    for child in node.all("range"):
        holder = child
    if "lowerbound" not in holder.attrib and "upperbound" not in holder.attrib:
        return None
    return number(path, holder, "lowerbound"), number(path, holder, "upperbound")


def read_domain(path: Path, root: Node) -> list[DomainIssue]:
    """The issues of the domain file at ``path`` (parsed as ``root``), ordered by number."""
    objective = objective_of(path, root)
    issues: dict[int, DomainIssue] = {}
    taken: set[str] = set()
    for node in objective.children:
        if node.tag == "objective":
            raise fail(
                path,
                node,
                "nested objectives are not supported; put the issues directly "
                "under the root objective",
            )
        if node.tag != "issue":
            continue
        index = integer(path, node, "index")
        if index in issues:
            raise fail(path, node, f"issue number {index} is used twice")
        genius_name = node.attrib.get("name", "")
        if not genius_name.strip():
            raise fail(path, node, "an issue needs a non-empty name")
        issues[index] = _issue(path, node, index, genius_name, issue_name(genius_name, taken))
    if not issues:
        raise fail(path, objective, "the domain has no <issue> elements")
    return [issues[k] for k in sorted(issues)]


def _issue(path: Path, node: Node, index: int, genius_name: str, name: str) -> DomainIssue:
    kind = issue_kind(path, node)
    if kind == "discrete":
        labels: list[str] = []
        for item in node.all("item"):
            label = item.attrib.get("value")
            if label is None:
                raise fail(path, item, "an <item> needs a value attribute")
            if label not in labels:  # a repeated item adds no outcome (NegMAS skips it too)
                labels.append(label)
        if not labels:
            raise fail(path, node, "a discrete issue needs at least one <item>")
        return DomainIssue(index, genius_name, name, kind, labels=tuple(labels))
    bounds = numeric_bounds(path, node)
    if bounds is None:
        raise fail(path, node, f"an {kind} issue needs lowerbound and upperbound")
    low, high = bounds
    if kind == "integer" and not (low.is_integer() and high.is_integer()):
        raise fail(path, node, f"integer bounds must be integers, got [{low!r}, {high!r}]")
    if high < low or (kind == "real" and high == low):
        raise fail(path, node, f"upperbound must exceed lowerbound, got [{low!r}, {high!r}]")
    return DomainIssue(index, genius_name, name, kind, low=low, high=high)
