"""Signing envelopes and checking signatures: one verifier used everywhere (PyNaCl).

PyNaCl's Ed25519 verification is strict about non-canonical signatures, which is why the host,
the recorder and ``accord log verify`` all go through :class:`Verifier`; it also refuses a
signature whose base64 is not the canonical encoding of its 64 bytes (the last character's
two unused bits set), so that nobody can re-encode a party's signature into "another" one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from accord.errors import LedgerError
from accord.ledger.canonical import signing_bytes
from accord.wire import Envelope

__all__ = ["Signer", "Verifier", "b64", "sign_envelope", "signer_for", "strict_b64decode"]

Signer = Callable[[Envelope], Envelope]
"""Something that returns a signed copy of an envelope."""


def sign_envelope(envelope: Envelope, key: SigningKey) -> Envelope:
    """``envelope`` with ``sig`` set to ``key``'s signature over its canonical JSON."""
    data = signing_bytes(envelope)
    sig = b64(key.sign(data).signature)
    _VERIFIED.add(bytes(key.verify_key), data, sig)  # this process made it: it holds
    return envelope.model_copy(update={"sig": sig})


class _Verified:
    """The signatures this process has made or verified: (public key, signed bytes, sig).

    An Ed25519 check is a pure function of those three, and costs ~65 us; in one process the
    host, the agents and the recorder check the same envelopes (and the ones this process
    signed itself), so each is checked once. Bounded: emptied when it holds :attr:`MAX`."""

    MAX = 8192

    def __init__(self) -> None:
        self._held: set[tuple[bytes, bytes, str]] = set()

    def __contains__(self, item: tuple[bytes, bytes, str]) -> bool:
        return item in self._held

    def add(self, key: bytes, data: bytes, sig: str) -> None:
        if len(self._held) >= self.MAX:
            self._held.clear()
        self._held.add((key, data, sig))


_VERIFIED = _Verified()


def b64(data: bytes) -> str:
    """``data`` as standard base64 text (how keys, hashes and signatures are written)."""
    return base64.b64encode(data).decode("ascii")


def strict_b64decode(text: str) -> bytes:
    """The bytes ``text`` encodes, if it is their canonical base64; raises ``ValueError``
    (``binascii.Error``) otherwise. A signature whose last character has its unused bits set
    is the same signature in other text, which anyone could make of a party's envelope."""
    raw = base64.b64decode(text, validate=True)
    if b64(raw) != text:
        raise ValueError("not the canonical base64 of its bytes")
    return raw


def signer_for(key: SigningKey) -> Signer:
    return lambda envelope: sign_envelope(envelope, key)


class Verifier:
    """Checks envelopes against the public keys of the known participants."""

    def __init__(self, keys: Mapping[str, VerifyKey]) -> None:
        self.keys = dict(keys)

    def problem(self, envelope: Envelope, signed: bytes | None = None) -> str | None:
        """``None`` if ``envelope`` is signed by its claimed sender, else the reason:
        ``unknown_sender``, ``unsigned`` or ``bad_signature``. ``signed`` is its
        :func:`~accord.ledger.canonical.signing_bytes`, if the caller has them already."""
        key = self.keys.get(envelope.sender)
        if key is None:
            return "unknown_sender"
        if envelope.sig is None:
            return "unsigned"
        try:
            data = signing_bytes(envelope) if signed is None else signed
            known = (bytes(key), data, envelope.sig)
            if known in _VERIFIED:
                return None
            key.verify(data, strict_b64decode(envelope.sig))
        except (BadSignatureError, binascii.Error, ValueError, LedgerError):
            return "bad_signature"  # LedgerError: not canonicalisable, so signed by nobody
        _VERIFIED.add(*known)
        return None
