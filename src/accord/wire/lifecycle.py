"""Bodies of the envelopes that carry a partnership past its agreement: ``sign``,
``countersign``, ``refuse``, ``report`` and ``alert`` (docs/lifecycle.md tells the story).

Every one names the charter it is about by its digest (``charter``: 64 hex digits, the
SHA-256 of the charter's RFC 8785 canonical JSON); the envelope's ``session`` is the first 32
of them, so nothing signed for one charter (or one version of it) is valid for another.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue

from accord.wire.envelope import Identifier

__all__ = [
    "DIGEST_PATTERN",
    "AlertBody",
    "AlertKind",
    "CountersignBody",
    "RefusalRule",
    "RefuseBody",
    "ReportBody",
    "ReviseBody",
    "SignBody",
]

DIGEST_PATTERN = r"^[0-9a-f]{64}$"

Digest = Annotated[str, Field(pattern=DIGEST_PATTERN)]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value!r}")
    return value


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SignBody(_Body):
    """The keeper's ``sign``: the whole charter, to be countersigned by every party."""

    charter: dict[str, JsonValue]
    """The charter (:class:`~accord.lifecycle.Charter`) as JSON."""


class CountersignBody(_Body):
    """A party's signature on a charter: its envelope, signed by the party, names the digest."""

    charter: Digest


class RefuseBody(_Body):
    """A party's refusal to sign a charter, with its reason."""

    charter: Digest
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class ReportBody(_Body):
    """One KPI observation: ``value`` (in ``unit``) of KPI ``kpi`` for reporting period
    ``period`` (1 is the first ``every_days`` after the charter's start)."""

    charter: Digest
    kpi: Identifier
    period: Annotated[int, Field(ge=1, le=100_000, strict=True)]
    value: Annotated[float, AfterValidator(_finite)]
    unit: Annotated[str, Field(min_length=1, max_length=100)]
    note: Annotated[str, Field(max_length=2000)] = ""


class ReviseBody(_Body):
    """A party's request to renegotiate a charter."""

    charter: Digest
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


AlertKind = Literal["breach", "overdue", "refused_report"]

RefusalRule = Literal["body", "charter", "kpi", "role", "unit", "range", "early", "seq", "repeat"]
"""The rule of the charter a refused report broke (in the order the monitor checks them)."""


class AlertBody(_Body):
    """The monitor's finding about a charter's KPI for one period:

    * ``breach``: an accepted report is on the wrong side of the KPI's threshold;
    * ``overdue``: no accepted report by the end of the period plus the charter's grace days;
    * ``refused_report``: a signed report the charter does not allow (a reporter outside its
      role, a wrong unit, a value out of range, a period not yet ended, a second report for a
      period); ``party`` is the reporter, ``report`` its message id. It changes nothing the
      monitor holds.
    """

    charter: Digest
    kind: AlertKind
    kpi: Identifier | None = None
    """The KPI (``None`` only for a refused report that named none the charter has)."""
    period: Annotated[int, Field(ge=1, strict=True)] | None = None
    party: Identifier | None = None
    """Who the alert is about: the reporter of a refused report, the KPI's owner otherwise."""
    report: Annotated[str, Field(max_length=200)] | None = None
    """The message id of the report the alert is about, if there is one."""
    rule: RefusalRule | None = None
    """For ``refused_report``: which rule the report broke (``role``: a reporter outside its
    role; ``early``: a period not yet ended by the monitor's clock)."""
    value: float | None = None
    threshold: float | None = None
    detail: Annotated[str, Field(max_length=2000)]
    as_of_ns: Annotated[str, Field(pattern=r"^[0-9]{1,20}$")]
    """The monitor's time when it raised the alert (its clock may be simulated): what an
    auditor checks an ``overdue`` alert, or a report refused as too early, against."""
