"""The recorder: appends every envelope of a negotiation to a signed transparency log.

The recorder is independent of the host and the parties: it only observes the bus. Entry 0 is
the genesis (every participant's public key); every envelope follows as an entry with its
receive time and a status from the recorder's own signature check (a bad envelope is still
recorded, marked, so that nothing that was said is lost). Every ``checkpoint_every`` entries,
at most ``checkpoint_seconds`` after an entry that no checkpoint covers yet (checked as
entries arrive and by :meth:`Recorder.checkpoint_if_due`, which a recorder waiting for traffic
calls), and when it is closed, the recorder signs a checkpoint of the tree size and root: a
recorder killed in a quiet moment leaves its log provable up to a second before.

A flood of bad envelopes must not grow the log without bound: after ``max_noise`` of them,
further bad ones are counted in :attr:`Recorder.unrecorded_noise` and logged, not appended.
What the transport refused before it was an envelope (:mod:`accord.broker.admission`) never
reaches the recorder.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

from nacl.signing import SigningKey, VerifyKey

from accord.ledger.canonical import canonical, signing_bytes
from accord.ledger.keys import encode_public_key
from accord.ledger.merkle import MerkleTree
from accord.ledger.records import (
    RECORDER,
    Checkpoint,
    Genesis,
    checkpoint_signing_bytes,
    envelope_entry_line,
)
from accord.ledger.signing import Verifier, b64
from accord.ledger.storage import LogStorage
from accord.logs import get_logger
from accord.wire import Envelope, now_ns

__all__ = ["Recorder", "sign_checkpoint"]

log = get_logger("accord.recorder")


def sign_checkpoint(checkpoint: Checkpoint, key: SigningKey) -> Checkpoint:
    data = checkpoint_signing_bytes(checkpoint)
    signature = b64(key.sign(data).signature)
    return checkpoint.model_copy(update={"sig": signature})


class Recorder:
    """Writes one negotiation's log to ``storage``; use :meth:`record` per envelope and
    :meth:`close` at the end."""

    def __init__(
        self,
        *,
        negotiation_id: str,
        storage: LogStorage,
        key: SigningKey,
        keys: Mapping[str, VerifyKey],
        checkpoint_every: int = 256,
        checkpoint_seconds: float | None = 1.0,
        max_noise: int = 10_000,
        genesis: bool = True,
    ) -> None:
        """``genesis``: write the log's entry 0 (a resumed log has it already, see
        :func:`accord.ledger.resume.resume_recorder`)."""
        self.negotiation_id = negotiation_id
        self.storage = storage
        self.key = key
        self.tree = MerkleTree()
        self.verifier = Verifier(keys)
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seconds = checkpoint_seconds
        self.checkpoints: list[Checkpoint] = []
        self._checkpointed_at = time.monotonic()
        self.max_noise = max_noise
        self.noise = 0
        """Envelopes recorded with a problem (unsigned, badly signed, repeated)."""
        self.unrecorded_noise = 0
        """Bad envelopes beyond ``max_noise``, counted but not recorded."""
        self._seen: dict[tuple[str | None, str, int], bytes] = {}
        """The digest of what each (session, sender, seq) signed: an earlier run's envelope,
        replayed, is of another session and conflicts with nothing of this run."""
        self.lines: list[bytes] = []
        """Every entry as logged, for receipts (:func:`accord.ledger.receipts.receipt_for`)."""
        self.log = log.bind(negotiation_id=negotiation_id)
        if genesis:
            public = {party: encode_public_key(k) for party, k in keys.items()}
            public[RECORDER] = encode_public_key(key)
            entry = Genesis(negotiation_id=negotiation_id, keys=public, created_ns=now_ns())
            self._append(canonical(entry.model_dump(mode="json")))

    def record(self, envelope: Envelope, received_ns: str | None = None) -> int:
        """Append ``envelope``; return its index in the log (-1: a bad envelope beyond
        ``max_noise``, not recorded)."""
        return self.record_entry(envelope, received_ns)[0]

    def record_entry(self, envelope: Envelope, received_ns: str | None = None) -> tuple[int, str]:
        """Append ``envelope``, received now (or at ``received_ns``, in nanoseconds: a direct
        run, logged after it); return its index in the log and its status (``ok`` or the problem the
        recorder found: a bad signature, a duplicate, a conflicting repeat)."""
        signed = signing_bytes(envelope)
        status = self.verifier.problem(envelope, signed) or self._repeat(envelope, signed) or "ok"
        if status != "ok":
            if self.noise >= self.max_noise:
                self.unrecorded_noise += 1
                if self.unrecorded_noise == 1:
                    self.log.warning("noise_no_longer_recorded", max_noise=self.max_noise)
                return -1, status
            self.noise += 1
            self.log.warning(
                "envelope_recorded_with_problem",
                status=status,
                sender=envelope.sender,
                message_id=envelope.message_id,
            )
        line = envelope_entry_line(
            index=self.tree.size,
            received_ns=now_ns() if received_ns is None else received_ns,
            status=status,
            envelope=envelope,
            signed=signed,
        )
        index = self._append(line)
        if self.tree.size % self.checkpoint_every == 0:
            self.checkpoint()
        else:
            self.checkpoint_if_due()
        return index, status

    def checkpoint_if_due(self) -> Checkpoint | None:
        """Sign a checkpoint if entries are uncovered and ``checkpoint_seconds`` have passed
        since the last one; return it, if it signed one."""
        seconds = self.checkpoint_seconds
        covered = self.checkpoints[-1].tree_size if self.checkpoints else 0
        if seconds is None or covered == self.tree.size:
            return None
        if time.monotonic() - self._checkpointed_at < seconds:
            return None
        return self.checkpoint()

    def _repeat(self, envelope: Envelope, signed: bytes) -> str | None:
        """``duplicate`` for a repeat of a (session, sender, seq) already recorded with the
        same content, ``conflict`` for one with different content."""
        digest = hashlib.sha256(signed).digest()
        key = (envelope.session, envelope.sender, envelope.seq)
        previous = self._seen.setdefault(key, digest)
        if previous is digest:
            return None
        return "duplicate" if previous == digest else "conflict"

    def restore(self, line: bytes, envelope: Envelope | None, status: str) -> None:
        """Take back an entry of a log being resumed, as it was logged (not written again)."""
        self.lines.append(line)
        self.tree.append(line)
        if envelope is None:
            return
        if status != "ok":
            self.noise += 1
        else:
            self._repeat(envelope, signing_bytes(envelope))

    def _append(self, line: bytes) -> int:
        self.storage.append(line)
        self.lines.append(line)
        return self.tree.append(line)

    def covering_checkpoint(self, index: int) -> Checkpoint:
        """The latest signed checkpoint if it covers entry ``index``, else a new one."""
        if self.checkpoints and self.checkpoints[-1].tree_size > index:
            return self.checkpoints[-1]
        return self.checkpoint()

    def checkpoint(self) -> Checkpoint:
        """Sign and store a checkpoint of the tree as it is now."""
        covered = self.checkpoints[-1].tree_size if self.checkpoints else 0
        checkpoint = sign_checkpoint(
            Checkpoint(
                negotiation_id=self.negotiation_id,
                number=len(self.checkpoints),
                tree_size=self.tree.size,
                root=b64(self.tree.root()),
                time_ns=now_ns(),
            ),
            self.key,
        )
        leaves = [b64(self.tree.leaf(i)) for i in range(covered, self.tree.size)]
        record = {**checkpoint.model_dump(mode="json"), "leaves": leaves}
        self.storage.append(canonical(record), durable=True)
        self.checkpoints.append(checkpoint)
        self._checkpointed_at = time.monotonic()
        return checkpoint

    def close(self) -> None:
        """Sign a final checkpoint (unless the last one covers everything) and close."""
        if not self.checkpoints or self.checkpoints[-1].tree_size != self.tree.size:
            self.checkpoint()
        self.storage.close()
