"""The independent recorder: it logs a negotiation it only observes, and gives each party
receipts for what it may see, checkable offline; as OS processes over a real broker, and the
refusals over the memory bus."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from nacl.signing import SigningKey

from accord.broker import MemoryBus
from accord.ledger.keys import encode_public_key, save_key_pair
from accord.ledger.receipt_client import fetch_receipts
from accord.ledger.receipts import Receipt, check_consistency, check_receipt
from accord.ledger.recorder import Recorder
from accord.ledger.records import RECORDER
from accord.ledger.service import RecorderService
from accord.ledger.signing import signer_for
from accord.ledger.storage import JsonlStorage, read_records
from accord.ledger.verify import verify_log
from accord.wire import HOST, Envelope, Performative, compose
from conftest import ROOT, scenario_data

ENV = dict(os.environ, PYTHONPATH=str(ROOT / "tests"))


def accord(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "accord", *map(str, args)]


@pytest.mark.mqtt
def test_parties_keep_receipts_from_an_independent_recorder(
    tmp_path: Path, mosquitto_url: str
) -> None:
    data = scenario_data("boulware", "conceder")
    data["name"] = f"Receipts {tmp_path.name}"
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    keys = tmp_path / "keys"
    for name in ("buyer", "seller", HOST, RECORDER):
        save_key_pair(name, keys)
    common: list[str | Path] = ["--broker", mosquitto_url, "--keys", keys]
    recorder = subprocess.Popen(  # noqa: S603  # our own command
        accord("recorder", path, *common, "--out", tmp_path / "rec", "--linger", "3"),
        env=ENV,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.5)  # the recorder subscribes before anything is said
    agents = {
        party: subprocess.Popen(  # noqa: S603
            accord("agent", path, "--party", party, *common, "--receipts", tmp_path / party),
            env=ENV,
            stderr=subprocess.PIPE,
        )
        for party in ("buyer", "seller")
    }
    host = subprocess.run(  # noqa: S603
        accord("host", path, *common, "--out", tmp_path / "host"),
        env=ENV,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert host.returncode == 0, host.stderr.decode()
    for party, agent in agents.items():
        _, err = agent.communicate(timeout=60)
        assert agent.returncode == 0, (party, err.decode())
    _, err = recorder.communicate(timeout=60)
    assert recorder.returncode == 0, err.decode()

    log = tmp_path / "rec" / "log.jsonl"
    verification = verify_log(log)
    assert verification.ok, verification.problems
    # the entries (genesis and envelopes), by index: checkpoints are records, not entries
    lines = [raw for _, raw in read_records(log).records if b'"kind":"checkpoint"' not in raw]
    entries = [json.loads(raw) for raw in lines]
    recorder_key = (keys / "recorder.pub").read_text().strip()
    for party in ("buyer", "seller"):
        sent = [
            e["envelope"]["message_id"]
            for e in entries
            if e.get("envelope", {}).get("sender") == party
            and e["envelope"]["performative"] != "proof_request"
        ]
        kept = sorted((tmp_path / party).glob("*.json"))
        assert len(kept) == len(sent) > 3  # join, offers or an accept, reveal
        for file in kept:
            receipt = Receipt.model_validate_json(file.read_text())
            assert check_receipt(receipt, recorder_key=recorder_key) == []
            assert lines[receipt.index] == receipt.entry.encode()  # the entry as logged
    # a receipt is checkable offline, and a doctored one is not
    receipt_file = sorted((tmp_path / "buyer").glob("*.json"))[0]
    check = accord("log", "check-proof", receipt_file, "--recorder-key", recorder_key)
    assert subprocess.run(check, env=ENV, capture_output=True, check=False).returncode == 0  # noqa: S603
    doctored = json.loads(receipt_file.read_text())
    doctored["entry"] = doctored["entry"].replace('"round":0', '"round":7')
    receipt_file.write_text(json.dumps(doctored))
    done = subprocess.run(check, env=ENV, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 1
    assert "leaf hash" in done.stdout + done.stderr


def recording(
    tmp_path: Path, names: tuple[str, ...], *, linger: float, **options: Any
) -> tuple[dict[str, SigningKey], Recorder, MemoryBus, RecorderService]:
    """Keys for ``names`` and the host and recorder, a recorder logging to
    ``tmp_path/log.jsonl`` (with ``options``), a memory bus, and a service over both."""
    keys = {name: SigningKey.generate() for name in (*names, HOST, RECORDER)}
    recorder = Recorder(
        negotiation_id="n",
        storage=JsonlStorage(tmp_path / "log.jsonl"),
        key=keys[RECORDER],
        keys={n: k.verify_key for n, k in keys.items() if n != RECORDER},
        **options,
    )
    bus = MemoryBus(roundtrip=True)
    return (
        keys,
        recorder,
        bus,
        RecorderService(recorder, bus, signer_for(keys[RECORDER]), linger=linger),
    )


def signed(key: SigningKey, **fields: object) -> Envelope:
    return signer_for(key)(compose(negotiation_id="n", **fields))  # type: ignore[arg-type]


async def test_the_recorder_answers_only_for_what_a_party_may_see(tmp_path: Path) -> None:
    keys, _recorder, bus, service = recording(tmp_path, ("a", "b"), linger=0.5)
    running = asyncio.create_task(service.run(give_up=10))
    await asyncio.sleep(0)
    said = [
        signed(keys["a"], sender="a", seq=0, performative=Performative.JOIN, body={}, to=HOST),
        signed(keys[HOST], sender=HOST, seq=0, performative=Performative.REQUEST, body={}, to="b"),
        signed(keys[HOST], sender=HOST, seq=1, performative=Performative.RESULT, body={}, to=None),
    ]
    for envelope in said:
        await bus.publish(envelope)
    fetched = await fetch_receipts(
        bus=bus,
        negotiation_id="n",
        session=None,
        party="a",
        signer=signer_for(keys["a"]),
        first_seq=1,
        message_ids=["a:0", "host:0", "host:1", "b:9"],
        recorder_key=keys[RECORDER].verify_key,
        out=tmp_path / "a",
        within=3,
        retry=0.5,
    )
    assert sorted(fetched.saved) == ["a:0", "host:1"]  # its own message, and a broadcast
    assert fetched.problems == {
        "host:0": "not a message this party sent, received or was broadcast",
        "b:9": "no such message in the log",
    }
    # a request that does not verify (signed with b's key in a's name) is logged, unanswered
    forged = signed(
        keys["b"],
        sender="a",
        seq=9,
        performative=Performative.PROOF_REQUEST,
        body={"message_ids": ["a:0"]},
        to=RECORDER,
    )
    async with bus.subscribe("n", "a") as inbox:
        await bus.publish(forged)
        await asyncio.sleep(0.2)
        assert inbox.get_nowait() is None
    await running
    statuses = [
        json.loads(raw).get("status") for _, raw in read_records(tmp_path / "log.jsonl").records
    ]
    assert statuses.count("ok") == 3 + 1  # three envelopes, the good proof request
    assert len([s for s in statuses if s not in {None, "ok"}]) == 1  # the forgery, marked


async def test_the_recorder_proves_its_checkpoints_consistent(tmp_path: Path) -> None:
    keys, _recorder, bus, service = recording(tmp_path, ("a",), linger=0.3, checkpoint_every=3)
    running = asyncio.create_task(service.run(give_up=10))
    await asyncio.sleep(0)
    for seq in range(7):  # genesis + 7 entries: checkpoints at 3 and 6
        await bus.publish(
            signed(keys[HOST], sender=HOST, seq=seq, performative=Performative.INFORM, body={})
        )
    await bus.publish(
        signed(keys[HOST], sender=HOST, seq=7, performative=Performative.RESULT, body={})
    )
    answers: list[dict[str, Any]] = []
    async with bus.subscribe("n", "a") as inbox:
        for seq, sizes in enumerate(([3, 6], [3], [4, 6])):
            await bus.publish(
                signed(
                    keys["a"],
                    sender="a",
                    seq=seq,
                    performative=Performative.PROOF_REQUEST,
                    body={"consistency": sizes},
                    to=RECORDER,
                )
            )
            answers.append((await asyncio.wait_for(inbox.get(), 2)).body)
    await running
    key = encode_public_key(keys[RECORDER].verify_key)
    between, to_now, unsigned = answers
    assert check_consistency(between["consistency"], recorder_key=key) == []
    assert check_consistency(to_now["consistency"], recorder_key=key) == []
    assert to_now["consistency"]["checkpoint2"]["tree_size"] >= 9  # the log as it was then
    assert unsigned["consistency"] is None
    assert "no signed checkpoints of sizes [4, 6]" in unsigned["error"]
    forged = dict(between["consistency"])
    forged["checkpoint2"] = to_now["consistency"]["checkpoint2"]  # another tree, same proof
    assert check_consistency(forged, recorder_key=key) != []
    other = encode_public_key(SigningKey.generate().verify_key)
    assert check_consistency(between["consistency"], recorder_key=other) != []


async def test_a_quiet_recorder_checkpoints_on_time(tmp_path: Path) -> None:
    """Killed before its 256th entry and before closing, a recorder still leaves what it
    logged more than a moment ago covered by a signed checkpoint."""
    log = tmp_path / "log.jsonl"
    keys, recorder, bus, service = recording(tmp_path, ("a",), linger=5, checkpoint_seconds=0.3)
    running = asyncio.create_task(service.run(give_up=10))
    await asyncio.sleep(0)
    for seq in range(3):
        await bus.publish(
            signed(keys["a"], sender="a", seq=seq, performative=Performative.JOIN, body={}, to=HOST)
        )
    await asyncio.sleep(1.2)  # no more traffic: the service's wait checkpoints on time
    assert recorder.checkpoints, "no checkpoint on time"
    assert recorder.checkpoints[-1].tree_size == 4  # the genesis and the three envelopes
    checked = verify_log(log)  # the file as a kill now would leave it: no final checkpoint
    assert checked.checkpoints >= 1
    (problem,) = checked.problems  # unfinished, but covered: nothing else is wrong
    assert problem.message.startswith("the log is incomplete: it holds no result")
    assert "cut after entry 3" in problem.message
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)


async def test_a_recorder_that_missed_the_start_ends_on_the_hosts_last_will(
    tmp_path: Path,
) -> None:
    """Subscribed after the host's ``start`` (a slow start on a loaded machine), the recorder
    takes the session of the host's latest envelope as the run's: the host's will of that
    session ends the recording; an earlier run's will, replayed, does not."""
    keys, _recorder, bus, service = recording(tmp_path, ("a",), linger=0.2)
    running = asyncio.create_task(service.run())
    await asyncio.sleep(0)

    def host(seq: int, performative: Performative, session: str) -> Envelope:
        fields = {"sender": HOST, "seq": seq, "performative": performative, "body": {}}
        return signed(keys[HOST], session=session, to="a", **fields)

    old_will = host(7, Performative.LOST, "1" * 32)
    await bus.publish(host(5, Performative.REQUEST, "2" * 32))
    await bus.publish(old_will)
    await asyncio.sleep(0.5)
    assert not running.done(), "an earlier run's will ended the recording"
    await bus.publish(host(999, Performative.LOST, "2" * 32))
    await asyncio.wait_for(running, 5)
