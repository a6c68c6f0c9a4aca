"""The issues of a GeniusWeb domain file, as accord issues.

A domain is ``{"name": ..., "issuesValues": {ISSUE: VALUES, ...}}``; the issues keep the
order of the file. ``VALUES`` is one of

* ``{"values": ["a", "b", ...]}``: discrete values (strings), a categorical issue;
* ``{"range": {"low": L, "high": H, "step": S}}``: the numbers ``L + k * S`` up to ``H``
  (GeniusWeb's ``NumberValueSet``). With integer ``L`` and ``S = 1`` it is an integer issue
  (exact). Otherwise it is a continuous issue from ``L`` to the last number of the range, whose
  grid (the points a strategy enumerates) is exactly the range's numbers; a party may still
  offer a number between them, which GeniusWeb would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal

from accord.importers._json import Constant, Where
from accord.importers._names import issue_name

__all__ = ["WebIssue", "read_domain", "same_domain"]

_MAX_GRID = 1_000_000
"""The largest grid of an accord continuous issue."""


@dataclass(frozen=True, slots=True)
class WebIssue:
    """One issue: its GeniusWeb name, its accord name and its values."""

    web_name: str
    name: str
    kind: Literal["discrete", "number"]
    labels: tuple[str, ...] = ()
    low: Decimal = Decimal(0)
    high: Decimal = Decimal(0)
    step: Decimal = Decimal(1)

    @property
    def size(self) -> int:
        """How many values the issue has (GeniusWeb's ``Range.size``)."""
        if self.kind == "discrete":
            return len(self.labels)
        steps = ((self.high - self.low) / self.step).quantize(Decimal(1), rounding=ROUND_FLOOR)
        return 1 + int(steps)

    @property
    def last(self) -> Decimal:
        """The largest number of a range (``high``, or below it when steps do not reach it)."""
        return self.low + self.step * (self.size - 1)

    @property
    def integral(self) -> bool:
        """Whether a range is every integer from ``low`` to ``last``."""
        return self.kind == "number" and self.low == self.low.to_integral() and self.step == 1

    def contains(self, value: object) -> bool:
        """Whether ``value`` (as parsed from JSON) is one of the issue's values."""
        if self.kind == "discrete":
            return (
                isinstance(value, str) and not isinstance(value, Constant) and value in self.labels
            )
        if not isinstance(value, Decimal) or not self.low <= value <= self.high:
            return False
        return ((value - self.low) / self.step) == ((value - self.low) / self.step).to_integral()

    def as_data(self) -> dict[str, Any]:
        """The issue as scenario data."""
        data: dict[str, Any] = {"name": self.name}
        if self.name != self.web_name:
            data["description"] = self.web_name
        if self.kind == "discrete":
            return data | {"type": "categorical", "values": list(self.labels)}
        if self.integral:
            return data | {"type": "integer", "min": int(self.low), "max": int(self.last)}
        return data | {
            "type": "continuous",
            "min": float(self.low),
            "max": float(self.last),
            "grid": self.size,
        }


def read_domain(domain: Where) -> tuple[str, list[WebIssue]]:
    """The name and the issues of the domain ``domain`` (a whole domain file, or the
    ``domain`` a profile holds)."""
    root = domain.mapping(required=("issuesValues",), allowed=("name",))
    name = domain.get("name").string() if "name" in root else ""
    issues: list[WebIssue] = []
    taken: set[str] = set()
    values = domain.get("issuesValues")
    for web_name, where in values.items():
        if not web_name.strip():
            raise where.fail("an issue needs a non-empty name")
        issues.append(_issue(web_name, issue_name(web_name, taken), where))
    if not issues:
        raise values.fail("the domain has no issues")
    return name, issues


def same_domain(ours: list[WebIssue], theirs: list[WebIssue]) -> bool:
    """Whether two domains have the same issues with the same values (in any order)."""
    key = {(i.web_name, i.kind, frozenset(i.labels), i.low, i.high, i.step) for i in ours}
    return len(ours) == len(theirs) and key == {
        (i.web_name, i.kind, frozenset(i.labels), i.low, i.high, i.step) for i in theirs
    }


def _issue(web_name: str, name: str, where: Where) -> WebIssue:
    spec = where.mapping()
    if set(spec) not in ({"values"}, {"range"}):
        raise where.fail(
            f"expected an object with one key, 'values' or 'range', found {sorted(spec)!r}"
        )
    if "values" in spec:
        labels: list[str] = []
        for item in where.get("values").elements():
            label = item.string()
            if label in labels:
                raise item.fail(f"the value {label!r} is listed twice")
            labels.append(label)
        if not labels:
            raise where.get("values").fail("a discrete issue needs at least one value")
        return WebIssue(web_name, name, "discrete", labels=tuple(labels))
    bounds = where.get("range")
    bounds.mapping(required=("low", "high", "step"))
    low, high, step = (bounds.get(key).number() for key in ("low", "high", "step"))
    if step <= 0:
        raise bounds.get("step").fail(f"the step must be > 0, found {step}")
    if high < low:
        raise bounds.get("high").fail(f"high must be >= low ({low}), found {high}")
    issue = WebIssue(web_name, name, "number", low=low, high=high, step=step)
    if issue.size > _MAX_GRID:
        raise bounds.fail(
            f"the range has {issue.size:,} values; accord takes {_MAX_GRID:,} at most"
        )
    if issue.size == 1 and not issue.integral:
        raise bounds.fail(
            f"the range holds the one number {low}, which accord cannot express as a "
            "continuous issue (it needs min < max)"
        )
    return issue
