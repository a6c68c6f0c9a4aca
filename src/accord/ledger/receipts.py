"""Receipts: an inclusion proof of one log entry against a signed checkpoint, checkable
offline by anyone who trusts the recorder's public key."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nacl.exceptions import BadSignatureError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.errors import LedgerError
from accord.ledger.keys import decode_public_key
from accord.ledger.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from accord.ledger.recorder import Recorder
from accord.ledger.records import (
    RECORDER,
    Checkpoint,
    CheckpointRecord,
    checkpoint_signing_bytes,
)
from accord.ledger.signing import b64
from accord.ledger.storage import read_records

__all__ = [
    "Receipt",
    "check_consistency",
    "check_receipt",
    "load_receipt",
    "make_receipt",
    "receipt_for",
]


class Receipt(BaseModel):
    """Entry ``index`` of a log, its inclusion proof, and the checkpoint it is proved against."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int = Field(ge=0)
    entry: str
    """The entry's line, exactly as logged (canonical JSON)."""
    leaf_hash: str
    proof: list[str]
    checkpoint: Checkpoint
    recorder_key: str
    """The recorder's public key as the log's genesis gives it; pass a trusted key to
    :func:`check_receipt` rather than relying on this copy."""


def make_receipt(path: Path, index: int) -> Receipt:
    """A receipt for entry ``index`` of the log at ``path`` against its last checkpoint.
    Make receipts from a log that verifies: this reads it, it does not check it."""
    tree = MerkleTree()
    entries: list[bytes] = []
    checkpoint: Checkpoint | None = None
    for position, raw in read_records(path).records:
        try:
            record = json.loads(raw)
            if record.get("kind") == "checkpoint":
                checkpoint = CheckpointRecord.model_validate(record).signed()
                continue
        except (json.JSONDecodeError, ValidationError, AttributeError):
            raise LedgerError(f"{path}: line {position} is not a valid record") from None
        entries.append(raw)
        tree.append(raw)
    if not 0 <= index < len(entries):
        raise LedgerError(f"the log has entries 0..{len(entries) - 1}; there is no entry {index}")
    if checkpoint is None or checkpoint.tree_size <= index:
        raise LedgerError(f"no signed checkpoint of the log covers entry {index}")
    return _receipt(entries, tree, index, checkpoint)


def receipt_for(recorder: Recorder, index: int) -> Receipt:
    """A receipt for entry ``index`` of the log ``recorder`` is writing, against its latest
    checkpoint (signing a new one when the latest does not cover the entry yet)."""
    if not 0 <= index < recorder.tree.size:
        raise LedgerError(f"the log has entries 0..{recorder.tree.size - 1}; there is no {index}")
    return _receipt(recorder.lines, recorder.tree, index, recorder.covering_checkpoint(index))


def _receipt(entries: list[bytes], tree: MerkleTree, index: int, checkpoint: Checkpoint) -> Receipt:
    return Receipt(
        index=index,
        entry=entries[index].decode(),
        leaf_hash=b64(tree.leaf(index)),
        proof=[b64(p) for p in tree.inclusion_proof(index, checkpoint.tree_size)],
        checkpoint=checkpoint,
        recorder_key=str(json.loads(entries[0])["keys"][RECORDER]),
    )


def check_receipt(receipt: Receipt, *, recorder_key: str | None = None) -> list[str]:
    """Problems with ``receipt`` (empty when it proves its entry is in the signed log)."""
    problems = []
    key_text = recorder_key or receipt.recorder_key
    entry = receipt.entry.encode()
    hashed = leaf_hash(entry)
    if b64(hashed) != receipt.leaf_hash:
        problems.append("the entry does not hash to the receipt's leaf hash")
    try:
        proof = [base64.b64decode(p, validate=True) for p in receipt.proof]
        root = base64.b64decode(receipt.checkpoint.root, validate=True)
    except (binascii.Error, ValueError):
        return [*problems, "the proof or the root is not base64"]
    cp = receipt.checkpoint
    if not verify_inclusion(hashed, receipt.index, cp.tree_size, proof, root):
        problems.append(
            f"the inclusion proof does not lead from entry {receipt.index} to the root of the "
            f"checkpoint of {cp.tree_size} entries"
        )
    if not _signed_by(cp, key_text):
        problems.append("the checkpoint is not signed by the recorder key")
    return problems


def check_consistency(answer: Mapping[str, Any], *, recorder_key: str) -> list[str]:
    """Problems with a recorder's consistency answer (``{"proof", "checkpoint1",
    "checkpoint2"}``, see :mod:`accord.ledger.service`): empty when both checkpoints are
    signed by ``recorder_key`` and the first tree is a prefix of the second (RFC 9162)."""
    try:
        first = Checkpoint.model_validate(answer.get("checkpoint1"))
        second = Checkpoint.model_validate(answer.get("checkpoint2"))
        proof = [base64.b64decode(p, validate=True) for p in answer.get("proof", [])]
        roots = [base64.b64decode(c.root, validate=True) for c in (first, second)]
    except (ValidationError, binascii.Error, ValueError, TypeError):
        return ["not a consistency answer"]
    problems = [
        f"the checkpoint of {c.tree_size} entries is not signed by the recorder key"
        for c in (first, second)
        if not _signed_by(c, recorder_key)
    ]
    if not verify_consistency(first.tree_size, second.tree_size, proof, *roots):
        problems.append(
            f"the log of {first.tree_size} entries is not a prefix of the log of "
            f"{second.tree_size} entries"
        )
    return problems


def _signed_by(checkpoint: Checkpoint, key_text: str) -> bool:
    try:
        key = decode_public_key(key_text, what="recorder key")
        key.verify(
            checkpoint_signing_bytes(checkpoint),
            base64.b64decode(checkpoint.sig or "", validate=True),
        )
    except (LedgerError, BadSignatureError, binascii.Error, ValueError):
        return False
    return True


def load_receipt(text: str, source: str) -> Receipt:
    try:
        return Receipt.model_validate_json(text)
    except ValidationError as exc:
        raise LedgerError(f"{source} is not a receipt: {exc.errors()[0]['msg']}") from None
