"""One GeniusWeb ``LinearAdditiveUtilitySpace`` profile as an accord profile.

The utility of a bid is ``sum(weight_i * utility_i(value_i))`` over the issues, with the
checks GeniusWeb's constructor makes: the profile names exactly the domain's issues, in both
``issueUtilities`` and ``issueWeights``; the weights sum to exactly 1 (as decimals); every
value utility is in ``[0, 1]``. Value utilities are written in one of two ways:

* discrete: ``{"discreteutils": {"valueUtilities": {VALUE: UTILITY, ...}}}`` (GeniusWeb 1.x;
  earlier versions spell the key ``DiscreteValueSetUtilities``), a utility for exactly the
  issue's values;
* number: ``{"numberutils": {"lowValue": L, "lowUtility": UL, "highValue": H, "highUtility":
  UH}}`` (or ``NumberValueSetUtilities``), with ``L`` and ``H`` the range's ``low`` and
  ``high``: a straight line from ``UL`` to ``UH``. GeniusWeb rounds each such utility to 8
  decimals; accord does not (the two differ by less than ``5e-9``).

The ``reservationBid`` (optional; ``{"issuevalues": {ISSUE: VALUE, ...}}``, possibly partial)
is worth what the profile makes of it, an issue it leaves out counting 0, as in GeniusWeb: that
utility is the party's reservation value. A ``domain`` inside the profile must be the folder's
domain.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from accord.importers._geniusweb_domain import WebIssue, read_domain, same_domain
from accord.importers._json import Where

__all__ = ["PROFILE_KEY", "read_profile"]

PROFILE_KEY = "LinearAdditiveUtilitySpace"
_DISCRETE = ("discreteutils", "DiscreteValueSetUtilities")
_NUMBER = ("numberutils", "NumberValueSetUtilities")
_EIGHT_PLACES = Decimal("1.00000000")


class _Line:
    """A number issue's utilities: ``low_utility`` at ``low``, ``high_utility`` at ``high``."""

    def __init__(self, issue: WebIssue, low_utility: Decimal, high_utility: Decimal) -> None:
        self.issue = issue
        self.low_utility = low_utility
        self.high_utility = high_utility

    def __call__(self, x: Decimal) -> Decimal:
        """GeniusWeb's utility of ``x``: interpolated, rounded to 8 decimals."""
        low, high = self.issue.low, self.issue.high
        if not low <= x <= high:
            return Decimal(0)
        slope = (self.high_utility - self.low_utility) * (x - low) / (high - low)
        return (self.low_utility + slope).quantize(_EIGHT_PLACES, rounding=ROUND_HALF_UP)

    def as_data(self) -> dict[str, Any]:
        issue = self.issue
        at_last = self.low_utility + (self.high_utility - self.low_utility) * (
            issue.last - issue.low
        ) / (issue.high - issue.low)
        return {"type": "linear", "low": float(self.low_utility), "high": float(at_last)}


def read_profile(
    profile: Where, issues: list[WebIssue], domain_name: str
) -> tuple[dict[str, Any], str]:
    """The profile in ``profile`` (a whole profile file) over the domain's ``issues``, as
    scenario data, and the profile's name (empty when it has none)."""
    root = profile.get(PROFILE_KEY)
    root.mapping(
        required=("issueUtilities", "issueWeights"),
        allowed=("name", "domain", "reservationBid"),
    )
    name = root.get("name").string() if "name" in root.value else ""
    if "domain" in root.value:
        inner = root.get("domain")
        inner_name, inner_issues = read_domain(inner)
        if not same_domain(inner_issues, issues):
            raise inner.fail(
                f"the profile's domain {inner_name!r} differs from the folder's domain "
                f"{domain_name!r} (issues or values)"
            )
    weights = _weights(root.get("issueWeights"), issues)
    tables: dict[str, dict[str, Decimal] | _Line] = {}
    utilities = root.get("issueUtilities")
    _same_issues(utilities, issues)
    for issue in issues:
        tables[issue.web_name] = _utilities(utilities.get(issue.web_name), issue)
    reservation = Decimal(0)
    if "reservationBid" in root.value and root.value["reservationBid"] is not None:
        reservation = _bid_utility(root.get("reservationBid"), issues, weights, tables)
    data = {
        "reservation": float(reservation),
        "utility": {
            "type": "linear-additive",
            "weights": {issue.name: float(weights[issue.web_name]) for issue in issues},
            "values": {issue.name: _value_data(tables[issue.web_name]) for issue in issues},
        },
    }
    return data, name


def _same_issues(where: Where, issues: list[WebIssue]) -> None:
    given = where.mapping()
    names = [issue.web_name for issue in issues]
    for key in given:
        if key not in names:
            raise where.at(key, given[key]).fail(
                f"the domain has no issue {key!r}; its issues are {names!r}"
            )
    missing = [name for name in names if name not in given]
    if missing:
        raise where.fail(f"no entry for the issues {missing!r}")


def _weights(where: Where, issues: list[WebIssue]) -> dict[str, Decimal]:
    _same_issues(where, issues)
    weights = {issue.web_name: where.get(issue.web_name).unit() for issue in issues}
    total = sum(weights.values(), Decimal(0))
    if total != 1:
        raise where.fail(
            f"the weights sum to {total}; GeniusWeb requires them to sum to exactly 1 "
            "(and refuses the profile otherwise)"
        )
    return weights


def _utilities(where: Where, issue: WebIssue) -> dict[str, Decimal] | _Line:
    spec = where.mapping()
    if len(spec) != 1 or next(iter(spec)) not in _DISCRETE + _NUMBER:
        raise where.fail(
            "expected an object with one key, one of "
            f"{list(_DISCRETE + _NUMBER)!r}, found {sorted(spec)!r}"
        )
    key = next(iter(spec))
    body = where.get(key)
    if key in _DISCRETE:
        if issue.kind != "discrete":
            raise body.fail(f"issue {issue.web_name!r} is a number range, not discrete values")
        body.mapping(required=("valueUtilities",))
        return _table(body, issue)
    if issue.kind != "number":
        raise body.fail(f"issue {issue.web_name!r} has discrete values, not a number range")
    body.mapping(required=("lowValue", "lowUtility", "highValue", "highUtility"))
    for end, bound in (("lowValue", issue.low), ("highValue", issue.high)):
        if body.get(end).number() != bound:
            raise body.get(end).fail(
                f"{end} must be the range's {end[:-5]} {bound}, found {body.get(end).number()}"
            )
    if issue.high == issue.low:
        raise body.fail("highValue must exceed lowValue")
    return _Line(issue, body.get("lowUtility").unit(), body.get("highUtility").unit())


def _table(body: Where, issue: WebIssue) -> dict[str, Decimal]:
    table = body.get("valueUtilities")
    given = table.mapping()
    for label in given:
        if label not in issue.labels:
            raise table.at(label, given[label]).fail(
                f"{label!r} is not a value of issue {issue.web_name!r} "
                f"(its values are {list(issue.labels)!r})"
            )
    missing = [label for label in issue.labels if label not in given]
    if missing:
        raise table.fail(f"no utility for the values {missing!r}")
    return {label: table.get(label).unit() for label in issue.labels}


def _value_data(table: dict[str, Decimal] | _Line) -> dict[str, Any]:
    if isinstance(table, _Line):
        return table.as_data()
    return {"type": "table", "table": {label: float(u) for label, u in table.items()}}


def _bid_utility(
    bid: Where,
    issues: list[WebIssue],
    weights: dict[str, Decimal],
    tables: dict[str, dict[str, Decimal] | _Line],
) -> Decimal:
    """GeniusWeb's utility of a (possibly partial) bid: issues it leaves out count 0."""
    bid.mapping(required=("issuevalues",))
    values = bid.get("issuevalues")
    by_name = {issue.web_name: issue for issue in issues}
    total = Decimal(0)
    for name, where in values.items():
        issue = by_name.get(name)
        if issue is None:
            raise where.fail(f"the domain has no issue {name!r}; its issues are {list(by_name)!r}")
        if not issue.contains(where.value):
            expected = (
                f"one of {list(issue.labels)!r}"
                if issue.kind == "discrete"
                else f"a number {issue.low} + k * {issue.step} up to {issue.high}"
            )
            found = repr(where.value) if isinstance(where.value, str) else str(where.value)
            raise where.fail(f"expected {expected}, found {found}")
        table = tables[name]
        utility = table(where.value) if isinstance(table, _Line) else table[where.value]
        total += weights[name] * utility
    return total
