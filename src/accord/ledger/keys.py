"""Ed25519 identities (PyNaCl): generating, saving, loading and encoding keys.

A party's key pair is two files in one directory: ``<party>.key`` (the 32-byte seed, base64,
readable by its owner only) and ``<party>.pub`` (the public key, base64). Public keys travel
in scenarios and logs as base64 strings.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterable
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.signing import SigningKey, VerifyKey

from accord.errors import LedgerError

__all__ = [
    "decode_public_key",
    "encode_public_key",
    "generate_key",
    "load_keys",
    "load_signing_key",
    "save_key_pair",
]


def generate_key() -> SigningKey:
    """A new random Ed25519 signing key."""
    return SigningKey.generate()


def encode_public_key(key: SigningKey | VerifyKey) -> str:
    verify_key = key.verify_key if isinstance(key, SigningKey) else key
    return base64.b64encode(bytes(verify_key)).decode("ascii")


def decode_public_key(text: str, *, what: str = "public key") -> VerifyKey:
    """A verify key from its base64 form; raises :class:`LedgerError` naming ``what``."""
    try:
        raw = base64.b64decode(text, validate=True)
        return VerifyKey(raw)
    except (binascii.Error, ValueError, TypeError, CryptoError) as exc:
        raise LedgerError(
            f"{what} {text!r:.60} is not a base64 Ed25519 public key: {exc}"
        ) from None


def save_key_pair(party: str, directory: Path, key: SigningKey | None = None) -> tuple[Path, Path]:
    """Write ``<party>.key`` (mode 0600) and ``<party>.pub`` into ``directory``; refuses to
    overwrite an existing private key."""
    key = key or generate_key()
    directory.mkdir(parents=True, exist_ok=True)
    private, public = directory / f"{party}.key", directory / f"{party}.pub"
    try:
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise LedgerError(f"{private} already exists; not overwriting a private key") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(bytes(key)).decode("ascii") + "\n")
    public.write_text(encode_public_key(key) + "\n", encoding="ascii")
    return private, public


def load_keys(directory: Path, names: Iterable[str]) -> dict[str, SigningKey]:
    """The signing keys ``<name>.key`` found in ``directory``, by name."""
    if not directory.is_dir():
        raise LedgerError(f"the key directory {directory} does not exist")
    return {
        name: load_signing_key(directory / f"{name}.key")
        for name in names
        if (directory / f"{name}.key").exists()
    }


def load_signing_key(path: Path) -> SigningKey:
    """The signing key saved at ``path`` by :func:`save_key_pair`."""
    try:
        raw = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
        return SigningKey(raw)
    except OSError as exc:
        raise LedgerError(f"cannot read the private key {path}: {exc.strerror}") from None
    except (binascii.Error, ValueError, TypeError, CryptoError) as exc:
        raise LedgerError(f"{path} does not hold a base64 Ed25519 private key: {exc}") from None
