"""The records of a transparency log, one JSON object per line.

Two kinds of line:

* an **entry** (``"kind": "entry"``), a leaf of the Merkle tree: entry 0 is the ``genesis``
  (the negotiation id and every participant's public key), every later entry is an
  ``envelope`` as the recorder received it, with its receive time and a ``status`` (``ok``, or
  why it is not: ``unsigned``, ``bad_signature``, ``unknown_sender``, ``duplicate``,
  ``conflict``). The leaf is exactly the bytes of the line (RFC 8785 canonical JSON, no
  newline), so a changed byte anywhere changes the tree.
* a **checkpoint** (``"kind": "checkpoint"``), not a leaf: the tree size, the root hash
  (base64) and the time, signed by the recorder over the canonical JSON of the other fields;
  its line also lists the leaf hashes of the entries it is the first to cover (``leaves``,
  not signed: the signed root authenticates them), so that an entry changed after it was
  logged is found at its own line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.ledger.canonical import canonical, with_signature
from accord.wire import Envelope

__all__ = [
    "CHECKPOINT_PREFIX",
    "RECORDER",
    "Checkpoint",
    "CheckpointRecord",
    "EnvelopeEntry",
    "Genesis",
    "LogEntry",
    "checkpoint_signing_bytes",
    "envelope_entry_line",
    "last_checkpoint",
]

RECORDER = "recorder"
"""The participant id of the recorder."""

_B64_HASH = r"^[A-Za-z0-9+/]{43}=$"
_B64_SIG = r"^[A-Za-z0-9+/]{86}==$"
_NS = r"^[0-9]{1,20}$"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Genesis(_Model):
    """Entry 0: what the log is about and who may speak in it."""

    kind: Literal["entry"] = "entry"
    index: Literal[0] = 0
    type: Literal["genesis"] = "genesis"
    negotiation_id: str
    keys: dict[str, str]
    """Every participant's Ed25519 public key (base64): the parties, ``host``, ``recorder``."""
    created_ns: Annotated[str, Field(pattern=_NS)]


class EnvelopeEntry(_Model):
    """An envelope as the recorder received it."""

    kind: Literal["entry"] = "entry"
    index: Annotated[int, Field(ge=1)]
    type: Literal["envelope"] = "envelope"
    received_ns: Annotated[str, Field(pattern=_NS)]
    status: Literal["ok", "unsigned", "bad_signature", "unknown_sender", "duplicate", "conflict"]
    envelope: Envelope


LogEntry = Annotated[Genesis | EnvelopeEntry, Field(discriminator="type")]


class Checkpoint(_Model):
    """A signed statement by the recorder: the first ``tree_size`` entries hash to ``root``."""

    kind: Literal["checkpoint"] = "checkpoint"
    negotiation_id: str
    number: Annotated[int, Field(ge=0, strict=True)]
    """Its place among the recorder's checkpoints of the log: 0, 1, 2, ... (signed, so a
    checkpoint deleted from the log leaves a gap that ``verify`` finds)."""
    tree_size: Annotated[int, Field(ge=1)]
    root: Annotated[str, Field(pattern=_B64_HASH)]
    time_ns: Annotated[str, Field(pattern=_NS)]
    sig: Annotated[str, Field(pattern=_B64_SIG)] | None = None


class CheckpointRecord(Checkpoint):
    """A checkpoint as its line in the log holds it: the signed checkpoint, and the leaf hashes
    of the entries it covers beyond the previous checkpoint."""

    leaves: list[Annotated[str, Field(pattern=_B64_HASH)]]
    """Base64 leaf hashes of entries ``previous.tree_size .. tree_size - 1``, in order. Not
    signed: the tree of these leaves (after the earlier ones) has the signed root, which
    proves them; ``verify`` compares each entry with its leaf to name a changed line."""

    def signed(self) -> Checkpoint:
        """The checkpoint without the leaf list (what receipts carry)."""
        return Checkpoint.model_validate(self.model_dump(exclude={"leaves"}))


def checkpoint_signing_bytes(checkpoint: Checkpoint) -> bytes:
    """What the recorder signs: the canonical JSON of the checkpoint's fields but ``sig`` (and
    a record's ``leaves``)."""
    return canonical(checkpoint.model_dump(mode="json", include=_SIGNED))


_SIGNED = set(Checkpoint.model_fields) - {"sig"}


def envelope_entry_line(
    *, index: int, received_ns: str, status: str, envelope: Envelope, signed: bytes
) -> bytes:
    """The canonical JSON line of an :class:`EnvelopeEntry`, built from the envelope's
    signing bytes (``signed``) without canonicalising it again: canonical JSON nests, and the
    entry's own keys sort as ``envelope, index, kind, received_ns, status, type``."""
    return b"".join(
        (
            b'{"envelope":',
            with_signature(signed, envelope.sig),
            b',"index":',
            str(index).encode(),
            b',"kind":"entry","received_ns":"',
            received_ns.encode(),
            b'","status":"',
            status.encode(),
            b'","type":"envelope"}',
        )
    )


CHECKPOINT_PREFIX = b'{"kind":"checkpoint"'
"""How every checkpoint line begins (canonical JSON sorts ``kind`` first)."""


def last_checkpoint(records: Iterable[tuple[int, bytes]]) -> CheckpointRecord | None:
    """The last checkpoint among a log's ``records`` (as
    :func:`~accord.ledger.storage.read_records` gives them), or ``None``."""
    last = None
    for _, raw in records:
        if raw.startswith(CHECKPOINT_PREFIX):
            last = raw
    return None if last is None else CheckpointRecord.model_validate_json(last)
