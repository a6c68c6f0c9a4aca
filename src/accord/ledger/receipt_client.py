"""A party's side of receipts: after the negotiation, ask the recorder for a receipt of every
message, check each one, and keep it.

A kept receipt proves, to anyone who trusts the recorder's public key, that the entry is in the
recorder's log as it was when it signed the receipt's checkpoint; ``accord log check-proof``
checks one offline. See :mod:`accord.ledger.service` for the recorder's side.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nacl.signing import VerifyKey
from pydantic import ValidationError

from accord.broker import Bus
from accord.ledger.keys import encode_public_key
from accord.ledger.receipts import Receipt, check_receipt
from accord.ledger.records import RECORDER
from accord.ledger.service import MAX_REQUESTED
from accord.ledger.signing import Signer, Verifier
from accord.logs import get_logger
from accord.wire import Envelope, Performative, compose

__all__ = ["ReceiptsFetched", "fetch_receipts"]

log = get_logger("accord.receipts")


@dataclass
class ReceiptsFetched:
    """What :func:`fetch_receipts` kept, and what it could not get, by message id."""

    saved: dict[str, Path] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


async def fetch_receipts(
    *,
    bus: Bus,
    negotiation_id: str,
    session: str | None,
    party: str,
    signer: Signer,
    first_seq: int,
    message_ids: Sequence[str],
    recorder_key: VerifyKey,
    out: Path,
    within: float = 20.0,
    retry: float = 2.0,
) -> ReceiptsFetched:
    """Ask the recorder for receipts of ``message_ids`` (of the run ``session``), sending
    requests as ``party`` from sequence number ``first_seq``; asks again every ``retry``
    seconds for what is neither answered nor refused, for at most ``within`` seconds. Each
    receipt is checked against ``recorder_key`` and the requested message, then written to
    ``out/<sender>-<seq>.json``."""
    keeper = _Keeper(recorder_key, out)
    seq = first_seq
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with bus.subscribe(negotiation_id, party) as inbox:
        while (missing := keeper.unanswered(message_ids)) and loop.time() < deadline:
            for start in range(0, len(missing), MAX_REQUESTED):
                request = compose(
                    negotiation_id=negotiation_id,
                    sender=party,
                    seq=seq,
                    performative=Performative.PROOF_REQUEST,
                    body={"message_ids": list(missing[start : start + MAX_REQUESTED])},
                    to=RECORDER,
                    session=session,
                )
                seq += 1
                await bus.publish(signer(request))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(retry, max(0.0, deadline - loop.time()))):
                    async for envelope in inbox:
                        keeper.keep(envelope)
    for message_id in message_ids:
        if message_id not in keeper.fetched.saved:
            keeper.fetched.problems.setdefault(message_id, "no receipt from the recorder in time")
    return keeper.fetched


class _Keeper:
    """Checks the recorder's answers and writes the good receipts."""

    def __init__(self, recorder_key: VerifyKey, out: Path) -> None:
        self.verifier = Verifier({RECORDER: recorder_key})
        self.key = encode_public_key(recorder_key)
        self.out = out
        self.fetched = ReceiptsFetched()
        out.mkdir(parents=True, exist_ok=True)

    def unanswered(self, message_ids: Sequence[str]) -> list[str]:
        """The ids the recorder has neither sent a receipt for nor refused."""
        done = self.fetched.saved.keys() | self.fetched.problems.keys()
        return [m for m in message_ids if m not in done]

    def keep(self, envelope: Envelope) -> None:
        if envelope.sender != RECORDER or envelope.performative is not Performative.RECEIPT:
            return
        problem = self.verifier.problem(envelope)
        message_id = envelope.body.get("message_id")
        if problem is not None:
            log.warning("receipt_envelope_refused", problem=problem)
            return
        if not isinstance(message_id, str) or message_id in self.fetched.saved:
            return
        error = envelope.body.get("error")
        if error is not None:
            self.fetched.problems[message_id] = str(error)
            return
        try:
            receipt = Receipt.model_validate(envelope.body.get("receipt"))
        except ValidationError as exc:
            self.fetched.problems[message_id] = f"not a receipt: {exc.errors()[0]['msg']}"
            return
        issues = check_receipt(receipt, recorder_key=self.key)
        if _logged_id(receipt.entry) != message_id:
            issues.append(f"the receipt's entry is not message {message_id}")
        if issues:
            self.fetched.problems[message_id] = "; ".join(issues)
            return
        path = self.out / (message_id.replace(":", "-") + ".json")
        path.write_text(receipt.model_dump_json(indent=2) + "\n", encoding="utf-8")
        self.fetched.saved[message_id] = path
        self.fetched.problems.pop(message_id, None)


def _logged_id(entry: str) -> str | None:
    """The message id of the envelope a log entry holds."""
    try:
        record = json.loads(entry)
    except json.JSONDecodeError:
        return None
    envelope = record.get("envelope") if isinstance(record, dict) else None
    found = envelope.get("message_id") if isinstance(envelope, dict) else None
    return found if isinstance(found, str) else None
