"""Signatures are checked once per process, and never taken on trust for other bytes."""

from __future__ import annotations

import base64

import pytest
from nacl.signing import SigningKey

from accord.ledger import signing
from accord.ledger.canonical import signing_bytes
from accord.ledger.signing import Verifier, sign_envelope
from accord.wire import Envelope, Performative, compose

KEY = SigningKey(b"\x05" * 32)
OTHER = SigningKey(b"\x06" * 32)


def offer(x: int, sender: str = "a") -> Envelope:
    return compose(
        negotiation_id="n",
        sender=sender,
        seq=x,
        performative=Performative.OFFER,
        body={"outcome": {"x": x}},
        to="host",
    )


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every Ed25519 check that actually runs, by the bytes it checks."""
    checked: list[bytes] = []
    real = type(KEY.verify_key).verify

    def verify(self: object, data: bytes, signature: bytes) -> bytes:
        checked.append(data)
        return real(self, data, signature)  # type: ignore[arg-type]

    monkeypatch.setattr(type(KEY.verify_key), "verify", verify)
    monkeypatch.setattr(signing, "_VERIFIED", signing._Verified())
    return checked


def test_what_this_process_signed_or_checked_is_not_checked_again(counted: list[bytes]) -> None:
    verifier = Verifier({"a": KEY.verify_key})
    mine = sign_envelope(offer(1), KEY)
    assert verifier.problem(mine) is None
    assert counted == []  # signed here: it holds
    unsigned = offer(2)  # signed as another process would: this one never saw it
    signature = KEY.sign(signing_bytes(unsigned)).signature
    theirs = unsigned.model_copy(update={"sig": base64.b64encode(signature).decode()})
    assert verifier.problem(theirs) is None
    assert Verifier({"a": KEY.verify_key}).problem(theirs) is None  # another verifier too
    assert counted == [signing_bytes(theirs)]  # checked once


def test_a_known_signature_on_other_bytes_or_under_another_key_is_checked(
    counted: list[bytes],
) -> None:
    good = sign_envelope(offer(1), KEY)
    changed = good.model_copy(update={"seq": 9})  # the same sig over other bytes
    assert Verifier({"a": KEY.verify_key}).problem(changed) == "bad_signature"
    assert Verifier({"a": OTHER.verify_key}).problem(good) == "bad_signature"
    forged = sign_envelope(offer(1), OTHER)  # the same bytes, another sig
    assert Verifier({"a": KEY.verify_key}).problem(forged) == "bad_signature"
    assert len(counted) == 3
    assert Verifier({"a": KEY.verify_key}).problem(changed) == "bad_signature"
    assert len(counted) == 4  # a failure is not remembered either


def test_the_memory_is_bounded(counted: list[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing._Verified, "MAX", 4)
    verifier = Verifier({"a": KEY.verify_key})
    envelopes = [sign_envelope(offer(x), KEY) for x in range(6)]
    assert len(signing._VERIFIED._held) <= 4
    assert verifier.problem(envelopes[0]) is None
    assert counted == [signing_bytes(envelopes[0])]  # forgotten, so checked
    assert verifier.problem(envelopes[-1]) is None
    assert len(counted) == 1  # the latest are held
    assert all(verifier.problem(e) is None for e in envelopes)  # all hold, checked or not
    assert len(signing._VERIFIED._held) <= 4
