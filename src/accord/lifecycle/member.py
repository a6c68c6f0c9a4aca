"""A party's side of a charter: reviewing and countersigning it, and reporting its KPIs.

A party answers the keeper's ``sign`` with ``countersign`` when its :class:`CharterPolicy`
finds nothing wrong with the charter, and with ``refuse`` and the policy's reason otherwise.
The default policy, :class:`AgreedTerms`, signs exactly the agreement the party saw in the
negotiation's ``result``, with itself among the parties.

Sequence numbers in a charter's session are fixed by what an envelope is, so that a reporter
needs no state between reports (a report may come months after the last one, from another
process): the answer to ``sign`` is 0, the report of KPI number ``k`` (from 0, in the
charter's order) for period ``p`` is ``1 + (p - 1) * len(kpis) + k``, and a request to
renegotiate (``revise``) is :data:`REVISE_SEQ_BASE` plus the Unix time in seconds. A
second, different report for the same KPI and period is therefore the same sequence number
with other content: the recorder logs it as a ``conflict`` and the monitor refuses it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Protocol

from nacl.signing import VerifyKey
from pydantic import JsonValue

from accord.broker import Bus
from accord.errors import InputError
from accord.ledger.signing import Signer, Verifier
from accord.lifecycle.charter import Charter, parse_charter
from accord.logs import get_logger
from accord.wire import Envelope, Performative, SignBody, compose

__all__ = [
    "REVISE_SEQ_BASE",
    "AgreedTerms",
    "CharterPolicy",
    "answer_sign",
    "charter_of_sign",
    "report",
    "report_envelope",
    "report_seq",
    "request_revision",
]

log = get_logger("accord.lifecycle")


class CharterPolicy(Protocol):
    """Decides whether a party signs a charter."""

    def review(self, charter: Charter) -> str | None:
        """``None`` to countersign ``charter``; otherwise the reason to refuse it."""
        ...


class AgreedTerms:
    """Sign a charter whose terms are the agreement ``terms`` and that lists ``party``."""

    def __init__(self, party: str, terms: Mapping[str, JsonValue]) -> None:
        self.party = party
        self.terms = dict(terms)

    def review(self, charter: Charter) -> str | None:
        if self.party not in charter.parties:
            return f"the charter does not list {self.party!r} among its parties"
        if charter.terms != self.terms:
            changed = sorted(
                k
                for k in {*charter.terms, *self.terms}
                if charter.terms.get(k) != self.terms.get(k)
            )
            return f"the charter's terms differ from the agreement on {changed}"
        return None


def charter_of_sign(envelope: Envelope, keeper_key: Verifier | None) -> Charter | None:
    """The charter of an authentic ``sign``, or ``None`` for any other envelope."""
    if envelope.performative is not Performative.SIGN:
        return None
    if keeper_key is not None and keeper_key.problem(envelope) is not None:
        return None
    try:
        charter = parse_charter(SignBody.model_validate(envelope.body).charter, source="sign")
    except (InputError, ValueError):
        return None
    if envelope.session != charter.session or envelope.sender != charter.keeper:
        return None
    return charter


async def answer_sign(
    bus: Bus,
    *,
    party: str,
    negotiation_id: str,
    policy: CharterPolicy,
    signer: Signer | None,
    keeper_key: VerifyKey | None,
    keeper: str = "host",
) -> tuple[Charter, str | None]:
    """Wait for the keeper's ``sign`` (checked against ``keeper_key``), review it with
    ``policy`` and answer it; return the charter and the reason of a refusal (``None``:
    countersigned). Cancel it (``asyncio.timeout``) to stop waiting."""
    verifier = None if keeper_key is None else Verifier({keeper: keeper_key})
    async with bus.subscribe(negotiation_id, party) as inbox:
        while True:
            charter = charter_of_sign(await inbox.get(), verifier)
            if charter is not None:
                break
        reason = policy.review(charter)
        body: dict[str, JsonValue] = {"charter": charter.digest}
        if reason is not None:
            body["reason"] = reason[:2000]
        performative = Performative.COUNTERSIGN if reason is None else Performative.REFUSE
        await bus.publish(
            _envelope(
                charter, sender=party, seq=0, performative=performative, body=body, signer=signer
            )
        )
    log.info(
        "charter_answered",
        negotiation_id=negotiation_id,
        party=party,
        signed=reason is None,
        charter=charter.digest[:12],
    )
    return charter, reason


def report_seq(charter: Charter, kpi: str, period: int) -> int:
    """The sequence number of the report of ``kpi`` for ``period`` (see the module)."""
    names = [k.name for k in charter.kpis]
    if kpi not in names:
        raise InputError(f"charter {charter.digest[:12]} has no KPI {kpi!r}; KPIs: {names}")
    if period < 1:
        raise InputError(f"reporting periods count from 1, got {period!r}")
    return 1 + (period - 1) * len(names) + names.index(kpi)


def report_envelope(
    charter: Charter,
    *,
    reporter: str,
    kpi: str,
    period: int,
    value: float,
    unit: str,
    signer: Signer | None,
    note: str = "",
) -> Envelope:
    """``reporter``'s observation of ``kpi`` for ``period``, in its slot, signed by
    ``signer`` (unsigned without one)."""
    body: dict[str, JsonValue] = {
        "charter": charter.digest,
        "kpi": kpi,
        "period": period,
        "value": float(value),
        "unit": unit,
    }
    if note:
        body["note"] = note
    return _envelope(
        charter,
        sender=reporter,
        seq=report_seq(charter, kpi, period),
        performative=Performative.REPORT,
        body=body,
        signer=signer,
    )


async def report(
    bus: Bus,
    charter: Charter,
    *,
    reporter: str,
    kpi: str,
    period: int,
    value: float,
    unit: str,
    signer: Signer | None,
    note: str = "",
) -> Envelope:
    """Publish ``reporter``'s signed observation of ``kpi`` for ``period``; return it."""
    envelope = report_envelope(
        charter,
        reporter=reporter,
        kpi=kpi,
        period=period,
        value=value,
        unit=unit,
        signer=signer,
        note=note,
    )
    await bus.publish(envelope)
    return envelope


REVISE_SEQ_BASE = 2**40
"""A party's requests to renegotiate take sequence numbers from here on (reports use the
slots below it)."""


async def request_revision(
    bus: Bus,
    charter: Charter,
    *,
    party: str,
    reason: str,
    signer: Signer | None,
    number: int | None = None,
) -> Envelope:
    """Publish ``party``'s signed request to renegotiate ``charter``; its sequence number is
    :data:`REVISE_SEQ_BASE` plus ``number`` (default: the Unix time in seconds, so that a
    party needs no state to ask again later)."""
    envelope = _envelope(
        charter,
        sender=party,
        seq=REVISE_SEQ_BASE + (int(time.time()) if number is None else number),
        performative=Performative.REVISE,
        body={"charter": charter.digest, "reason": reason[:2000]},
        signer=signer,
    )
    await bus.publish(envelope)
    return envelope


def _envelope(
    charter: Charter,
    *,
    sender: str,
    seq: int,
    performative: Performative,
    body: dict[str, JsonValue],
    signer: Signer | None,
) -> Envelope:
    envelope = compose(
        negotiation_id=charter.negotiation_id,
        sender=sender,
        seq=seq,
        performative=performative,
        body=body,
        session=charter.session,
    )
    return envelope if signer is None else signer(envelope)
