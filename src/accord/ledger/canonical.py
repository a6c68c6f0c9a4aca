"""Canonical JSON (RFC 8785, JCS): the exact bytes that are signed, hashed and logged.

Integers beyond 2**53 and non-finite numbers cannot be canonicalised; they are refused with a
:class:`~accord.errors.LedgerError` instead of being rounded (the envelope model already sends
nanosecond times and big numbers as strings).
"""

from __future__ import annotations

import json
import operator

import rfc8785
from pydantic import JsonValue

from accord.errors import LedgerError
from accord.wire import Envelope

__all__ = ["admitted", "canonical", "signing_bytes", "with_signature"]


_MAX_SAFE = 2**53 - 1


def canonical(value: JsonValue) -> bytes:
    """The RFC 8785 canonical JSON encoding of ``value``.

    ``rfc8785`` (pure Python) costs ~100 µs for an envelope, more than its Ed25519 signature.
    Where RFC 8785 and the standard library's JSON encoder (in C) give the same bytes, which
    :func:`_for_stdlib` checks in one walk, the encoder is used: sorted keys, no spaces,
    UTF-8, the same escapes. Floats with an integral value are written as integers by RFC 8785
    (``1.0`` as ``1``, ``-0.0`` as ``0``), so the walk hands them to the encoder as integers.
    The two still differ on floats that Python writes with an exponent, on keys outside the
    Basic Multilingual Plane (RFC 8785 sorts UTF-16 code units) and on values RFC 8785
    refuses; those go to ``rfc8785``. ``tests/test_ledger.py`` checks the two agree on
    generated JSON."""
    try:
        plain = _for_stdlib(value)
        return rfc8785.dumps(value) if plain is _DIFFERENT else _stdlib_dumps(plain)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        # UnicodeEncodeError (a lone surrogate) is a ValueError, as in rfc8785
        raise LedgerError(f"cannot canonicalise {value!r:.200}: {exc}") from exc


def _stdlib_dumps(value: object) -> bytes:
    """``value`` by the standard library's encoder, in RFC 8785's layout (for values that
    :func:`_for_stdlib` has prepared)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.encode("utf-8")


_DIFFERENT = object()
"""What :func:`_for_stdlib` returns for a value the standard library would write otherwise."""


def _for_stdlib(value: object) -> object:
    """``value`` as ``json.dumps`` writes it exactly as RFC 8785 does: itself, or a copy with
    integral floats made integers; :data:`_DIFFERENT` if there is no such value."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict and isinstance(value, dict):
        return _object_for_stdlib(value)
    if kind is list and isinstance(value, list):
        items = [_for_stdlib(item) for item in value]
        if any(item is _DIFFERENT for item in items):
            return _DIFFERENT
        return value if all(map(operator.is_, items, value)) else items
    if (kind is int or kind is float) and isinstance(value, int | float):
        return _number_for_stdlib(value)
    return _DIFFERENT  # anything else (subclasses, tuples, ...): rfc8785 decides


def _object_for_stdlib(value: dict[object, object]) -> object:
    copy = {}
    for key, item in value.items():
        if type(key) is not str or not (key.isascii() or max(key) <= "\uffff"):
            return _DIFFERENT  # RFC 8785 sorts keys by UTF-16 code units, Python by code points
        plain = copy[key] = _for_stdlib(item)
        if plain is _DIFFERENT:
            return _DIFFERENT
    return value if all(map(operator.is_, copy.values(), value.values())) else copy


def _number_for_stdlib(value: float) -> object:
    if not -_MAX_SAFE <= value <= _MAX_SAFE:
        return _DIFFERENT  # refused (integers), or written with an exponent (floats)
    if type(value) is int:
        return value
    if value.is_integer():
        return int(value)  # 1.0 and -0.0 are 1 and 0 in RFC 8785
    text = repr(value)
    return value if "e" not in text else _DIFFERENT


def signing_bytes(envelope: Envelope) -> bytes:
    """What the sender of ``envelope`` signs: every field but ``sig``, canonicalised.

    The envelope's own fields are strings, safe integers and ``None`` (its keys are ASCII),
    which both encoders write alike, so only the body is walked (see :func:`canonical`);
    anything unexpected takes the long way, through ``model_dump`` and ``canonical``. The
    bytes of an envelope the transport's gate has just canonicalised (:func:`admitted`) are
    not made again: the receiver's signature check follows right after."""
    known = _ADMITTED.get(id(envelope))
    if known is not None and known[0] is envelope:
        return known[1]
    data = dict(envelope.__dict__)
    del data["sig"]
    data["performative"] = str(envelope.performative.value)
    body = _for_stdlib(data.pop("body"))
    if all(map(_plain_field, data.values())) and body is not _DIFFERENT:
        data["body"] = body
        try:
            return _stdlib_dumps(data)
        except ValueError:
            pass  # a lone surrogate: let canonical() say so
    return canonical(envelope.model_dump(mode="json", exclude={"sig"}))


_ADMITTED: dict[int, tuple[Envelope, bytes]] = {}
"""The signing bytes of the envelopes admitted last, by ``id`` (the envelope is kept, so its
id is not reused while it is here; a hit must be the very same object)."""
_ADMITTED_KEPT = 64


def admitted(envelope: Envelope, signed: bytes) -> None:
    """Keep ``signed``, the :func:`signing_bytes` of ``envelope`` that the gate
    (:func:`accord.broker.admission.admit`) has just made, for the receiver's signature check
    (one canonicalisation per received envelope instead of two). Only the last
    :data:`_ADMITTED_KEPT` are kept."""
    if len(_ADMITTED) >= _ADMITTED_KEPT:
        del _ADMITTED[next(iter(_ADMITTED))]
    _ADMITTED[id(envelope)] = (envelope, signed)


def _plain_field(value: object) -> bool:
    kind = type(value)
    return kind is str or value is None or (kind is int and 0 <= value <= _MAX_SAFE)  # type: ignore[operator]


def with_signature(signed: bytes, sig: str | None) -> bytes:
    """The canonical JSON of a whole envelope from its :func:`signing_bytes` and ``sig``.

    Canonical JSON sorts keys, and the envelope's top-level keys end ``..."seq":N,"to":X,
    "v":1}`` (``to`` is null or an identifier, which holds no quote or comma), so ``"sig"``
    goes right before the last ``,"to":``. This saves a second canonicalisation per envelope
    on the log's hot path; ``tests/test_ledger.py`` checks it against ``rfc8785``."""
    at = signed.rfind(b',"to":')
    value = b"null" if sig is None else b'"' + sig.encode("ascii") + b'"'
    return signed[:at] + b',"sig":' + value + signed[at:]
