"""The charter phase of a run with every participant in this process: after the result, the
keeper proposes the charter, every party's runtime reviews and answers it, and the recorder,
resumed on the negotiation's log, appends the exchange to it.

This is what ``accord run`` does for a scenario with ``kpis:`` (or ``charter:``) whose
negotiation ended in an agreement; a party in its own process answers the same ``sign``
with :func:`accord.lifecycle.member.answer_sign`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from nacl.signing import SigningKey, VerifyKey
from pydantic import JsonValue

from accord.broker import Bus
from accord.ledger.recorder import Recorder
from accord.ledger.records import RECORDER
from accord.ledger.resume import resume_recorder
from accord.ledger.service import CHECKPOINT_TICK_S
from accord.ledger.signing import Signer, Verifier, signer_for
from accord.lifecycle.charter import Charter, charter_for
from accord.lifecycle.member import AgreedTerms, CharterPolicy, answer_sign
from accord.lifecycle.sealing import Sealing, seal
from accord.logs import get_logger
from accord.result import atomic_write
from accord.scenarios import Scenario
from accord.wire import HOST

if TYPE_CHECKING:  # the runner imports the scenario model, which imports this package
    from accord.runner import Negotiation

__all__ = [
    "CHARTER_FILE",
    "QUIET_S",
    "charter_after",
    "charter_record",
    "first_charter",
    "recording",
    "seal_and_record",
    "seal_charter_here",
    "seal_in_process",
    "wants_charter",
    "write_charter",
]

log = get_logger("accord.lifecycle")

CHARTER_FILE = "charter.json"

QUIET_S = 0.3
"""How long the recorder listens on after the exchange, for what is still in flight."""


@asynccontextmanager
async def recording(bus: Bus, recorder: Recorder) -> AsyncIterator[Recorder]:
    """Record every envelope of ``recorder``'s negotiation on ``bus`` while the block runs
    (and :data:`QUIET_S` after it); then sign a final checkpoint and close the log. While the
    bus is quiet it signs a checkpoint within a second of the last entry, so that a keeper
    killed months into a watch leaves a log that verifies (and can be resumed)."""

    async def pump() -> None:
        while True:
            try:
                async with asyncio.timeout(CHECKPOINT_TICK_S):
                    envelope = await inbox.get()
            except TimeoutError:  # quiet: a checkpoint within a second of the last entry
                recorder.checkpoint_if_due()
                continue
            try:
                recorder.record(envelope)
            except Exception:  # one envelope must not stop the record (a full disk, a bug)
                log.exception("recorder_failed_on_envelope", message_id=envelope.message_id)

    try:
        async with bus.observe(recorder.negotiation_id) as inbox:
            task = asyncio.create_task(pump(), name="lifecycle-recorder")
            try:
                yield recorder
                await asyncio.sleep(QUIET_S)
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                while (late := inbox.get_nowait()) is not None:
                    with contextlib.suppress(Exception):  # as in pump(): keep the rest
                        recorder.record(late)
    finally:
        recorder.close()


async def seal_in_process(
    bus: Bus,
    scenario: Scenario,
    terms: Mapping[str, JsonValue],
    *,
    negotiation_id: str,
    identities: Mapping[str, SigningKey],
    log_path: Path,
    starts_ns: int,
    policies: Mapping[str, CharterPolicy] | None = None,
) -> Sealing:
    """Make the first charter of ``terms`` and seal it with every party in this process
    (:func:`seal_charter_here`)."""
    charter = charter_for(scenario, dict(terms), negotiation_id=negotiation_id, starts_ns=starts_ns)
    return await seal_charter_here(
        bus, charter, identities=identities, log_path=log_path, policies=policies
    )


async def seal_charter_here(
    bus: Bus,
    charter: Charter,
    *,
    identities: Mapping[str, SigningKey],
    log_path: Path,
    policies: Mapping[str, CharterPolicy] | None = None,
) -> Sealing:
    """Have every party of ``charter`` (each with its policy from ``policies``,
    :class:`AgreedTerms` of the charter's terms by default) answer its ``sign`` in this
    process, and append the exchange to the log at ``log_path``; return how each answered."""
    members = {
        party: (
            signer_for(identities[party]),
            (policies or {}).get(party) or AgreedTerms(party, charter.terms),
        )
        for party in charter.parties
    }
    return await seal_and_record(
        bus,
        charter,
        keeper=identities[HOST],
        recorder=identities[RECORDER],
        party_keys={who: identities[who].verify_key for who in members},
        log_path=log_path,
        members=members,
    )


async def seal_and_record(
    bus: Bus,
    charter: Charter,
    *,
    keeper: SigningKey,
    recorder: SigningKey,
    party_keys: Mapping[str, VerifyKey],
    log_path: Path,
    members: Mapping[str, tuple[Signer, CharterPolicy]] | None = None,
) -> Sealing:
    """Propose ``charter`` over ``bus`` with the ``keeper``'s key and wait for every party's
    answer, while a recorder with key ``recorder`` appends the exchange to the log at
    ``log_path`` (resumed). ``members``: the parties whose answer this process gives (signer
    and policy); the others answer from their own processes."""
    resumed = resume_recorder(log_path, recorder)
    async with recording(bus, resumed):
        tasks = [
            asyncio.create_task(
                answer_sign(
                    bus,
                    party=party,
                    negotiation_id=charter.negotiation_id,
                    policy=policy,
                    signer=signer,
                    keeper_key=keeper.verify_key,
                    keeper=charter.keeper,
                ),
                name=f"charter-{party}",
            )
            for party, (signer, policy) in (members or {}).items()
        ]
        try:
            await asyncio.sleep(0)  # every member subscribes before the first sign
            sealing = await seal(
                bus, charter, signer=signer_for(keeper), verifier=Verifier(party_keys)
            )
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    log.info("charter_phase_done", negotiation_id=charter.negotiation_id, in_force=sealing.in_force)
    return sealing


def wants_charter(scenario: Scenario) -> bool:
    """Whether an agreement of ``scenario`` becomes a charter (it has KPIs or a charter)."""
    return bool(scenario.kpis) or scenario.charter is not None


async def charter_after(
    negotiation: Negotiation,
    scenario: Scenario,
    *,
    bus: Bus,
    identities: Mapping[str, SigningKey],
    log_path: Path,
) -> Sealing | None:
    """The charter phase of a finished in-process run, when the scenario wants one and the
    negotiation ended in an agreement (``None`` otherwise)."""
    charter = first_charter(negotiation, scenario)
    if charter is None:
        return None
    return await seal_charter_here(bus, charter, identities=identities, log_path=log_path)


def first_charter(negotiation: Negotiation, scenario: Scenario) -> Charter | None:
    """The charter a finished negotiation's agreement becomes, starting now; ``None`` when
    the scenario wants none or the negotiation ended without agreement."""
    result = negotiation.result
    if not wants_charter(scenario) or result.outcome is None:
        return None
    return charter_for(
        scenario,
        dict[str, JsonValue](result.outcome),
        negotiation_id=result.negotiation_id,
        starts_ns=time.time_ns(),
    )


def write_charter(out_dir: Path, sealing: Sealing | None) -> None:
    """Write ``charter.json`` (see :func:`charter_record`) into ``out_dir``, or remove an
    earlier run's when there is no charter."""
    path = out_dir / CHARTER_FILE
    if sealing is None:
        path.unlink(missing_ok=True)
        return
    atomic_write(path, json.dumps(charter_record(sealing), indent=2, sort_keys=True) + "\n")


def charter_record(sealing: Sealing) -> dict[str, JsonValue]:
    """What ``charter.json`` holds: the charter, its digest and how it was signed."""
    charter: Charter = sealing.charter
    return {
        "digest": charter.digest,
        "session": charter.session,
        "in_force": sealing.in_force,
        "signed": list[JsonValue](sealing.signed),
        "refused": dict[str, JsonValue](sealing.refused),
        "silent": list[JsonValue](sealing.silent),
        "charter": charter.model_dump(mode="json"),
    }
