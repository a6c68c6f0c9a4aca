"""Renegotiating a charter: a breach, its review date or a party's request opens a new
negotiation of its terms, and an agreement amends the charter.

1. The trigger is checked against the charter: its kind must be in ``revise_on``; a
   ``breach`` must be a breach alert the monitor raised, a ``request`` a party's signed
   ``revise`` the monitor kept, a ``review`` needs the review date to have passed.
2. Every party's profile is updated by the scenario's rule (:mod:`accord.lifecycle.updates`;
   the default makes the current terms the disagreement point and weighs breached terms
   more), and the scenario's mechanism runs again with them, as a negotiation of its own
   (negotiation id ``<name>-revision-<version>-<seed>``) with its own log, so that it can
   be verified and audited like any other.
3. An agreement becomes the charter's next version: ``previous`` is the digest of the one it
   amends, ``revision`` says why and commits to the renegotiation log's last signed
   checkpoint, and every party countersigns it in the charter's log, after the earlier
   versions. Without agreement the charter in force stays as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from nacl.signing import SigningKey
from pydantic import JsonValue

from accord.broker import Bus
from accord.errors import InputError
from accord.ledger.records import last_checkpoint
from accord.ledger.storage import open_storage, read_records
from accord.ledger.verify import verify_log
from accord.lifecycle.charter import DAY_NS, Charter, Revision, charter_for
from accord.lifecycle.kpis import CharterSpec, RevisionTrigger
from accord.lifecycle.member import CharterPolicy
from accord.lifecycle.monitor import Monitor
from accord.lifecycle.phase import seal_charter_here
from accord.lifecycle.sealing import Sealing
from accord.lifecycle.updates import UPDATES, ProfileUpdate, Situation
from accord.logs import get_logger
from accord.result import NegotiationResult, write_outputs
from accord.runner import negotiate
from accord.scenarios import Scenario
from accord.scenarios.schema import RenegotiationSpec

__all__ = [
    "Opening",
    "Renegotiation",
    "Trigger",
    "amended_charter",
    "open_renegotiation",
    "renegotiate",
    "revised_scenario",
]

log = get_logger("accord.lifecycle")


@dataclass(frozen=True, slots=True)
class Trigger:
    """What opens a renegotiation."""

    kind: RevisionTrigger
    reference: str | None = None
    """The message id of the breach alert or of the party's ``revise``; ``None``: the first
    one the monitor holds (a ``review`` has none)."""


@dataclass(frozen=True, slots=True)
class Renegotiation:
    """What a renegotiation gave: its result and, after an agreement, how the amended
    charter was signed (``None`` without agreement: the charter in force stands)."""

    result: NegotiationResult
    sealing: Sealing | None
    out_dir: Path


def revised_scenario(
    scenario: Scenario, charter: Charter, monitor: Monitor, update: ProfileUpdate
) -> Scenario:
    """``scenario`` with every party's profile updated by ``update`` for a renegotiation of
    ``charter``, named as its next version."""
    situation = Situation(
        charter=charter,
        observations=tuple(monitor.observations.values()),
        space=scenario.outcome_space(),
    )
    spec = scenario.renegotiation or RenegotiationSpec()
    parties = [
        party.model_copy(
            update={
                "profile": update.update(party.id, party.profile, situation),
                "strategy": spec.strategies.get(party.id, party.strategy),
            }
        )
        for party in scenario.parties
    ]
    name = f"{scenario.name} revision {charter.version + 1}"
    return scenario.model_copy(
        update={
            "name": name,
            "parties": parties,
            "mechanism": spec.mechanism or scenario.mechanism,
            "status_quo": dict(charter.terms),
            "renegotiates": charter.negotiation_id,
        }
    )


@dataclass(frozen=True, slots=True)
class _Opened:
    trigger: RevisionTrigger
    reference: str | None
    by: str | None
    reason: str


def _checked(charter: Charter, monitor: Monitor, trigger: Trigger, now_ns: int) -> _Opened:
    """What opened the renegotiation, as the revision records it; raises
    :class:`InputError` when the charter does not allow it."""
    digest = charter.digest[:12]
    if trigger.kind not in charter.revise_on:
        raise InputError(
            f"charter {digest} is renegotiated only on {charter.revise_on}, not on "
            f"{trigger.kind!r} (its revise_on)"
        )
    if trigger.kind == "review":
        if now_ns < int(charter.review_ns):
            days = (int(charter.review_ns) - now_ns) / DAY_NS
            raise InputError(f"charter {digest} is not due for review for {days:.1f} days")
        return _Opened("review", None, None, "the review date has passed")
    if trigger.kind == "breach":
        alert = next(
            (
                a
                for a in monitor.alerts
                if a.body.get("kind") == "breach" and trigger.reference in (None, a.message_id)
            ),
            None,
        )
        if alert is None:
            raise InputError(
                f"no breach alert {trigger.reference or ''} of charter {digest} is in the "
                "monitor's record"
            )
        return _Opened("breach", alert.message_id, None, str(alert.body.get("detail", "")))
    request = next((r for r in monitor.requests if trigger.reference in (None, r[1])), None)
    if request is None:
        raise InputError(
            f"no request to revise {trigger.reference or ''} charter {digest} is in the "
            "monitor's record (a party asks with a signed revise)"
        )
    party, message_id, reason = request
    return _Opened("request", message_id, party, reason)


@dataclass(frozen=True, slots=True)
class Opening:
    """A renegotiation the charter allows: why, and the scenario it runs (every party's
    profile updated, starting from the terms in force)."""

    charter: Charter
    scenario: Scenario
    """The original scenario (its KPIs and charter settings make the amended charter)."""
    revised: Scenario
    """What the renegotiation negotiates: a scenario file of its own (``renegotiates`` names
    the charter's negotiation, where the parties answer the amended charter's ``sign``)."""
    trigger: RevisionTrigger
    reference: str | None
    by: str | None
    reason: str
    update: str


def open_renegotiation(
    scenario: Scenario, charter: Charter, monitor: Monitor, *, trigger: Trigger, now_ns: int
) -> Opening:
    """Check that ``charter`` allows ``trigger`` (raises :class:`InputError` otherwise) and
    make the scenario of its renegotiation (see the module docstring)."""
    opened = _checked(charter, monitor, trigger, now_ns)
    spec = (scenario.charter or CharterSpec()).update
    update = UPDATES.create(spec.name, spec.params)
    return Opening(
        charter=charter,
        scenario=scenario,
        revised=revised_scenario(scenario, charter, monitor, update),
        trigger=opened.trigger,
        reference=opened.reference,
        by=opened.by,
        reason=opened.reason,
        update=spec.name,
    )


def amended_charter(
    opening: Opening, result: NegotiationResult, renegotiation_log: Path, *, now_ns: int
) -> Charter:
    """The charter's next version from the renegotiation's agreement, committed to its log's
    last signed checkpoint (which must verify)."""
    if result.outcome is None:
        raise InputError(f"the renegotiation {result.negotiation_id} ended without agreement")
    check = verify_log(renegotiation_log)
    if not check.ok or check.checkpoints == 0:
        raise InputError(
            f"the renegotiation's log {renegotiation_log} does not verify: {check.problems}"
        )
    last = last_checkpoint(read_records(renegotiation_log).records)
    assert last is not None  # noqa: S101  # the log verified, so it has checkpoints
    size, root = last.tree_size, last.root
    revision = Revision(
        trigger=opening.trigger,
        reference=opening.reference,
        by=opening.by,
        reason=opening.reason,
        update=opening.update,
        negotiation_id=result.negotiation_id,
        log_size=size,
        log_root=root,
    )
    return charter_for(
        opening.scenario,
        dict[str, JsonValue](result.outcome),
        negotiation_id=opening.charter.negotiation_id,
        starts_ns=now_ns,
        previous=opening.charter,
        revision=revision,
    )


async def renegotiate(
    bus: Bus,
    scenario: Scenario,
    charter: Charter,
    monitor: Monitor,
    *,
    trigger: Trigger,
    identities: Mapping[str, SigningKey],
    charter_log: Path,
    out_dir: Path,
    now_ns: int,
    seed: int | None = None,
    policies: Mapping[str, CharterPolicy] | None = None,
) -> Renegotiation:
    """Renegotiate ``charter`` (its log at ``charter_log``) with every party in this process
    (see the module docstring); the renegotiation's log, transcript and result go to
    ``out_dir``. ``monitor`` holds what the KPIs showed."""
    opening = open_renegotiation(scenario, charter, monitor, trigger=trigger, now_ns=now_ns)
    log_path = out_dir / "log.jsonl"
    if log_path.exists():
        raise InputError(f"{out_dir} already holds a renegotiation ({log_path.name})")
    bound = log.bind(negotiation_id=charter.negotiation_id, charter=charter.digest[:12])
    bound.info("renegotiation_opened", trigger=trigger.kind, reference=opening.reference)
    seed = scenario.seed if seed is None else seed
    done = await negotiate(
        opening.revised, seed=seed, bus=bus, keys=identities, log=open_storage(log_path)
    )
    write_outputs(out_dir, done.result, done.transcript)
    if done.result.outcome is None:
        bound.info("renegotiation_without_agreement", reason=done.result.reason)
        return Renegotiation(done.result, None, out_dir)
    amended = amended_charter(opening, done.result, log_path, now_ns=now_ns)
    sealing = await seal_charter_here(
        bus, amended, identities=identities, log_path=charter_log, policies=policies
    )
    bound.info("charter_amended", version=amended.version, in_force=sealing.in_force)
    return Renegotiation(done.result, sealing, out_dir)
