"""The transparency log: every run verifies; every kind of tampering is found and located."""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey
from structlog.testing import capture_logs

from accord import load_scenario
from accord.errors import LedgerError
from accord.ledger.canonical import canonical
from accord.ledger.commitment import _CANONICAL, Reveal, commitment_of
from accord.ledger.keys import encode_public_key, generate_key
from accord.ledger.merkle import leaf_hash
from accord.ledger.receipts import check_receipt, make_receipt
from accord.ledger.recorder import Recorder
from accord.ledger.signing import sign_envelope
from accord.ledger.storage import JsonlStorage, SqliteStorage, read_records
from accord.ledger.verify import Verification, verify_log
from accord.runner import negotiate
from accord.wire import Envelope, Performative, compose
from conftest import EXAMPLES, ROOT, make_scenario

KEYS = {
    name: SigningKey(bytes([n]) * 32)
    for n, name in enumerate(["buyer", "seller", "host", "recorder"], 1)
}


async def write_log(path: Path, **kwargs: object) -> Path:
    storage = SqliteStorage(path) if path.suffix == ".sqlite" else JsonlStorage(path)
    await negotiate(make_scenario("linear", "conceder"), keys=KEYS, log=storage, **kwargs)  # type: ignore[arg-type]
    return path


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def rewrite(path: Path, new: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in new))


def entry_lines(path: Path) -> list[int]:
    return [i for i, line in enumerate(lines(path)) if b'"kind":"entry"' in line]


def invalid(path: Path, **kwargs: object) -> Verification:
    result = verify_log(path, **kwargs)  # type: ignore[arg-type]
    assert not result.ok, "tampering went unnoticed"
    return result


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
async def test_every_example_scenario_leaves_a_log_that_verifies(
    path: Path, tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    negotiation = await negotiate(load_scenario(path), log=JsonlStorage(log))
    result = verify_log(log)
    assert result.ok, result.problems
    assert result.entries == len(negotiation.transcript) + 1
    assert set(result.revealed) == {p.id for p in load_scenario(path).parties}
    assert result.notes == []


async def test_sqlite_logs_verify_too(tmp_path: Path) -> None:
    result = verify_log(await write_log(tmp_path / "log.sqlite"))
    assert result.ok, result.problems
    assert result.checkpoints >= 1


async def test_a_flipped_byte_in_any_entry_is_found_and_located(tmp_path: Path) -> None:
    log = await write_log(tmp_path / "log.jsonl")
    original = lines(log)
    for number in entry_lines(log)[::7]:
        changed = list(original)
        line = bytearray(changed[number])
        position = len(line) // 2
        line[position] = ord("X") if line[position] != ord("X") else ord("Y")
        changed[number] = bytes(line)
        rewrite(log, changed)
        result = invalid(log)
        assert result.problems[0].position == number + 1, (number, result.problems[0])


async def test_deleted_inserted_and_reordered_entries(tmp_path: Path) -> None:
    log = await write_log(tmp_path / "log.jsonl")
    original = lines(log)
    entries = entry_lines(log)
    a, b = entries[10], entries[11]
    rewrite(log, original[:a] + original[a + 1 :])
    assert "an entry was deleted, inserted or moved" in str(invalid(log).problems[0])
    rewrite(log, [*original[:a], original[a], *original[a:]])
    assert "deleted, inserted or moved" in str(invalid(log).problems[0])
    swapped = list(original)
    swapped[a], swapped[b] = swapped[b], swapped[a]
    rewrite(log, swapped)
    problem = invalid(log).problems[0]
    assert problem.position == a + 1
    assert problem.index == 10


async def test_a_swapped_signature(tmp_path: Path) -> None:
    log = await write_log(tmp_path / "log.jsonl")
    records = lines(log)
    first, second = entry_lines(log)[5], entry_lines(log)[6]
    one, two = json.loads(records[first]), json.loads(records[second])
    one["envelope"]["sig"], two["envelope"]["sig"] = two["envelope"]["sig"], one["envelope"]["sig"]
    records[first], records[second] = canonical(one), canonical(two)
    rewrite(log, records)
    problem = invalid(log).problems[0]
    assert problem.position == first + 1
    assert "bad_signature" in problem.message


async def test_an_entry_forged_with_another_partys_key(tmp_path: Path) -> None:
    log = await write_log(tmp_path / "log.jsonl")
    records = lines(log)
    number = next(
        n
        for n in entry_lines(log)
        if b'"sender":"seller"' in records[n] and b'"offer"' in records[n]
    )
    entry = json.loads(records[number])
    envelope = Envelope.model_validate(entry["envelope"])
    better = {**envelope.body["outcome"], "price": 9}  # type: ignore[dict-item]
    forged = sign_envelope(envelope.model_copy(update={"body": {"outcome": better}}), KEYS["buyer"])
    entry["envelope"] = forged.model_dump(mode="json")
    records[number] = canonical(entry)
    rewrite(log, records)
    problem = invalid(log).problems[0]
    assert problem.position == number + 1
    assert "claimed sender 'seller'" in problem.message


async def test_a_log_truncated_behind_a_published_checkpoint(tmp_path: Path) -> None:
    log = await write_log(tmp_path / "log.jsonl")
    records = lines(log)
    assert b'"kind":"checkpoint"' in records[-1]
    rewrite(log, [*records[:-6], records[-1]])
    problem = invalid(log).problems[0]
    assert "truncated behind a published checkpoint" in problem.message
    assert problem.position == len(records) - 5


async def test_a_log_cut_just_after_an_intermediate_checkpoint_is_incomplete(
    tmp_path: Path,
) -> None:
    """Every remaining entry is covered by a signed checkpoint, but the result is gone."""
    log = tmp_path / "log.jsonl"
    long = make_scenario("boulware", "boulware", deadline={"rounds": 200})
    await negotiate(long, keys=KEYS, log=JsonlStorage(log))
    records = lines(log)
    checkpoints = [i for i, line in enumerate(records) if b'"kind":"checkpoint"' in line]
    assert len(checkpoints) >= 3  # intermediate ones, then the final one
    cut = checkpoints[0]
    rewrite(log, records[: cut + 1])
    problem = invalid(log).problems[0]
    assert "the log is incomplete: it holds no result" in problem.message
    assert f"cut after entry {cut - 1}" in problem.message  # the genesis is entry 0


async def long_log(tmp_path: Path) -> tuple[Path, list[bytes], list[int]]:
    """A log with at least three checkpoints: its path, lines and checkpoint line numbers."""
    log = tmp_path / "log.jsonl"
    long = make_scenario("boulware", "boulware", deadline={"rounds": 200})
    await negotiate(long, keys=KEYS, log=JsonlStorage(log))
    records = lines(log)
    checkpoints = [i for i, line in enumerate(records) if b'"kind":"checkpoint"' in line]
    assert len(checkpoints) >= 3
    return log, records, checkpoints


async def test_a_deleted_intermediate_checkpoint_is_found(tmp_path: Path) -> None:
    """Every entry is still there and the final checkpoint covers them all, so roots and
    consistency hold; the checkpoints' signed numbers show the one that is gone."""
    log, records, checkpoints = await long_log(tmp_path)
    assert [json.loads(records[i])["number"] for i in checkpoints] == list(range(len(checkpoints)))
    gone = checkpoints[0]
    rewrite(log, [*records[:gone], *records[gone + 1 :]])
    problem = invalid(log).problems[0]
    assert "number 1, where number 0 comes next: a checkpoint was deleted" in problem.message
    assert problem.position == checkpoints[1]  # the line of the next one, one up now
    rewrite(log, records)
    assert verify_log(log).ok


async def test_a_changed_receive_time_or_status_is_found_at_its_own_line(tmp_path: Path) -> None:
    """The recorder's own fields are not signed by the sender; the leaves a checkpoint lists
    (proved by its signed root) name the line that changed, in whichever checkpoint."""
    log, records, checkpoints = await long_log(tmp_path)
    early, late = 5, checkpoints[1] + 3  # covered by the first and by a later checkpoint
    changed = list(records)
    changed[early] = re.sub(rb'"received_ns":"(\d)', rb'"received_ns":"9', changed[early])
    changed[late] = changed[late].replace(b'"status":"ok"', b'"status":"duplicate"')
    assert changed[early] != records[early]
    assert changed[late] != records[late]
    rewrite(log, changed)
    result = invalid(log)
    named = [(p.position, p.index) for p in result.problems if "changed after it was" in p.message]
    assert named == [(early + 1, 5), (late + 1, late - 2)]
    # what follows from the change is named too: an entry no longer marked ok leaves a gap
    assert result.problems[2:]
    assert all("is missing from the log" in p.message for p in result.problems[2:])
    assert result.checkpoints == result.checkpoints_found == len(checkpoints)  # they hold
    # a tamperer who also rewrites the listed leaf is still found, by the checkpoint's range
    record = json.loads(records[checkpoints[0]])
    record["leaves"][5] = base64.b64encode(leaf_hash(changed[early])).decode()
    rewrite(
        log,
        [
            *records[:early],
            changed[early],
            *records[early + 1 : checkpoints[0]],
            canonical(record),
            *records[checkpoints[0] + 1 :],
        ],
    )
    problem = invalid(log).problems[0]
    assert problem.position == checkpoints[0] + 1
    assert f"root does not match entries 0..{record['tree_size'] - 1}" in problem.message
    rewrite(log, records)
    assert verify_log(log).ok


async def test_a_checkpoint_must_list_the_leaves_it_first_covers(tmp_path: Path) -> None:
    log = await write_log(tmp_path / "log.jsonl")
    records = lines(log)
    at = next(i for i, line in enumerate(records) if b'"kind":"checkpoint"' in line)
    record = json.loads(records[at])
    for leaves in (record["leaves"][1:], None):
        rewrite(log, [*records[:at], canonical({**record, "leaves": leaves}), *records[at + 1 :]])
        problem = invalid(log).problems[0]
        assert problem.position == at + 1
        assert "leaves" in problem.message, problem


async def test_checkpoint_lines_must_be_canonical(tmp_path: Path) -> None:
    """Re-serialised with spaces, or with a signature whose last base64 character carries
    stray bits: the same signature and content, but not the line the recorder wrote."""
    log = await write_log(tmp_path / "log.jsonl")
    records = lines(log)
    spaced = [*records[:-1], json.dumps(json.loads(records[-1])).encode()]
    rewrite(log, spaced)
    assert "not in canonical form" in invalid(log).problems[0].message
    checkpoint = json.loads(records[-1])
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    sig = checkpoint["sig"]
    checkpoint["sig"] = sig[:85] + alphabet[alphabet.index(sig[85]) ^ 1] + "=="
    assert base64.b64decode(checkpoint["sig"]) == base64.b64decode(sig)
    rewrite(log, [*records[:-1], canonical(checkpoint)])
    assert "not the recorder's" in invalid(log).problems[0].message
    rewrite(log, records)
    assert verify_log(log).ok


def test_a_gap_in_a_senders_sequence_is_found(tmp_path: Path) -> None:
    """An envelope the recorder never got (a broker that lost it): the log is consistent and
    signed, but a sequence number is missing, and that is named."""
    log = tmp_path / "log.jsonl"
    recorder = Recorder(
        negotiation_id="n",
        storage=JsonlStorage(log),
        key=KEYS["recorder"],
        keys={n: KEYS[n].verify_key for n in ("buyer", "host")},
    )
    for sender, seq, performative in [
        ("host", 0, Performative.START),
        ("buyer", 0, Performative.JOIN),
        ("buyer", 1, Performative.OFFER),
        ("buyer", 3, Performative.OFFER),
        ("host", 1, Performative.RESULT),
    ]:
        envelope = compose(
            negotiation_id="n", sender=sender, seq=seq, performative=performative, body={}
        )
        recorder.record(sign_envelope(envelope, KEYS[sender]))
    recorder.close()
    problem = invalid(log).problems[0]
    assert "'buyer' sequence number 3 after 1: buyer:2 is missing from the log" in problem.message
    assert problem.index == 4


async def test_a_checkpoint_with_a_wrong_signature(tmp_path: Path) -> None:
    log = await write_log(tmp_path / "log.jsonl")
    records = lines(log)
    checkpoint = json.loads(records[-1])
    checkpoint["time_ns"] = str(int(checkpoint["time_ns"]) + 1)  # re-dated, not re-signed
    records[-1] = canonical(checkpoint)
    rewrite(log, records)
    problem = invalid(log).problems[0]
    assert "not the recorder's" in problem.message
    assert problem.position == len(records)


async def test_a_checkpoint_signed_by_someone_else(tmp_path: Path) -> None:
    log = await write_log(tmp_path / "log.jsonl")
    records = lines(log)
    checkpoint = json.loads(records[-1])
    payload = canonical({k: v for k, v in checkpoint.items() if k != "sig"})
    checkpoint["sig"] = base64.b64encode(KEYS["host"].sign(payload).signature).decode()
    records[-1] = canonical(checkpoint)
    rewrite(log, records)
    assert "not the recorder's" in invalid(log).problems[0].message


async def test_a_reveal_that_does_not_match_its_commitment(tmp_path: Path) -> None:
    log = await write_log(tmp_path / "log.jsonl", reveal=False)
    result = verify_log(log)
    assert result.ok
    assert any("did not reveal" in note for note in result.notes)
    scenario = make_scenario()
    honest_profile = scenario.parties[0].profile
    data = honest_profile.model_dump(mode="json")
    data["reservation"] = 0.9  # claims it needed more than it did
    liar = Reveal.model_validate({"party": "buyer", "profile": data, "salt": "00" * 32})
    problem = invalid(log, reveals=[liar]).problems[0]
    assert "does not match its commitment" in problem.message
    assert str(problem).startswith("reveal file:")


def test_a_commitment_is_the_same_for_equal_profiles_and_its_cache_forgets_them() -> None:
    salt = "ab" * 32
    profile = make_scenario().parties[0].profile
    copy = type(profile).model_validate(profile.model_dump(mode="json"))
    assert copy is not profile
    data = canonical(profile.model_dump(mode="json"))
    expected = hashlib.sha256(b"accord-commitment-v1\x00" + data + bytes.fromhex(salt)).hexdigest()
    assert commitment_of(profile, salt) == commitment_of(copy, salt) == expected
    assert commitment_of(profile, "cd" * 32) != expected
    key = id(copy)
    assert key in _CANONICAL
    del copy
    gc.collect()
    assert key not in _CANONICAL  # a new object with the same id would not find stale bytes


async def test_trusted_keys_pin_the_identities(tmp_path: Path) -> None:
    log = await write_log(tmp_path / "log.jsonl")
    assert verify_log(log, trusted_keys={"recorder": encode_public_key(KEYS["recorder"])}).ok
    other = encode_public_key(generate_key())
    assert (
        "not the one you trust"
        in invalid(log, trusted_keys={"recorder": other}).problems[0].message
    )


async def test_receipts_prove_inclusion_offline(tmp_path: Path) -> None:
    log = await write_log(tmp_path / "log.jsonl")
    receipt = make_receipt(log, 17)
    recorder = encode_public_key(KEYS["recorder"])
    assert check_receipt(receipt, recorder_key=recorder) == []
    altered = receipt.model_copy(update={"entry": receipt.entry.replace('"round":', '"round": ')})
    assert check_receipt(altered, recorder_key=recorder)
    wrong_index = receipt.model_copy(update={"index": 18})
    assert check_receipt(wrong_index, recorder_key=recorder)
    assert check_receipt(receipt, recorder_key=encode_public_key(generate_key())) == [
        "the checkpoint is not signed by the recorder key"
    ]


def test_a_torn_last_record_after_a_kill_leaves_every_earlier_entry_verifiable(
    tmp_path: Path,
) -> None:
    """A real SIGKILL in the middle of writing: the writer appends signed entries as fast as
    it can, checkpointing every 50, until it is killed."""
    log = tmp_path / "log.jsonl"
    writer = subprocess.Popen(  # noqa: S603  # our own helper script
        [sys.executable, str(ROOT / "tests" / "ledger_writer.py"), str(log)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not log.exists() or log.stat().st_size < 200_000):
        time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    with log.open("ab") as handle:  # make sure the tail is torn, whatever the kill hit
        handle.write(b'{"envelope":{"body":')
    read = read_records(log)
    assert read.torn is not None
    result = verify_log(log)
    assert result.checkpoints >= 1
    assert any("torn record" in note for note in result.notes)
    # the only problem is that the log is unfinished: the tail after the last checkpoint is
    # not covered by a signature or, cut just after one, there is no result (no host here)
    assert len(result.problems) == 1
    message = result.problems[0].message
    assert "not covered by any signed checkpoint" in message or "incomplete" in message


def test_entry_lines_are_exactly_rfc8785() -> None:
    """The recorder builds entry lines without canonicalising twice; they must still be the
    canonical JSON of the entry, whatever the body holds."""
    from pydantic import JsonValue  # noqa: PLC0415

    from accord.ledger.canonical import signing_bytes  # noqa: PLC0415
    from accord.ledger.records import EnvelopeEntry, envelope_entry_line  # noqa: PLC0415
    from accord.wire import Performative, compose  # noqa: PLC0415

    bodies: list[dict[str, JsonValue]] = [
        {},
        {"outcome": {"to": 1.0, "é": "ü", "x": -0.0, "big": 1e21, "small": 1e-7}},
        {"to": None, "v": [1, 2, {"sig": "x"}], "note": 'quote " comma , "to":'},
    ]
    for body in bodies:
        for to in (None, "host"):
            envelope = sign_envelope(
                compose(
                    negotiation_id="n",
                    sender="a",
                    seq=1,
                    performative=Performative.OFFER,
                    body=body,
                    to=to,
                ),
                KEYS["buyer"],
            )
            entry = EnvelopeEntry(index=3, received_ns="12", status="ok", envelope=envelope)
            line = envelope_entry_line(
                index=3,
                received_ns="12",
                status="ok",
                envelope=envelope,
                signed=signing_bytes(envelope),
            )
            assert line == canonical(entry.model_dump(mode="json"))


def _nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Lists and objects of ``inner``. A named function, not a lambda: hypothesis inspects
    ``extend`` for the use of its argument, and the check is unreliable on a lambda."""
    return st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=4) | st.sampled_from(["\U0001f600", "\ufb01", "to"]), inner, max_size=4
    )


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) - 2, max_value=2**53 + 2)
    | st.floats()
    | st.sampled_from(
        [0.0, -0.0, 1.0, 1e16, 1e21, 1e-6, 1e-7, 123.456, 5e-324, 1.7976931348623157e308]
    )
    | st.text(),
    _nested,
    max_leaves=12,
)


def agrees_with_rfc8785(value: Any, produce: Callable[[], bytes]) -> None:
    """``produce()`` gives rfc8785's bytes for ``value``, or refuses what rfc8785 refuses."""
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        with pytest.raises(LedgerError):
            produce()
    else:
        assert produce() == expected


@settings(max_examples=400, deadline=None)
@given(_json_values)
def test_canonical_is_rfc8785_on_any_json(value: Any) -> None:
    """canonical() takes the standard library's encoder where it agrees with RFC 8785: on any
    JSON value (floats with exponents, -0.0, non-BMP keys, lone surrogates, unsafe integers)
    it gives rfc8785's bytes, or refuses what rfc8785 refuses."""
    agrees_with_rfc8785(value, lambda: canonical(value))


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.text(max_size=4), _json_values, max_size=4),
    st.text(max_size=8),
    st.one_of(st.none(), st.text(max_size=8)),
)
def test_signing_bytes_are_rfc8785_of_the_envelope(
    body: dict[str, Any], message_id: str, in_reply_to: str | None
) -> None:
    """signing_bytes() walks only the body; the bytes are still RFC 8785's of every field but
    ``sig``, or it refuses what RFC 8785 refuses."""
    from accord.ledger.canonical import signing_bytes  # noqa: PLC0415
    from accord.wire import Performative, compose  # noqa: PLC0415

    envelope = compose(
        negotiation_id="n",
        sender="alice",
        seq=2**53 - 1,
        performative=Performative.OFFER,
        body=body,
        to="host",
        in_reply_to=in_reply_to,
    )
    object.__setattr__(envelope, "__dict__", envelope.__dict__ | {"message_id": message_id})
    agrees_with_rfc8785(
        envelope.model_dump(mode="json", exclude={"sig"}), lambda: signing_bytes(envelope)
    )


class _FailingOnce(JsonlStorage):
    """A disk that refuses one write (the 10th record): a full disk for a moment."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.writes = 0

    def append(self, record: bytes, *, durable: bool = False) -> None:
        self.writes += 1
        if self.writes == 10:
            raise LedgerError("no space left on device (simulated)")
        super().append(record, durable=durable)


async def test_an_observer_that_fails_on_one_envelope_says_so_and_goes_on(
    tmp_path: Path,
) -> None:
    """The host's log observer meets an error on one envelope: it logs it at error level and
    keeps every later envelope as it arrives (it used to die silently, and the rest was
    written only at the end); the log then names the missing entry."""
    log = tmp_path / "log.jsonl"
    with capture_logs() as events:
        done = await negotiate(
            make_scenario("linear", "conceder"), keys=KEYS, log=_FailingOnce(log)
        )
    assert done.result.reason == "agreement"
    failed = [e for e in events if e["event"] == "observer_failed_on_envelope"]
    assert len(failed) == 1
    assert failed[0]["log_level"] == "error"
    problems = verify_log(log).problems
    assert problems
    assert "is missing from the log" in problems[0].message
