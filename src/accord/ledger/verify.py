"""Verifying a transparency log end to end, without trusting anybody who produced it.

``verify_log`` re-reads every record and checks, in order: that each entry is canonical JSON
with the next index (so deleted, inserted or reordered entries show), that every envelope the
recorder marked ``ok`` carries a valid signature of its claimed sender under the keys of the
genesis entry (or of keys the auditor trusts), that each sender's sequence numbers increase
without a gap, that every checkpoint is in canonical form (strict base64 included), signed by
the recorder, matches the Merkle root of the entries before it and is consistent with the
previous one (when it does not, but the leaf hashes its line lists give the signed root,
each entry that no longer hashes to its leaf is named at its own line), that the host's
``result`` is there and a final checkpoint covers every entry (a log cut anywhere, even just
after a checkpoint, is incomplete), and that every revealed profile (and mandate) matches its
party's commitment. Each problem is named with its line (or row) and entry index, in the
order of the log.

A log may hold authentic envelopes of more than one session: anyone on the broker can replay
what a party signed in an earlier run of the same negotiation id, and the recorder logs what
it saw. Sequence numbers and commitments are therefore checked per session, and the log's
*run* (:attr:`Verification.session`) is the session of the latest-sent authentic ``start`` of
the host (without one, of its latest-sent ``open``): its joins are the commitments, its
reveals are checked against them, and the audit holds the other sessions' envelopes to nobody.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from pydantic import ValidationError

from accord.errors import LedgerError
from accord.ledger.canonical import canonical
from accord.ledger.commitment import Reveal
from accord.ledger.keys import decode_public_key
from accord.ledger.merkle import MerkleTree, verify_consistency
from accord.ledger.records import (
    RECORDER,
    CheckpointRecord,
    EnvelopeEntry,
    Genesis,
    checkpoint_signing_bytes,
)
from accord.ledger.signing import Verifier, strict_b64decode
from accord.ledger.storage import read_records
from accord.wire import HOST, WILL_SEQ, Envelope, Performative

__all__ = ["LogProblem", "Verification", "verify_log"]


@dataclass(frozen=True, slots=True)
class LogProblem:
    position: int | None
    """Line (JSONL) or row (SQLite) of the record at fault; ``None`` for a reveal file."""
    index: int | None
    """Entry index, when the record is an entry."""
    message: str

    def __str__(self) -> str:
        where = "reveal file" if self.position is None else f"line {self.position}"
        if self.index is not None:
            where += f" (entry {self.index})"
        return f"{where}: {self.message}"


@dataclass
class Verification:
    """The outcome of :func:`verify_log`."""

    path: Path
    entries: int = 0
    checkpoints: int = 0
    """Checkpoints that verify."""
    checkpoints_found: int = 0
    """Checkpoint records in the log, whether they verify or not."""
    problems: list[LogProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Facts that do not invalidate the log: a torn tail after a crash, entries the recorder
    marked as bad (unsigned, forged, duplicate), commitments never revealed."""
    negotiation_id: str | None = None
    session: str | None = None
    """The session of the run the log records (see the module docstring)."""
    charter_sessions: list[str] = field(default_factory=list)
    """The sessions of the charters the host proposed after the result (docs/lifecycle.md),
    in log order: their envelopes are the partnership's, not another run's."""
    keys: dict[str, str] = field(default_factory=dict)
    commitments: dict[str, str] = field(default_factory=dict)
    revealed: dict[str, Reveal] = field(default_factory=dict)
    mandate_commitments: dict[str, str] = field(default_factory=dict)
    mandates: dict[str, Reveal] = field(default_factory=dict)
    """Reveals whose mandate matched the party's mandate commitment, by party."""

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_log(
    path: Path, *, reveals: Iterable[Reveal] = (), trusted_keys: Mapping[str, str] | None = None
) -> Verification:
    """Check the log at ``path``; see the module docstring. Raises :class:`LedgerError` only
    when the log cannot be read at all."""
    read = read_records(path)
    return _Checker(path, trusted_keys or {}).run(read.records, read.torn, reveals)


class _Checker:
    def __init__(self, path: Path, trusted: Mapping[str, str]) -> None:
        self.result = Verification(path)
        self.trusted = trusted
        self.tree = MerkleTree()
        self.verifier = Verifier({})
        self.recorder_key: VerifyKey | None = None
        self.last_seq: dict[tuple[str | None, str], int] = {}
        """The last sequence number of each (session, sender)."""
        self.previous: CheckpointRecord | None = None
        self.position = 0
        self.positions: list[int] = []
        """The line (or row) of each entry, by index."""
        self.listed = MerkleTree()
        """The tree of the leaf hashes the checkpoints list."""
        self.compared = 0
        """Entries before this one were compared with their listed leaves (or proved)."""
        self.joins: dict[str | None, dict[str, tuple[str, str | None]]] = {}
        """Per session, each party's commitment and mandate commitment."""
        self.logged_reveals: list[tuple[int, int, str | None, Reveal]] = []
        """(position, index, session, reveal) of every reveal in the log."""
        self.results: dict[str | None, int] = {}
        """The index of the host's (first) ``result`` in each session."""
        self.seq_problems: list[tuple[int, int, str | None, str]] = []
        """(position, index, session, problem) of every envelope out of sequence, and of
        every gap before one."""
        self.openings: list[tuple[bool, int, str | None]] = []
        """(is a start, sent_ns, session) of every authentic ``open`` and ``start``."""
        self.charters: set[str | None] = set()
        """The sessions of charters (those of the host's ``sign``s, docs/lifecycle.md)."""

    def run(
        self, records: list[tuple[int, bytes]], torn: str | None, reveals: Iterable[Reveal]
    ) -> Verification:
        result = self.result
        for position, raw in records:
            try:
                self._record(position, raw)
            except _Bad as bad:
                result.problems.append(LogProblem(position, bad.index, bad.message))
                if bad.fatal:
                    break
        if torn is not None:
            result.notes.append(torn)
        self._run_session()
        result.problems.sort(key=lambda p: (p.position is None, p.position or 0))
        result.entries = self.tree.size
        last = self.previous
        if not result.problems:
            if last is None:
                result.problems.append(
                    LogProblem(records[-1][0] if records else 0, None, "no signed checkpoint")
                )
            elif last.tree_size != self.tree.size:
                result.problems.append(
                    LogProblem(
                        records[-1][0],
                        None,
                        f"entries {last.tree_size}..{self.tree.size - 1} are not covered by "
                        "any signed checkpoint",
                    )
                )
        if not result.problems and result.session not in self.results:
            result.problems.append(
                LogProblem(
                    records[-1][0] if records else 0,
                    None,
                    "the log is incomplete: it holds no result from the host for this run "
                    "(the negotiation did not end, or the log was cut after entry "
                    f"{self.tree.size - 1})",
                )
            )
        for reveal in reveals:
            self._reveal(reveal, from_file=True, index=None)
        for party in sorted(set(result.commitments) - set(result.revealed)):
            result.notes.append(f"party {party!r} committed to a profile but did not reveal it")
        for party in sorted(set(result.mandate_commitments) - set(result.mandates)):
            result.notes.append(f"party {party!r} committed to a mandate but did not reveal it")
        return result

    def _run_session(self) -> None:
        """Settle the run's session, its commitments and its reveals."""
        result = self.result
        if self.openings:
            result.session = max(self.openings, key=lambda o: (o[0], o[1]))[2]
        for position, index, session, message in self.seq_problems:
            if session in self.charters:
                # a charter's sequence numbers are slots (docs/lifecycle.md): a missing report
                # leaves a gap, a late one comes out of order; the monitor names both
                continue
            if session == result.session:
                result.problems.append(LogProblem(position, index, message))
            else:
                result.notes.append(f"entry {index}: of another session ({session}): {message}")
        for party, (commitment, mandate) in self.joins.get(result.session, {}).items():
            result.commitments[party] = commitment
            if mandate is not None:
                result.mandate_commitments[party] = mandate
        for position, index, session, reveal in self.logged_reveals:
            if session != result.session:
                result.notes.append(
                    f"entry {index}: a reveal by {reveal.party!r} of another session "
                    f"({session}), not this run's"
                )
                continue
            try:
                self._reveal(reveal, from_file=False, index=index)
            except _Bad as bad:
                result.problems.append(LogProblem(position, bad.index, bad.message))

    def _record(self, position: int, raw: bytes) -> None:
        self.position = position
        index = self.tree.size
        if len(self.positions) == index:
            self.positions.append(position)
        if raw.startswith(_ENVELOPE_ENTRY):
            self._envelope(index, raw)
            return
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _Bad(None, f"not a JSON record ({exc})", fatal=True) from None
        if not isinstance(data, dict):
            raise _Bad(None, "not a JSON object", fatal=True)
        if data.get("kind") == "checkpoint":
            self._checkpoint(data, raw)
            return
        if data.get("index") != index:
            raise _Bad(
                index,
                f"has index {data.get('index')!r} where {index} was expected: an entry was "
                "deleted, inserted or moved",
                fatal=True,
            )
        if index != 0:
            raise _Bad(index, "an entry that is neither the genesis nor an envelope", fatal=True)
        self.tree.append(raw)
        if canonical(data) != raw:
            raise _Bad(index, "the entry is not in canonical form: it was altered", fatal=True)
        self._genesis(data)

    def _genesis(self, data: dict[str, object]) -> None:
        try:
            genesis = Genesis.model_validate(data)
        except ValidationError as exc:
            raise _Bad(
                0, f"not a valid genesis entry: {exc.errors()[0]['msg']}", fatal=True
            ) from None
        keys = dict(genesis.keys)
        for party, key in self.trusted.items():
            if keys.get(party) != key:
                raise _Bad(0, f"the key of {party!r} is not the one you trust", fatal=True)
        try:
            decoded = {p: decode_public_key(k, what=f"key of {p!r}") for p, k in keys.items()}
        except LedgerError as exc:
            raise _Bad(0, str(exc), fatal=True) from None
        if RECORDER not in decoded:
            raise _Bad(0, "the genesis names no recorder key", fatal=True)
        self.recorder_key = decoded.pop(RECORDER)
        self.verifier = Verifier(decoded)
        self.result.negotiation_id = genesis.negotiation_id
        self.result.keys = keys

    def _envelope(self, index: int, raw: bytes) -> None:
        """An envelope entry. Its signature is checked over the bytes of the line itself (the
        envelope's canonical JSON without ``sig``), so any changed byte in a signed envelope
        fails here, at its line, without canonicalising it again; the recorder's own fields
        are checked against the line's fixed layout."""
        try:
            entry = EnvelopeEntry.model_validate_json(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            raise _Bad(index, f"not a valid envelope entry: {where}: {error['msg']}") from None
        if entry.index != index:
            raise _Bad(
                index,
                f"has index {entry.index} where {index} was expected: an entry was deleted, "
                "inserted or moved",
                fatal=True,
            )
        self.tree.append(raw)
        if self.recorder_key is None:
            raise _Bad(index, "an envelope entry before the genesis", fatal=True)
        envelope = entry.envelope
        tail = (
            f',"index":{index},"kind":"entry","received_ns":"{entry.received_ns}",'
            f'"status":"{entry.status}","type":"envelope"}}'
        ).encode()
        if not raw.endswith(tail):
            raise _Bad(index, "the entry is not in canonical form: it was altered")
        signed = _unsigned(raw[len(_ENVELOPE_ENTRY) : -len(tail)], envelope.sig)
        if signed is None:
            raise _Bad(index, "the envelope is not in canonical form: it was altered")
        if envelope.negotiation_id != self.result.negotiation_id:
            raise _Bad(index, f"belongs to negotiation {envelope.negotiation_id!r}")
        if entry.status != "ok":
            self.result.notes.append(
                f"entry {index}: the recorder marked {envelope.message_id!r} from "
                f"{envelope.sender!r} as {entry.status}"
            )
            return
        problem = self.verifier.problem(envelope, signed)
        if problem is not None:
            raise _Bad(
                index,
                f"{envelope.message_id!r} is marked ok but fails its check: {problem} "
                f"(claimed sender {envelope.sender!r})",
            )
        key = (envelope.session, envelope.sender)
        last = self.last_seq.get(key, -1)
        if last >= 0 and envelope.seq > last + 1 and envelope.seq != WILL_SEQ:
            gap = f"{last + 1}" if envelope.seq == last + 2 else f"{last + 1}..{envelope.seq - 1}"
            message = (
                f"{envelope.sender!r} sequence number {envelope.seq} after {last}: "
                f"{envelope.sender}:{gap} is missing from the log"
            )
            self.seq_problems.append((self.position, index, envelope.session, message))
        if envelope.seq <= last:
            # a problem of the log only in the run's session (settled at the end): anyone
            # can replay another session's envelopes, in any order
            message = (
                f"{envelope.sender!r} sequence number {envelope.seq} after {last}: a replayed "
                "or reordered envelope"
            )
            self.seq_problems.append((self.position, index, envelope.session, message))
            return
        self.last_seq[key] = envelope.seq
        self._commitments(index, envelope)

    def _commitments(self, index: int, envelope: Envelope) -> None:
        """Note the host's ``open``/``start``, the commitments of a ``join`` and the
        reveals, by session (settled in :meth:`_run_session`)."""
        sender, performative, body = envelope.sender, envelope.performative, envelope.body
        if sender == HOST and performative in (Performative.OPEN, Performative.START):
            start = performative is Performative.START
            self.openings.append((start, int(envelope.sent_ns), envelope.session))
        elif sender == HOST and performative is Performative.RESULT:
            self.results.setdefault(envelope.session, index)
        elif sender == HOST and performative is Performative.SIGN:
            if envelope.session is not None and envelope.session not in self.charters:
                self.result.charter_sessions.append(envelope.session)
            self.charters.add(envelope.session)
        elif performative is Performative.JOIN and isinstance(body.get("commitment"), str):
            mandate = body.get("mandate_commitment")
            self.joins.setdefault(envelope.session, {})[sender] = (
                str(body["commitment"]),
                mandate if isinstance(mandate, str) else None,
            )
        elif performative is Performative.REVEAL:
            try:
                reveal = Reveal.model_validate({"party": sender, **body})
            except ValidationError as exc:
                raise _Bad(index, f"a malformed reveal: {exc.errors()[0]['msg']}") from None
            self.logged_reveals.append((self.position, index, envelope.session, reveal))

    def _reveal(self, reveal: Reveal, *, from_file: bool, index: int | None) -> None:
        commitment = self.result.commitments.get(reveal.party)
        problem: str | None
        if commitment is None:
            problem = f"party {reveal.party!r} revealed a profile it never committed to"
        elif not reveal.matches(commitment):
            problem = f"the profile revealed by {reveal.party!r} does not match its commitment"
        else:
            problem = self._mandate(reveal)
            if problem is None:
                self.result.revealed[reveal.party] = reveal
                return
        if not from_file:
            raise _Bad(index, problem)
        self.result.problems.append(LogProblem(None, None, problem))

    def _mandate(self, reveal: Reveal) -> str | None:
        """A problem with the mandate in ``reveal`` (whose profile matched), or ``None``."""
        commitment = self.result.mandate_commitments.get(reveal.party)
        if reveal.mandate is None:
            return None
        if commitment is None:
            return f"party {reveal.party!r} revealed a mandate it never committed to"
        if not reveal.mandate_matches(commitment):
            return f"the mandate revealed by {reveal.party!r} does not match its commitment"
        self.result.mandates[reveal.party] = reveal
        return None

    def _checkpoint(self, data: dict[str, object], raw: bytes) -> None:
        self.result.checkpoints_found += 1
        try:
            checkpoint = CheckpointRecord.model_validate(data)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            raise _Bad(None, f"not a valid checkpoint: {where}: {error['msg']}") from None
        if self.recorder_key is None:
            raise _Bad(None, "a checkpoint before the genesis", fatal=True)
        if canonical(checkpoint.model_dump(mode="json")) != raw:
            raise _Bad(None, "the checkpoint is not in canonical form: it was altered")
        try:
            self.recorder_key.verify(
                checkpoint_signing_bytes(checkpoint), strict_b64decode(checkpoint.sig or "")
            )
            strict_b64decode(checkpoint.root)
        except (BadSignatureError, binascii.Error, ValueError):
            raise _Bad(None, "the checkpoint's signature is not the recorder's") from None
        size = checkpoint.tree_size
        if size > self.tree.size:
            raise _Bad(
                None,
                f"the checkpoint covers {size} entries but only {self.tree.size} precede it: "
                "the log was truncated behind a published checkpoint",
                fatal=True,
            )
        previous = self.previous
        expected = 0 if previous is None else previous.number + 1
        if checkpoint.number != expected:
            raise _Bad(
                None,
                f"the checkpoint is number {checkpoint.number}, where number {expected} comes "
                "next: a checkpoint was deleted from the log (or moved)",
            )
        first = self.listed.size
        if len(checkpoint.leaves) != size - first:
            raise _Bad(
                None,
                f"the checkpoint lists {len(checkpoint.leaves)} leaves for entries "
                f"{first}..{size - 1}: it was altered",
            )
        for leaf in checkpoint.leaves:
            self.listed.append_hash(base64.b64decode(leaf))
        root = base64.b64decode(checkpoint.root)
        tree = self.tree if self.tree.root_at(size) == root else self._as_listed(size, root)
        self.compared = size
        if previous is not None:
            if size < previous.tree_size:
                raise _Bad(None, "the checkpoint covers fewer entries than the one before it")
            if size > previous.tree_size and not verify_consistency(
                previous.tree_size,
                size,
                tree.consistency_proof(previous.tree_size, size),
                base64.b64decode(previous.root),
                root,
            ):  # pragma: no cover - both roots were just recomputed from the same entries
                raise _Bad(None, "the checkpoint is not consistent with the one before it")
        self.previous = checkpoint
        self.result.checkpoints += 1

    def _as_listed(self, size: int, root: bytes) -> MerkleTree:
        """The tree of the first ``size`` entries as the checkpoints list their leaves, when it
        has the signed ``root`` (which proves the list): every entry not yet compared that
        does not hash to its listed leaf was changed after it was logged, and is named at its
        own line. Otherwise the root says only that something in ``0..size - 1`` changed."""
        if self.listed.root_at(size) != root:
            raise _Bad(None, f"the checkpoint's root does not match entries 0..{size - 1}")
        for index in range(self.compared, size):
            if self.tree.leaf(index) != self.listed.leaf(index):
                self.result.problems.append(
                    LogProblem(
                        self.positions[index],
                        index,
                        "the entry was changed after it was logged: it does not hash to the "
                        f"leaf the recorder's checkpoint of {size} entries signed (line "
                        f"{self.position})",
                    )
                )
        return self.listed


_ENVELOPE_ENTRY = b'{"envelope":'


def _unsigned(whole: bytes, sig: str | None) -> bytes | None:
    """An envelope's signing bytes cut from its canonical JSON (the inverse of
    :func:`~accord.ledger.canonical.with_signature`); ``None`` if ``sig`` is not where
    canonical JSON puts it."""
    at = whole.rfind(b',"to":')
    member = b',"sig":' + (b"null" if sig is None else b'"' + sig.encode("ascii") + b'"')
    if at < 0 or not whole[:at].endswith(member):
        return None
    return whole[: at - len(member)] + whole[at:]


class _Bad(Exception):  # an internal signal, never escapes this module
    def __init__(self, index: int | None, message: str, *, fatal: bool = False) -> None:
        self.index = index
        self.message = message
        self.fatal = fatal
        super().__init__(message)
