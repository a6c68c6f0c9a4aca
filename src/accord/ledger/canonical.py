"""Canonical JSON (RFC 8785, JCS): the exact bytes that are signed, hashed and logged.

Integers beyond 2**53 and non-finite numbers cannot be canonicalised; they are refused with a
:class:`~accord.errors.LedgerError` instead of being rounded (the envelope model already sends
nanosecond times and big numbers as strings).
"""

from __future__ import annotations

import rfc8785
from pydantic import JsonValue

from accord.errors import LedgerError
from accord.wire import Envelope

__all__ = ["canonical", "signing_bytes", "with_signature"]


def canonical(value: JsonValue) -> bytes:
    """The RFC 8785 canonical JSON encoding of ``value``."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise LedgerError(f"cannot canonicalise {value!r:.200}: {exc}") from exc


def signing_bytes(envelope: Envelope) -> bytes:
    """What the sender of ``envelope`` signs: every field but ``sig``, canonicalised."""
    return canonical(envelope.model_dump(mode="json", exclude={"sig"}))


def with_signature(signed: bytes, sig: str | None) -> bytes:
    """The canonical JSON of a whole envelope from its :func:`signing_bytes` and ``sig``.

    Canonical JSON sorts keys, and the envelope's top-level keys end ``..."seq":N,"to":X,
    "v":1}`` (``to`` is null or an identifier, which holds no quote or comma), so ``"sig"``
    goes right before the last ``,"to":``. This saves a second canonicalisation per envelope
    on the log's hot path; ``tests/test_ledger.py`` checks it against ``rfc8785``."""
    at = signed.rfind(b',"to":')
    value = b"null" if sig is None else b'"' + sig.encode("ascii") + b'"'
    return signed[:at] + b',"sig":' + value + signed[at:]
