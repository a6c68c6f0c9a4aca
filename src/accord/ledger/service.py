"""The recorder as a participant of its own: it observes a negotiation over the bus, keeps the
log, and answers the parties' requests for receipts.

``accord recorder`` runs it beside the host and the agents, so that the log does not depend on
the host. After the result it stays ``linger`` seconds after the last envelope it saw (the
parties reveal their profiles and ask for receipts then), then signs a final checkpoint and
closes the log.

A **proof request** is an envelope from a party to ``recorder`` (``proof_request``, body
``{"message_ids": [...]}``, at most :data:`MAX_REQUESTED` ids). For each id the recorder
answers with a ``receipt`` envelope to that party, body ``{"message_id", "receipt", "error"}``:
the receipt (:class:`~accord.ledger.receipts.Receipt`, an inclusion proof of the entry against
a signed checkpoint) or, when there is none, why. A party gets receipts for what it could read
anyway: what it sent, what was sent to it, and broadcasts. The request itself is logged, like
every envelope; a request that does not verify is logged as such and not answered.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field

from pydantic import JsonValue

from accord.broker import Bus, Inbox
from accord.errors import BusError, LedgerError
from accord.ledger.receipts import receipt_for
from accord.ledger.recorder import Recorder
from accord.ledger.records import RECORDER
from accord.ledger.signing import Signer
from accord.logs import get_logger
from accord.wire import HOST, Envelope, Performative, compose

__all__ = ["MAX_REQUESTED", "RecorderService"]

log = get_logger("accord.recorder")

MAX_REQUESTED = 64
"""The most message ids one proof request may ask for."""
_ENDINGS = frozenset({Performative.RESULT, Performative.LOST})

CHECKPOINT_TICK_S = 0.5
"""How often a recorder waiting for traffic looks whether a checkpoint is due."""


@dataclass
class RecorderService:
    """Records the negotiation ``recorder`` was made for from ``bus`` and answers proof
    requests, signing its answers with ``signer``."""

    recorder: Recorder
    bus: Bus
    signer: Signer
    linger: float = 10.0
    """Seconds to wait after the last envelope, once the result is in, before closing."""
    _seq: int = 0
    _index: dict[tuple[str | None, str], tuple[int, str, str | None]] = field(default_factory=dict)
    """(session, message id) -> (log index, sender, addressee) of every envelope logged as
    ``ok``: a proof request is answered from its own session."""
    _ended: bool = False
    _run: tuple[int, str | None] = (-1, None)
    """(sent_ns, session) of the latest-sent authentic ``start`` of the host: its session is
    the run's (an earlier run's ``start``, replayed, is older)."""
    _latest: tuple[int, str | None] = (-1, None)
    """(sent_ns, session) of the latest-sent authentic envelope of the host seen so far."""

    async def run(self, *, give_up: float | None = None) -> None:
        """Record until the negotiation has ended and ``linger`` seconds have passed without
        an envelope (or ``give_up`` seconds without one before the result); then close."""
        negotiation_id = self.recorder.negotiation_id
        try:
            async with self.bus.observe(negotiation_id) as inbox:
                loop = asyncio.get_running_loop()
                while True:
                    wait = self.linger if self._ended else give_up
                    until = None if wait is None else loop.time() + wait
                    envelope = await self._next(inbox, until)
                    if envelope is None:
                        break
                    await self._keep_or_say(envelope)
                while (late := inbox.get_nowait()) is not None:
                    await self._keep_or_say(late)
        finally:
            self.recorder.close()
            log.info("recorder_closed", negotiation_id=negotiation_id, entries=self.entries)

    async def _keep_or_say(self, envelope: Envelope) -> None:
        """:meth:`keep`; a failure (a bug, a full disk) is logged at error level and the
        recorder goes on: it never stops silently."""
        try:
            await self.keep(envelope)
        except Exception:  # one envelope must not stop the record
            log.exception(
                "recorder_failed_on_envelope",
                negotiation_id=envelope.negotiation_id,
                message_id=envelope.message_id,
            )

    async def _next(self, inbox: Inbox, until: float | None) -> Envelope | None:
        """The next envelope, or ``None`` at ``until`` (loop time); checkpoints on time
        while it waits."""
        loop = asyncio.get_running_loop()
        while True:
            left = None if until is None else until - loop.time()
            if left is not None and left <= 0:
                return None
            step = CHECKPOINT_TICK_S if left is None else min(left, CHECKPOINT_TICK_S)
            try:
                async with asyncio.timeout(step):
                    return await inbox.get()
            except TimeoutError:
                self.recorder.checkpoint_if_due()

    @property
    def entries(self) -> int:
        return self.recorder.tree.size

    async def keep(self, envelope: Envelope) -> None:
        """Log ``envelope`` (the recorder's own answers excepted) and answer it if it is a
        proof request."""
        if envelope.sender == RECORDER:
            return
        if self._ended and envelope.performative is Performative.LOST:
            return  # a party leaving after the result (as the host's observer, see runner)
        index, status = self.recorder.record_entry(envelope)
        if status == "ok":
            where = (index, envelope.sender, envelope.to)
            self._index.setdefault((envelope.session, envelope.message_id), where)
            if envelope.sender == HOST:
                self._follow(envelope)
        if envelope.performative is Performative.PROOF_REQUEST and envelope.to == RECORDER:
            if status != "ok":
                log.warning("proof_request_refused", sender=envelope.sender, status=status)
                return
            await self._answer(envelope)

    def _follow(self, host: Envelope) -> None:
        """Note the run's ``start`` and its end, the ``result`` or the host's last will (a
        forged one, or an earlier run's replayed, does not end the recording). A recorder
        that came too late for the ``start`` takes the session of the latest-sent envelope
        of the host it has seen as the run's."""
        sent = int(host.sent_ns)
        if host.performative is Performative.START:
            if sent > self._run[0]:
                self._run = (sent, host.session)
        elif host.performative in _ENDINGS:
            run = self._run[1] if self._run[0] >= 0 else self._latest[1]
            if host.session == run:
                self._ended = True  # the result, or the host's last will: nothing follows
        if sent > self._latest[0]:
            self._latest = (sent, host.session)

    async def _answer(self, request: Envelope) -> None:
        if "consistency" in request.body:
            await self._send(request, self._consistency(request.body["consistency"]))
            return
        raw = request.body.get("message_ids")
        ids = [i for i in raw if isinstance(i, str)] if isinstance(raw, list) else []
        if not isinstance(raw, list) or len(ids) != len(raw):
            await self._reply(request, None, error="body.message_ids must be a list of strings")
            return
        for message_id in ids[:MAX_REQUESTED]:
            await self._reply(request, message_id, error=self._refusal(request, message_id))
        for message_id in ids[MAX_REQUESTED:]:
            await self._reply(request, str(message_id), error=f"over {MAX_REQUESTED} ids")

    def _refusal(self, request: Envelope, message_id: str) -> str | None:
        found = self._index.get((request.session, message_id))
        if found is None:
            return "no such message in the log"
        _, sender, to = found
        if request.sender not in {sender, to} and to is not None:
            return "not a message this party sent, received or was broadcast"
        return None

    def _consistency(self, raw: JsonValue) -> dict[str, JsonValue]:
        """A consistency proof between two signed checkpoints (``[size1, size2]``; without
        ``size2``, a checkpoint of the log as it is now), or why there is none."""
        sizes = [n for n in raw if isinstance(n, int)] if isinstance(raw, list) else []
        if not isinstance(raw, list) or len(sizes) != len(raw) or not 1 <= len(sizes) <= 2:
            return {
                "consistency": None,
                "error": "body.consistency must be [size1] or [size1, size2]",
            }
        signed = {c.tree_size: c for c in self.recorder.checkpoints}
        first = signed.get(sizes[0])
        if len(sizes) == 2:
            second = signed.get(sizes[1])
        else:
            second = self.recorder.covering_checkpoint(self.entries - 1)
        if first is None or second is None or first.tree_size > second.tree_size:
            return {
                "consistency": None,
                "error": f"no signed checkpoints of sizes {sizes}; signed: {sorted(signed)}",
            }
        proof = self.recorder.tree.consistency_proof(first.tree_size, second.tree_size)
        return {
            "consistency": {
                "proof": [base64.b64encode(p).decode("ascii") for p in proof],
                "checkpoint1": first.model_dump(mode="json"),
                "checkpoint2": second.model_dump(mode="json"),
            },
            "error": None,
        }

    async def _reply(self, request: Envelope, message_id: str | None, *, error: str | None) -> None:
        body: dict[str, JsonValue] = {"message_id": message_id, "receipt": None, "error": error}
        if error is None and message_id is not None:
            try:
                index = self._index[request.session, message_id][0]
                receipt = receipt_for(self.recorder, index)
            except LedgerError as exc:
                body["error"] = str(exc)
            else:
                body["receipt"] = receipt.model_dump(mode="json")
        await self._send(request, body)

    async def _send(self, request: Envelope, body: dict[str, JsonValue]) -> None:
        envelope = compose(
            negotiation_id=self.recorder.negotiation_id,
            sender=RECORDER,
            seq=self._seq,
            performative=Performative.RECEIPT,
            body=body,
            to=request.sender,
            round_=request.round,
            in_reply_to=request.message_id,
            session=request.session,
        )
        self._seq += 1
        try:
            await self.bus.publish(self.signer(envelope))
        except BusError as exc:  # the party asks again for what it did not get
            log.warning("receipt_not_sent", to=request.sender, error=str(exc))
