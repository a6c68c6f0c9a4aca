"""The charter: what an agreement becomes once every party has signed it.

A charter holds the agreed terms, the parties, the KPIs with their owners, reporters, targets
and thresholds (a KPI that tracks a term takes the agreed value as its target), the start and
review dates and the rules for revision. It is identified by its **digest**, the SHA-256 of its
RFC 8785 canonical JSON; a later version names the digest of the one it amends in
``previous``. Every envelope about a charter (``sign``, ``countersign``, ``refuse``,
``report``, ``alert``) carries :attr:`Charter.session`, the digest's first 32 hex digits, in
its ``session`` field: what is signed for one charter is worth nothing for another.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from accord.errors import InputError
from accord.ledger.canonical import canonical
from accord.lifecycle.kpis import CharterSpec, KpiSpec, RevisionTrigger
from accord.wire import HOST, Identifier
from accord.wire.lifecycle import DIGEST_PATTERN

if TYPE_CHECKING:  # the scenario model imports this package's KPI models
    from accord.scenarios import Scenario

__all__ = ["DAY_NS", "Charter", "CharterKpi", "Revision", "charter_for", "parse_charter"]

DAY_NS = 86_400 * 10**9

_NS = r"^[0-9]{1,20}$"

Stage = Literal["pilot", "scaled"] | None


class CharterKpi(KpiSpec):
    """A KPI as the charter fixes it: the target and the threshold are always set."""

    target: float
    threshold: float


class Revision(BaseModel):
    """Why and how a charter was renegotiated into the version that carries this."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trigger: RevisionTrigger
    reference: str | None = None
    """The message id, in the charter's log, of the breach alert or the party's request that
    opened the renegotiation (``None`` for a review date)."""
    by: Identifier | None = None
    """The party that asked for it (a ``request``)."""
    reason: str = ""
    update: str
    """The profile update rule the parties renegotiated with."""
    negotiation_id: Identifier
    """The renegotiation's own negotiation (and log)."""
    log_size: Annotated[int, Field(ge=1)]
    log_root: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$")]
    """The tree size and root of the renegotiation log's last signed checkpoint: the
    countersigned charter commits every party to that log, entry for entry."""


class Charter(BaseModel):
    """One version of a partnership's charter (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = 1
    negotiation_id: Identifier
    """The negotiation whose agreement it records; its envelopes use the same topics."""
    scenario: str
    category: str | None = None
    """The scenario's ``category`` (what kind of partnership), for portfolio rules."""
    version: Annotated[int, Field(ge=1, strict=True)] = 1
    previous: Annotated[str, Field(pattern=DIGEST_PATTERN)] | None = None
    """The digest of the version this one amends (``None`` for the first)."""
    keeper: Identifier = HOST
    """Who proposed it for signature and monitors it (its alerts are signed by this key)."""
    parties: list[Identifier] = Field(min_length=2)
    organisations: dict[str, str]
    terms: dict[str, JsonValue]
    """The agreed outcome: a value for every issue."""
    kpis: list[CharterKpi]
    starts_ns: Annotated[str, Field(pattern=_NS)]
    """When the charter takes effect (reporting periods count from here)."""
    review_ns: Annotated[str, Field(pattern=_NS)]
    """When it is due for review: ``review_after_days`` after the start of the first version
    or of one a review made; a version amended on a breach or a request keeps the date."""
    grace_days: float
    revise_on: list[RevisionTrigger]
    sign_timeout: float
    revision: Revision | None = None
    """How this version came about, when it amends an earlier one."""
    stage: Stage = None
    """``pilot`` while the scenario's ``charter.scale`` has not been applied, ``scaled`` from
    the version a review renegotiated out of the pilot (``None``: no pilot stage)."""

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of the charter's canonical JSON (computed each time: a cached value
        would survive ``model_copy``)."""
        return hashlib.sha256(canonical(self.model_dump(mode="json"))).hexdigest()

    @property
    def session(self) -> str:
        """The ``session`` of every envelope about this charter."""
        return self.digest[:32]

    def kpi(self, name: str) -> CharterKpi | None:
        return next((k for k in self.kpis if k.name == name), None)

    def period_end_ns(self, kpi: CharterKpi, period: int) -> int:
        """When reporting period ``period`` (1, 2, ...) of ``kpi`` ends."""
        return int(self.starts_ns) + round(period * kpi.every_days * DAY_NS)

    def due_ns(self, kpi: CharterKpi, period: int) -> int:
        """When the report for ``period`` becomes overdue."""
        return self.period_end_ns(kpi, period) + round(self.grace_days * DAY_NS)


def charter_for(
    scenario: Scenario,
    terms: dict[str, JsonValue],
    *,
    negotiation_id: str,
    starts_ns: int,
    previous: Charter | None = None,
    revision: Revision | None = None,
) -> Charter:
    """The charter of ``scenario``'s agreement ``terms``, starting at ``starts_ns``: the
    first, or the one that amends ``previous`` (after ``revision``). A scenario whose
    charter has ``scale`` factors starts as a ``pilot``; the version a review renegotiates
    out of a pilot is ``scaled``: those KPIs' targets and thresholds multiplied by them."""
    spec = scenario.charter or CharterSpec()
    stage = _stage(spec, previous, revision)
    factors = spec.scale if stage == "scaled" else {}
    kpis = []
    for kpi in scenario.kpis:
        try:
            factor = factors.get(kpi.name, 1.0)
            target = _target(kpi, terms) * factor
            threshold = None if kpi.threshold is None else kpi.threshold * factor
            if threshold is None:  # a tolerance around the target, on its bad side
                tolerance = kpi.tolerance or 0.0
                threshold = target - tolerance if kpi.better == "higher" else target + tolerance
            fixed = {**kpi.model_dump(), "target": target, "threshold": threshold}
            kpis.append(CharterKpi.model_validate({**fixed, "tolerance": None}))
        except ValidationError as exc:
            raise InputError(
                f"KPI {kpi.name!r} of the agreement: {exc.errors()[0]['msg']}"
            ) from None
    return Charter(
        negotiation_id=negotiation_id,
        scenario=scenario.name,
        category=scenario.category,
        parties=[p.id for p in scenario.parties],
        organisations={p.id: p.organisation for p in scenario.parties},
        terms=terms,
        kpis=kpis,
        starts_ns=str(starts_ns),
        review_ns=_review(spec, starts_ns, previous, revision),
        grace_days=spec.grace_days,
        revise_on=list(spec.revise_on),
        sign_timeout=spec.sign_timeout,
        version=1 if previous is None else previous.version + 1,
        previous=None if previous is None else previous.digest,
        revision=revision,
        stage=stage,
    )


def _review(
    spec: CharterSpec, starts_ns: int, previous: Charter | None, revision: Revision | None
) -> str:
    """A version amended on a breach or a request keeps the review date it amends; the first
    version, and one a review made, are reviewed ``review_after_days`` after their start."""
    if previous is not None and revision is not None and revision.trigger != "review":
        return previous.review_ns
    return str(starts_ns + round(spec.review_after_days * DAY_NS))


def _stage(spec: CharterSpec, previous: Charter | None, revision: Revision | None) -> Stage:
    if not spec.scale:
        return None
    if previous is None:
        return "pilot"
    if previous.stage == "pilot" and revision is not None and revision.trigger == "review":
        return "scaled"
    return previous.stage


def _target(kpi: KpiSpec, terms: dict[str, JsonValue]) -> float:
    if kpi.target is not None:
        return kpi.target
    value = terms.get(kpi.term or "")
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InputError(
            f"KPI {kpi.name!r} takes its target from term {kpi.term!r}, but the agreement "
            f"gives it {value!r}, not a number"
        )
    return float(value)


def parse_charter(data: object, *, source: str) -> Charter:
    """A charter from JSON data (a ``sign`` body, a ``charter.json``); raises
    :class:`~accord.errors.InputError` naming the field."""
    try:
        return Charter.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "(top level)"
        raise InputError(f"{source}: not a valid charter: {where}: {error['msg']}") from None
