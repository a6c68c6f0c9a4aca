"""One OS process per organisation, over real brokers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.broker.embedded import free_port
from accord.processes import REVEAL_WAIT_S
from accord.scenarios import load_scenario
from conftest import EXAMPLES, ROOT, scenario_data

pytestmark = pytest.mark.mqtt

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}


def accord(*args: str | Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
        check=False,
    )


def result_of(directory: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((directory / "result.json").read_text())
    data.pop("wall_time_s")
    data.pop("messages")  # the reveals arrive in any order, and all are counted
    return data


EXAMPLE = next(p for p in EXAMPLES if p.stem == "ecological-restoration")


@pytest.fixture
def embedded_url() -> Iterator[str]:
    """``accord broker`` (the embedded amqtt broker) in a process of its own, on a free port."""
    port = free_port()
    broker = subprocess.Popen(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", "broker", "--port", str(port)],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.1)
        else:
            pytest.fail("accord broker did not listen within 30 s")
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        broker.terminate()
        broker.wait(10)


def test_every_party_in_its_own_process_over_the_embedded_broker(tmp_path: Path) -> None:
    done = accord("run", EXAMPLE, "--processes", "--out", tmp_path / "p")
    assert done.returncode == 0, done.stderr
    memory = accord("run", EXAMPLE, "--bus", "memory", "--out", tmp_path / "m")
    assert memory.returncode == 0, memory.stderr
    assert result_of(tmp_path / "p") == result_of(tmp_path / "m")
    verified = accord("log", "verify", tmp_path / "p")
    assert verified.returncode == 0, verified.stderr
    assert "4 of 4 commitments revealed and matching" in verified.stdout


def test_a_stopped_agent_process_is_named_and_everything_is_kept(tmp_path: Path) -> None:
    """The seller's process stops itself (SIGSTOP) on its first proposal: it neither answers
    nor exits, and its connection stays open, so no last will comes. The run ends with
    ``turn_timeout`` naming it, writes the result, the transcript and a log that verifies,
    and ends the stopped process instead of dying of it."""
    data = scenario_data("linear", {"name": "faulty:StopsItsProcess"})
    data["name"] = f"Stop test {tmp_path.name}"
    data["mechanism"]["deadline"] |= {"turn_timeout": 1}
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    began = time.monotonic()
    done = accord("run", path, "--processes", "--out", tmp_path / "o", timeout=120)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - began < 60
    result = json.loads((tmp_path / "o" / "result.json").read_text())
    assert (result["reason"], result["responsible"]) == ("turn_timeout", "seller")
    assert "'seller' did not exit" in done.stderr
    assert (tmp_path / "o" / "transcript.jsonl").stat().st_size > 0
    verified = accord("log", "verify", tmp_path / "o")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_hung_strategy_in_an_agent_process_is_interrupted_and_the_agent_exits(
    tmp_path: Path,
) -> None:
    """The seller's strategy sleeps for an hour in its first proposal, in ``accord agent``:
    the watchdog interrupts it at the turn timeout, the host names it, and both agent
    processes get the result and exit by themselves."""
    data = scenario_data("linear", {"name": "faulty:SleepsLong"})
    data["name"] = f"Hang test {tmp_path.name}"
    data["mechanism"]["deadline"] |= {"turn_timeout": 1}
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    done = accord("run", path, "--processes", "--out", tmp_path / "o", timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "o" / "result.json").read_text())
    assert (result["reason"], result["responsible"]) == ("turn_timeout", "seller")
    assert "did not exit" not in done.stderr
    assert "exited with" not in done.stderr


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_with_a_process_per_party_over_mosquitto(
    path: Path, tmp_path: Path, mosquitto_url: str
) -> None:
    done = accord("run", path, "--processes", "--broker", mosquitto_url, "--out", tmp_path / "p")
    assert done.returncode == 0, done.stderr
    memory = accord("run", path, "--bus", "memory", "--out", tmp_path / "m")
    assert memory.returncode == 0, memory.stderr
    assert result_of(tmp_path / "p") == result_of(tmp_path / "m")
    assert accord("log", "verify", tmp_path / "p").returncode == 0


def scenario_file(tmp_path: Path, **deadline: float) -> Path:
    data = scenario_data("linear", "conceder")
    data["name"] = f"Process test {tmp_path.name}"  # a negotiation id of its own on the broker
    data["mechanism"]["deadline"] |= deadline
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def make_keys(tmp_path: Path) -> Path:
    keys = tmp_path / "keys"
    for name in ("buyer", "seller", "host", "recorder"):
        assert accord("keys", "new", name, "--out", keys).returncode == 0
    return keys


def test_a_missing_party_is_named_when_the_handshake_times_out(
    tmp_path: Path, mosquitto_url: str
) -> None:
    path = scenario_file(tmp_path, join_timeout=2)
    keys = make_keys(tmp_path)
    agent = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "accord",
            "agent",
            str(path),
            "--party",
            "buyer",
            "--broker",
            mosquitto_url,
            "--keys",
            str(keys),
        ],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        began = time.monotonic()
        done = accord(
            "host", path, "--broker", mosquitto_url, "--keys", keys, "--out", tmp_path / "o"
        )
        assert done.returncode == 1
        assert "parties ['seller'] did not join within 2 s" in done.stderr
        assert time.monotonic() - began < 30
        assert not (tmp_path / "o").exists()
    finally:
        agent.kill()
        agent.wait(10)


def test_a_host_and_an_agent_of_different_seeds_say_so(tmp_path: Path, mosquitto_url: str) -> None:
    """Started with another --seed, they serve different negotiation ids: each prints the one
    it serves; the agent names the host's when it sees its open (it sends nothing until it
    has seen its own host's open, so the host has nothing to see) and the host's handshake
    timeout asks about the seed."""
    path = scenario_file(tmp_path, join_timeout=4)
    keys = make_keys(tmp_path)
    theirs, ours = (load_scenario(path).negotiation_id(seed) for seed in (41, 42))
    agent = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "accord", "agent", str(path), "--party", "buyer"]  # noqa: RUF005
        + ["--broker", mosquitto_url, "--keys", str(keys), "--seed", "41"],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(2)  # subscribed, and joining nothing
        done = accord(
            "host", path, "--broker", mosquitto_url, "--keys", keys, "--seed", "42",
            "--out", tmp_path / "o",
        )  # fmt: skip
    finally:
        agent.kill()
        said, _ = agent.communicate(timeout=10)
    assert done.returncode == 1
    host_said = done.stdout + done.stderr
    assert f"hosting {ours} on" in host_said
    assert f"did not join within 4 s; is their agent running for {ours}" in host_said
    assert "the same scenario and --seed?" in host_said
    assert f"buyer in {theirs} on" in said
    assert "traffic_for_another_negotiation" in said
    assert f"seen={ours}" in said  # the host's open of its id


def wait_for_offer_from(party: str, out: Path, host: subprocess.Popen[bytes]) -> None:
    """Wait until the host's log (in its staging directory beside ``out``) holds an offer
    from ``party``: agents start in a few seconds on a loaded machine, not a fixed time."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert host.poll() is None, "the host ended before the negotiation got going"
        for log in out.glob(".accord-run-*/log.jsonl"):
            text = log.read_text(errors="replace")
            if f'"sender":"{party}"' in text and '"performative":"offer"' in text:
                return
        time.sleep(0.1)
    pytest.fail(f"no offer from {party} within 60 s")


@pytest.mark.parametrize("broker", ["mosquitto_url", "embedded_url"])
def test_a_killed_agent_ends_the_negotiation_naming_it(
    tmp_path: Path, broker: str, request: pytest.FixtureRequest
) -> None:
    """The seller's agent is SIGKILLed in the middle; the broker publishes its last will and
    the host ends the negotiation with ``party_lost``, naming it, well within its turn timeout."""
    mosquitto_url = request.getfixturevalue(broker)  # mosquitto, or the embedded amqtt broker
    data = scenario_data("hardliner", "hardliner")
    data["name"] = f"Kill test {tmp_path.name}"
    data["mechanism"]["deadline"] = {"rounds": 100000, "turn_timeout": 2}
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    keys = make_keys(tmp_path)

    def agent(party: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "accord",
                "agent",
                str(path),
                "--party",
                party,
                "--broker",
                mosquitto_url,
                "--keys",
                str(keys),
            ],
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    buyer, seller = agent("buyer"), agent("seller")
    host = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "accord",
            "host",
            str(path),
            "--broker",
            mosquitto_url,
            "--keys",
            str(keys),
            "--out",
            str(tmp_path / "o"),
        ],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # hardliners never agree: once the seller has made an offer the negotiation is going,
        # and stays so until the seller stops answering
        wait_for_offer_from("seller", tmp_path, host)
        seller.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        _, host_err = host.communicate(timeout=30)
        # the broker publishes the seller's last will at once (its socket closed): the host
        # ends with party_lost, then waits for the reveals it will not get
        assert time.monotonic() - killed < REVEAL_WAIT_S + 5
        assert host.returncode == 0, host_err
        result = json.loads((tmp_path / "o" / "result.json").read_text())
        assert (result["reason"], result["responsible"]) == ("party_lost", "seller")
        buyer.wait(30)  # the surviving agent gets the result and exits by itself
        assert buyer.returncode == 0
    finally:
        for process in (buyer, seller, host):
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=10)


def test_missing_and_malformed_keys_are_named(tmp_path: Path, mosquitto_url: str) -> None:
    """What --keys must hold (docs/protocol.md, Keys), and what each command says when a key
    is missing or malformed."""
    path = scenario_file(tmp_path)
    keys = tmp_path / "keys"
    assert accord("keys", "new", "buyer", "--out", keys).returncode == 0
    agent = ("agent", path, "--party", "buyer", "--broker", mosquitto_url, "--keys", keys)
    said = accord(*agent)
    assert said.returncode != 0
    assert f"no public key for 'host': put it in {keys / 'host.pub'}" in said.stderr
    (keys / "host.pub").write_text("garbage\n")
    said = accord(*agent)
    assert f"{keys / 'host.pub'} 'garbage' is not a base64 Ed25519 public key" in said.stderr
    (keys / "buyer.key").write_text("not a key\n")
    said = accord(*agent)
    assert f"{keys / 'buyer.key'} does not hold a base64 Ed25519 private key" in said.stderr
    said = accord("host", path, "--broker", mosquitto_url, "--keys", keys)
    assert "no private key for ['host', 'recorder']" in said.stderr
    assert f"accord keys new host --out {keys}" in said.stderr


def test_a_recorder_refused_for_a_missing_key_can_be_run_again(
    tmp_path: Path, mosquitto_url: str
) -> None:
    path = scenario_file(tmp_path)
    keys = make_keys(tmp_path)
    (keys / "host.pub").unlink()
    out = tmp_path / "recorded"
    command = ("recorder", path, "--broker", mosquitto_url, "--keys", keys, "--out", out)
    said = accord(*command)
    assert said.returncode == 2
    assert "no public key for 'host'" in said.stderr
    assert not (out / "log.jsonl").exists()  # no empty log left to block the retry
    said = accord(*command)
    assert "no public key for 'host'" in said.stderr  # the same answer, not "exists"


@pytest.mark.parametrize("broker", ["mosquitto_url", "embedded_url"])
def test_a_killed_host_ends_its_agents_and_recorder(
    tmp_path: Path, broker: str, request: pytest.FixtureRequest
) -> None:
    """The host is SIGKILLed in the middle: its last will reaches the agents and the
    independent recorder, which end at once, saying so, instead of waiting forever."""
    url = request.getfixturevalue(broker)
    data = scenario_data("hardliner", "hardliner")
    data["name"] = f"Host kill {tmp_path.name}"
    data["mechanism"]["deadline"] = {"rounds": 100000, "turn_timeout": 2}
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    keys = make_keys(tmp_path)

    def start(*args: str | Path) -> subprocess.Popen[str]:
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "accord", *map(str, args)],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    recorder = start(
        "recorder", path, "--broker", url, "--keys", keys, "--out", tmp_path / "r", "--linger", "1"
    )
    agents = [
        start("agent", path, "--party", party, "--broker", url, "--keys", keys)
        for party in ("buyer", "seller")
    ]
    hosting = [
        "host",
        str(path),
        "--broker",
        url,
        "--keys",
        str(keys),
        "--out",
        str(tmp_path / "o"),
    ]
    host = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "accord", *hosting],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_offer_from("seller", tmp_path, host)
        host.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        said = [agent.communicate(timeout=30)[0] for agent in agents]
        assert time.monotonic() - killed < 15
        for agent, output in zip(agents, said, strict=True):
            assert agent.returncode != 0
            assert "its last will arrived before the result" in output, output[-2000:]
        recorded, _ = recorder.communicate(timeout=30)
        assert recorder.returncode == 0, recorded[-2000:]
        checked = accord("log", "verify", tmp_path / "r" / "log.jsonl")
        assert checked.returncode != 0  # the recorder's log says plainly it is unfinished
        assert "incomplete" in checked.stdout + checked.stderr
    finally:
        processes: list[subprocess.Popen[Any]] = [*agents, recorder, host]
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=10)
