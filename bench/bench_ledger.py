"""The transparency log: signed appends per second, end-to-end verification, proof sizes.

* appends: envelopes signed by their sender are recorded (signature checked, canonical JSON,
  leaf hash, Merkle append, JSONL write, a signed checkpoint every 256 entries); the rate
  counts everything the recorder does per envelope. Target: at least 5,000/s.
* verify: ``verify_log`` on a log of ``--entries`` entries (default 100,000), end to end.
  Target: under 15 s.
* proofs: inclusion and consistency proof sizes (hashes, bytes) at that size.

Envelope signing happens before the timed region (it is the senders' work, not the
recorder's). The machines are shared and noisy: the medians of ``--repeat`` runs are printed.

    python bench/bench_ledger.py [--entries 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import structlog
from nacl.signing import SigningKey

from accord.ledger.merkle import HASH_SIZE
from accord.ledger.recorder import Recorder
from accord.ledger.signing import sign_envelope
from accord.ledger.storage import JsonlStorage
from accord.ledger.verify import verify_log
from accord.wire import Envelope, Performative, compose


def envelopes(count: int, key: SigningKey, host: SigningKey) -> list[Envelope]:
    """The host's open, ``count - 2`` offers of one party, the host's result: a complete run
    (a log without the result does not verify)."""

    def hosts(seq: int, performative: Performative) -> Envelope:
        envelope = compose(
            negotiation_id="bench", sender="host", seq=seq, performative=performative, body={}
        )
        return sign_envelope(envelope, host)

    signed = [hosts(0, Performative.OPEN)]
    for seq in range(count - 2):
        body = {"outcome": {"revenue_share": seq % 31, "exclusivity": "none", "term": 24}}
        envelope = compose(
            negotiation_id="bench",
            sender="a",
            seq=seq,
            performative=Performative.OFFER,
            body=body,
            to="host",
            round_=seq // 2,
        )
        signed.append(sign_envelope(envelope, key))
    return [*signed, hosts(1, Performative.RESULT)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    party = SigningKey(b"\x01" * 32)
    print(f"signing {args.entries:,} envelopes (the senders' work, not timed) ...")
    host = SigningKey(b"\x03" * 32)
    signed = envelopes(args.entries, party, host)
    append_rates, verify_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.repeat):
            path = Path(tmp) / f"log{run}.jsonl"
            began = time.perf_counter()
            recorder = Recorder(
                negotiation_id="bench",
                storage=JsonlStorage(path),
                key=SigningKey(b"\x02" * 32),
                keys={"a": party.verify_key, "host": host.verify_key},
            )
            for envelope in signed:
                recorder.record(envelope)
            recorder.close()
            append_rates.append(args.entries / (time.perf_counter() - began))
            began = time.perf_counter()
            result = verify_log(path)
            verify_times.append(time.perf_counter() - began)
            if not result.ok:
                raise SystemExit(f"the benchmark's own log does not verify: {result.problems[0]}")
        tree = recorder.tree
        size = tree.size
        inclusion = tree.inclusion_proof(size // 3)
        consistency = tree.consistency_proof(size // 3)
        log_bytes = path.stat().st_size
    rate = statistics.median(append_rates)
    seconds = statistics.median(verify_times)
    print(
        f"signed appends (verify + canonicalise + hash + write): {rate:,.0f}/s median "
        f"({rate / 5000:.1f}x the 5,000/s target)"
    )
    print(
        f"verify a {size:,}-entry log end to end: {seconds:.2f} s median "
        f"({15 / seconds:.1f}x under the 15 s target)"
    )
    print(f"log size: {log_bytes / 1e6:.1f} MB ({log_bytes / size:.0f} bytes per entry)")
    print(
        f"inclusion proof at {size:,} entries: {len(inclusion)} hashes, "
        f"{len(inclusion) * HASH_SIZE} bytes"
    )
    print(
        f"consistency proof {size // 3:,} -> {size:,}: {len(consistency)} hashes, "
        f"{len(consistency) * HASH_SIZE} bytes"
    )


if __name__ == "__main__":
    main()
