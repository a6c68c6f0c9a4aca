"""Resuming a log: a new run of the recorder appends to a log that an earlier one closed.

A partnership outlives the process that negotiated it: reports and alerts come months after
the ``result``, and they belong in the same log, appended to, never rewritten. The log must
verify first (a log that does not is evidence to keep as it is, not one to write after), with
two allowances for a recorder that was killed: a torn last record (a write cut short) is
moved to ``<log>.torn``, and entries logged after the last checkpoint are covered by a new one.
The recorder takes back its tree, its checkpoints and what every sender signed (so that a
replay of an envelope logged before is still a ``duplicate``), and its next checkpoint
continues the numbering, consistent with the last one.
"""

from __future__ import annotations

from pathlib import Path

from nacl.signing import SigningKey

from accord.errors import LedgerError
from accord.ledger.keys import decode_public_key, encode_public_key
from accord.ledger.recorder import Recorder
from accord.ledger.records import (
    CHECKPOINT_PREFIX,
    RECORDER,
    CheckpointRecord,
    EnvelopeEntry,
    Genesis,
)
from accord.ledger.storage import open_storage, read_records
from accord.ledger.verify import verify_log
from accord.logs import get_logger

__all__ = ["UNCOVERED", "resume_recorder"]

log = get_logger("accord.recorder")


def resume_recorder(path: Path, key: SigningKey, *, checkpoint_every: int = 256) -> Recorder:
    """A recorder appending to the log at ``path`` with the recorder key ``key``; raises
    :class:`~accord.errors.LedgerError` if the log does not verify (but for the allowances of
    the module docstring) or was signed with another recorder key."""
    read = read_records(path)
    if read.torn is not None:
        _set_torn_tail_aside(path, read.torn)
    check = verify_log(path)
    problems = [p for p in check.problems if UNCOVERED not in p.message]
    if problems:
        raise LedgerError(
            f"{path} does not verify, so nothing may be appended to it: {problems[0]}"
        )
    read = read_records(path)
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
        elif raw.startswith(CHECKPOINT_PREFIX):
            recorder.checkpoints.append(CheckpointRecord.model_validate_json(raw).signed())
        else:
            recorder.restore(raw, None, "ok")
    if check.problems:  # entries its recorder logged, killed before a checkpoint covered them
        log.warning("resumed_uncovered_entries", log=str(path), problem=str(check.problems[0]))
        recorder.checkpoint()
    return recorder


UNCOVERED = "are not covered by any signed checkpoint"
"""The one problem a log may have and still be resumed: its recorder was killed after an
entry and before the checkpoint that would have covered it (within a second, see
:meth:`~accord.ledger.recorder.Recorder.checkpoint_if_due`); the same recorder key covers
them now."""


def _set_torn_tail_aside(path: Path, torn: str) -> None:
    """Move the torn last record of a JSONL log (a write its recorder was killed in) to
    ``<log>.torn``, so that the log ends at its last complete record again. Nothing that was
    recorded whole is touched."""
    data = path.read_bytes()
    cut = data.rfind(b"\n") + 1
    aside = path.with_name(path.name + ".torn")
    with aside.open("ab") as kept:
        kept.write(data[cut:] + b"\n")
    with path.open("r+b") as log_file:
        log_file.truncate(cut)
    log.warning("torn_record_set_aside", log=str(path), moved_to=str(aside), torn=torn)
