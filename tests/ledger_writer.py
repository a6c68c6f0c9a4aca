"""Helper process for the kill test: records signed envelopes until it is killed."""

from __future__ import annotations

import sys
from pathlib import Path

from nacl.signing import SigningKey
from pydantic import JsonValue

from accord.ledger.recorder import Recorder
from accord.ledger.signing import sign_envelope
from accord.ledger.storage import JsonlStorage
from accord.wire import Performative, compose

party = SigningKey(b"\x01" * 32)
recorder = Recorder(
    negotiation_id="kill-test",
    storage=JsonlStorage(Path(sys.argv[1])),
    key=SigningKey(b"\x02" * 32),
    keys={"a": party.verify_key},
    checkpoint_every=50,
)
seq = 0
while True:
    body: dict[str, JsonValue] = {"outcome": {"price": seq % 10, "note": "x" * 200}}
    envelope = compose(
        negotiation_id="kill-test", sender="a", seq=seq, performative=Performative.OFFER, body=body
    )
    recorder.record(sign_envelope(envelope, party))
    seq += 1
