"""Resuming a log: a new run of the recorder appends to a log that an earlier one closed.

A partnership outlives the process that negotiated it: reports and alerts come months after
the ``result``, and they belong in the same log, appended to, never rewritten. The log must
verify first (a log that does not is evidence to keep as it is, not one to write after); the
recorder takes back its tree, its checkpoints and what every sender signed (so that a replay
of an envelope logged before is still a ``duplicate``), and its next checkpoint continues the
numbering, consistent with the last one.
"""

from __future__ import annotations

from pathlib import Path

from nacl.signing import SigningKey

from accord.errors import LedgerError
from accord.ledger.keys import decode_public_key, encode_public_key
from accord.ledger.recorder import Recorder
from accord.ledger.records import RECORDER, CheckpointRecord, EnvelopeEntry, Genesis
from accord.ledger.storage import open_storage, read_records
from accord.ledger.verify import verify_log

__all__ = ["resume_recorder"]


def resume_recorder(path: Path, key: SigningKey, *, checkpoint_every: int = 256) -> Recorder:
    """A recorder appending to the log at ``path`` with the recorder key ``key``; raises
    :class:`~accord.errors.LedgerError` if the log does not verify, ends in a torn record, or
    was signed with another recorder key."""
    check = verify_log(path)
    if not check.ok:
        raise LedgerError(
            f"{path} does not verify, so nothing may be appended to it: {check.problems[0]}"
        )
    read = read_records(path)
    if read.torn is not None:
        raise LedgerError(f"{path}: {read.torn}; resume only a log its recorder closed")
    genesis = Genesis.model_validate_json(read.records[0][1])
    if genesis.keys.get(RECORDER) != encode_public_key(key.verify_key):
        raise LedgerError(
            f"{path} was recorded with another recorder key than the one given: only its own "
            "recorder may append to it"
        )
    keys = {
        who: decode_public_key(text, what=f"key of {who!r}")
        for who, text in genesis.keys.items()
        if who != RECORDER
    }
    recorder = Recorder(
        negotiation_id=genesis.negotiation_id,
        storage=open_storage(path),
        key=key,
        keys=keys,
        checkpoint_every=checkpoint_every,
        genesis=False,
    )
    for _, raw in read.records:
        if raw.startswith(b'{"envelope":'):
            entry = EnvelopeEntry.model_validate_json(raw)
            recorder.restore(raw, entry.envelope, entry.status)
        elif raw.startswith(b'{"kind":"checkpoint"'):
            recorder.checkpoints.append(CheckpointRecord.model_validate_json(raw).signed())
        else:
            recorder.restore(raw, None, "ok")
    return recorder
