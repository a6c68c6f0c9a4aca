"""``accord keys`` and ``accord log``: identities, and checking transparency logs.

``accord log verify`` exits 0 when the log is valid and 1 when it is not, naming the first bad
record; like every command, 2 on bad input (a missing file, a malformed reveal).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import JsonValue
from rich.console import Console
from rich.table import Table

from accord.errors import InputError, LedgerError
from accord.ledger.commitment import load_reveal
from accord.ledger.keys import decode_public_key, save_key_pair
from accord.ledger.receipts import check_receipt, load_receipt, make_receipt
from accord.ledger.storage import read_records
from accord.ledger.verify import verify_log
from accord.wire import EVENTS, Envelope, events_of

__all__ = ["keys_app", "log_app"]

keys_app = typer.Typer(
    rich_markup_mode=None,  # help text in brackets ([default: ...]) is text, not markup
    help="Ed25519 identities of parties, host and recorder.",
    no_args_is_help=True,
)
log_app = typer.Typer(
    rich_markup_mode=None,  # help text in brackets ([default: ...]) is text, not markup
    help="Inspect and verify transparency logs.",
    no_args_is_help=True,
)
out = Console()

LogArg = Annotated[Path, typer.Argument(help="A log (log.jsonl or log.sqlite) or a run directory.")]


@keys_app.command("new")
def keys_new(
    party: Annotated[str, typer.Argument(help="Party id (or host, recorder).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for PARTY.key and PARTY.pub.")],
) -> None:
    """Create a key pair: PARTY.key (private, mode 0600) and PARTY.pub (public, base64)."""
    private, public = save_key_pair(party, out_dir)
    out.print(f"wrote {private} and {public}", soft_wrap=True, highlight=False)
    out.print(f"public key: {public.read_text().strip()}", soft_wrap=True, highlight=False)


def _log_path(path: Path) -> Path:
    if path.is_dir():
        for name in ("log.jsonl", "log.sqlite"):
            if (path / name).exists():
                return path / name
        raise InputError(f"{path} holds no log.jsonl or log.sqlite")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    return path


@log_app.command("verify")
def verify(
    path: LogArg,
    reveal: Annotated[
        list[Path] | None, typer.Option(help="A reveal file to check against its commitment.")
    ] = None,
    trust: Annotated[
        list[str] | None,
        typer.Option(help="PARTY=PUBLICKEY that must match the log's genesis (repeatable)."),
    ] = None,
) -> None:
    """Check signatures, the Merkle tree, checkpoints and commitments; exit 1 if invalid."""
    trusted = {}
    for item in trust or []:
        party, sep, key = item.partition("=")
        if not sep:
            raise InputError(f"--trust takes PARTY=PUBLICKEY, got {item!r}")
        trusted[party] = key
    result = verify_log(
        _log_path(path), reveals=[load_reveal(r) for r in reveal or []], trusted_keys=trusted
    )
    for note in result.notes:
        out.print(f"note: {note}", soft_wrap=True, highlight=False)
    if result.ok:
        out.print(
            f"valid: {result.entries} entries, {result.checkpoints} signed checkpoints, "
            f"{len(result.revealed)} of {len(result.commitments)} commitments revealed "
            "and matching",
            soft_wrap=True,
            highlight=False,
        )
        return
    first = result.problems[0]
    sys.stderr.write(f"invalid: {result.path}: {first}\n")
    if len(result.problems) > 1:
        sys.stderr.write(f"({len(result.problems) - 1} more problems after the first)\n")
    raise typer.Exit(1)


@log_app.command("show")
def show(
    path: LogArg,
    party: Annotated[str | None, typer.Option(help="Only envelopes sent by this party.")] = None,
    performative: Annotated[str | None, typer.Option(help="Only this performative.")] = None,
) -> None:
    """Print the log as a readable transcript."""
    table = Table(box=None, pad_edge=False)
    for column in ("#", "round", "from", "to", "performative", "what", "status"):
        table.add_column(column)
    for _, raw in read_records(_log_path(path)).records:
        record = json.loads(raw)
        if record.get("type") != "envelope":
            continue
        envelope = Envelope.model_validate(record["envelope"])
        if party is not None and envelope.sender != party:
            continue
        if performative is not None and envelope.performative.value != performative:
            continue
        table.add_row(
            str(record["index"]),
            str(envelope.round),
            envelope.sender,
            envelope.to or "all",
            envelope.performative.value,
            _what(envelope),
            record["status"],
        )
    out.print(table)


def _what(envelope: Envelope) -> str:
    """What the envelope says, then the events it carries (docs/protocol.md#events)."""
    said = _said(envelope.body)
    if EVENTS not in envelope.body:
        return said
    told = "; ".join(_said(event.body) for event in events_of([envelope]))
    return f"{said}; events: {told}" if said else f"events: {told}"


def _said(body: dict[str, JsonValue]) -> str:
    if "outcome" in body:
        outcome = body["outcome"]
        prefix = f"{body['event']} by {body.get('party')}: " if "event" in body else ""
        if isinstance(outcome, dict):
            return prefix + ", ".join(f"{k}={v}" for k, v in outcome.items())
    if "event" in body:
        return f"{body['event']} by {body.get('party')}"
    if "kind" in body:
        return f"asks to {body['kind']}"
    if "reason" in body:
        return str(body["reason"])
    return ""


@log_app.command("prove")
def prove(
    path: LogArg,
    entry: Annotated[int, typer.Option(help="Index of the entry to prove.")],
) -> None:
    """Print a receipt: entry N, its inclusion proof and the signed checkpoint (JSON)."""
    receipt = make_receipt(_log_path(path), entry)
    sys.stdout.write(receipt.model_dump_json(indent=2) + "\n")


@log_app.command("check-proof")
def check_proof(
    proof: Annotated[Path, typer.Argument(help="A receipt from accord log prove.")],
    recorder_key: Annotated[
        str | None,
        typer.Option(
            help="The recorder's public key you trust (base64): recorder.pub of the key "
            "directory, or keys.recorder of the log's first line (the genesis) if you trust "
            "that log."
        ),
    ] = None,
) -> None:
    """Verify a receipt offline against its checkpoint; exit 1 if it does not hold.

    Without --recorder-key the receipt is checked against the key it carries itself, which
    proves only that it is consistent, not who signed it."""
    if recorder_key is not None:
        try:
            decode_public_key(recorder_key, what="--recorder-key")
        except LedgerError as exc:
            raise InputError(str(exc)) from None
    try:
        text = proof.read_text()
    except OSError as exc:
        raise InputError(f"{proof}: {exc.strerror}") from None
    receipt = load_receipt(text, str(proof))
    problems = check_receipt(receipt, recorder_key=recorder_key)
    if problems:
        sys.stderr.write(f"invalid: {proof}: {problems[0]}\n")
        raise typer.Exit(1)
    trusted = "the trusted" if recorder_key else "the receipt's"
    out.print(
        f"valid: entry {receipt.index} is in the log of {receipt.checkpoint.tree_size} entries "
        f"signed by {trusted} recorder key",
        soft_wrap=True,
        highlight=False,
    )
    if recorder_key is None:
        sys.stderr.write(
            "note: checked against the key inside the receipt; pass --recorder-key (recorder.pub, "
            "or keys.recorder of the log's genesis line) to check who signed it\n"
        )
