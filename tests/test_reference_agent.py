"""examples/paho-agent: a third party's agent, written from the protocol docs alone (paho-mqtt,
PyNaCl, rfc8785; no accord), against ``accord host`` over mosquitto."""

from __future__ import annotations

import ast
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from accord.ledger.keys import load_signing_key
from accord.ledger.signing import sign_envelope
from accord.scenarios import load_scenario
from accord.wire import HOST, Performative, compose, new_session
from conftest import ROOT, scenario_data

pytestmark = pytest.mark.mqtt

AGENT = ROOT / "examples" / "paho-agent" / "paho_agent.py"
PARTIES = ("buyer", "seller")
ALLOWED_IMPORTS = {"paho", "nacl", "rfc8785"}


def accord(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def scenario(tmp_path: Path, *strategies: str, **deadline: Any) -> tuple[Path, str]:
    """A two-party saop scenario with a negotiation id of its own on the shared broker (the
    tmp dir's name, and a random part: the same names come back in every pytest session), and
    its id."""
    data = scenario_data(*strategies)
    data["name"] = f"Ref {secrets.token_hex(4)} {tmp_path.name}"
    data["mechanism"]["deadline"] |= deadline
    path = tmp_path / "deal.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path, load_scenario(path).negotiation_id()


def make_keys(tmp_path: Path) -> Path:
    keys = tmp_path / "keys"
    for name in (*PARTIES, "host", "recorder"):
        made = accord("keys", "new", name, "--out", keys)
        assert made.returncode == 0, made.stderr
    return keys


def profile_file(tmp_path: Path, path: Path, party: str) -> Path:
    """The party's profile in the normal form accord commits to (every default written out)."""
    (mine,) = (p for p in load_scenario(path).parties if p.id == party)
    out = tmp_path / f"{party}.profile.json"
    out.write_text(json.dumps(mine.profile.model_dump(mode="json")))
    return out


def no_accord_dir(tmp_path: Path) -> Path:
    """A directory whose ``accord`` package cannot be imported: on the paho agent's
    PYTHONPATH, it shadows the installed one, so any import of accord would fail."""
    package = tmp_path / "no-accord" / "accord"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(
        'raise ImportError("the reference agent must not import accord")\n'
    )
    return package.parent


def paho_agent(
    tmp_path: Path, url: str, negotiation: str, party: str, *, keys: Path, profile: Path
) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603  # the example, with our own arguments
        [
            sys.executable,
            str(AGENT),
            "--broker",
            url,
            "--negotiation",
            negotiation,
            "--party",
            party,
            "--key",
            str(keys / f"{party}.key"),
            "--host-key",
            str(keys / "host.pub"),
            "--profile",
            str(profile),
            "--open-timeout",
            "60",
        ],
        env={**os.environ, "PYTHONPATH": str(no_accord_dir(tmp_path))},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def accord_agent(path: Path, url: str, party: str, keys: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", "agent", str(path), "--party", party]  # noqa: RUF005
        + ["--broker", url, "--keys", str(keys)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def host(path: Path, url: str, keys: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", "host", str(path), "--broker", url]  # noqa: RUF005
        + ["--keys", str(keys), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def processes(*started: subprocess.Popen[str]) -> Iterator[Sequence[subprocess.Popen[str]]]:
    """Kill whatever is still running at the end, and collect every pipe."""
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=10)


def finish(process: subprocess.Popen[str], what: str, timeout: float = 90) -> str:
    """Wait for ``process`` to exit 0 and return what it said on stderr."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{what} exited {process.returncode}:\n{out}\n{err}"
    return err


def check_clean_run(out: Path, paho_parties: Sequence[str]) -> None:
    """The run ended well, nobody is blamed, the log verifies with every reveal matching, and
    the audit finds no protocol violation."""
    result = json.loads((out / "result.json").read_text())
    assert result["reason"] in {"agreement", "deadline"}, result
    assert result["violations"] == []
    assert result["noise"] == []
    assert result["noise_count"] == 0

    verified = accord("log", "verify", out)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "2 of 2 commitments revealed and matching" in verified.stdout, verified.stdout

    entries = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    envelopes = [e["envelope"] for e in entries if e.get("type") == "envelope"]
    assert all(e["status"] == "ok" for e in entries if e.get("type") == "envelope")
    for party in paho_parties:
        reveals = [e for e in envelopes if e["sender"] == party and e["performative"] == "reveal"]
        assert len(reveals) == 1, f"{party} revealed {len(reveals)} times"
        mine = [e for e in envelopes if e["sender"] == party]
        assert [e["seq"] for e in mine] == sorted({e["seq"] for e in mine})

    audit = accord("audit", out, "--format", "json")
    assert audit.returncode in {0, 3}, audit.stdout + audit.stderr  # fair, or a policy breach
    report = json.loads(audit.stdout)
    assert report["integrity"]["ok"] is True
    assert report["profiles_from"] == "revealed"
    assert report["process"]["noise"] == []
    for party in PARTIES:
        assert report["process"]["parties"][party]["violations"] == [], party
        assert report["process"]["parties"][party]["refused_messages"] == 0, party
    assert not [b for b in report["verdict"]["breaches"] if "violation" in json.dumps(b)]


def test_the_agent_imports_only_the_standard_library_paho_nacl_and_rfc8785() -> None:
    imported: set[str] = set()
    for node in ast.walk(ast.parse(AGENT.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported - sys.stdlib_module_names - {"__future__"} == ALLOWED_IMPORTS


def test_a_paho_agent_and_an_accord_agent_negotiate(tmp_path: Path, mosquitto_url: str) -> None:
    path, negotiation = scenario(tmp_path, "linear", "conceder")
    keys = make_keys(tmp_path)
    seller_profile = profile_file(tmp_path, path, "seller")
    with processes(
        accord_agent(path, mosquitto_url, "buyer", keys),
        paho_agent(
            tmp_path, mosquitto_url, negotiation, "seller", keys=keys, profile=seller_profile
        ),
        host(path, mosquitto_url, keys, tmp_path / "out"),
    ) as (buyer, seller, hosting):
        finish(hosting, "accord host")
        said = finish(seller, "the paho agent")
        finish(buyer, "accord agent")
    assert "result: " in said
    check_clean_run(tmp_path / "out", ["seller"])


def test_two_paho_agents_negotiate(tmp_path: Path, mosquitto_url: str) -> None:
    """Both parties played by the reference agent; the buyer reads its profile from the whole
    scenario as JSON, as written (the agent writes out the defaults before committing)."""
    path, negotiation = scenario(tmp_path, "linear", "linear")
    keys = make_keys(tmp_path)
    whole = tmp_path / "deal.json"
    whole.write_text(json.dumps(yaml.safe_load(path.read_text())))
    with processes(
        host(path, mosquitto_url, keys, tmp_path / "out"),
        paho_agent(tmp_path, mosquitto_url, negotiation, "buyer", keys=keys, profile=whole),
        paho_agent(
            tmp_path,
            mosquitto_url,
            negotiation,
            "seller",
            keys=keys,
            profile=profile_file(tmp_path, path, "seller"),
        ),
    ) as (hosting, buyer, seller):
        finish(hosting, "accord host")
        finish(buyer, "the paho buyer")
        finish(seller, "the paho seller")
    check_clean_run(tmp_path / "out", PARTIES)


def wait_for_offer_from(party: str, out: Path, hosting: subprocess.Popen[str]) -> None:
    """Until the host's log (in its staging directory beside ``out``) holds an offer of
    ``party``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert hosting.poll() is None, "the host ended before the negotiation got going"
        for log in out.glob(".accord-run-*/log.jsonl"):
            text = log.read_text(errors="replace")
            if f'"sender":"{party}"' in text and '"performative":"offer"' in text:
                return
        time.sleep(0.1)
    pytest.fail(f"no offer from {party} within 60 s")


def test_a_killed_paho_agent_is_lost_by_its_last_will(tmp_path: Path, mosquitto_url: str) -> None:
    """SIGKILLed in the middle of a negotiation that would go on for long, the paho agent's
    last will (signed, session null, the reserved sequence number, its join's nonce) reaches
    the host, which ends with party_lost naming it, and refuses nothing as noise."""
    path, negotiation = scenario(tmp_path, "hardliner", rounds=100_000)
    keys = make_keys(tmp_path)
    with processes(
        accord_agent(path, mosquitto_url, "buyer", keys),
        paho_agent(
            tmp_path,
            mosquitto_url,
            negotiation,
            "seller",
            keys=keys,
            profile=profile_file(tmp_path, path, "seller"),
        ),
        host(path, mosquitto_url, keys, tmp_path / "out"),
    ) as (buyer, seller, hosting):
        wait_for_offer_from("seller", tmp_path, hosting)
        seller.send_signal(signal.SIGKILL)
        finish(hosting, "accord host", timeout=30)
        finish(buyer, "accord agent", timeout=30)
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert (result["reason"], result["responsible"]) == ("party_lost", "seller")
    assert result["noise"] == []
    assert result["violations"] == []
    verified = accord("log", "verify", tmp_path / "out")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_an_earlier_runs_open_replayed_does_not_capture_the_paho_agent(
    tmp_path: Path, mosquitto_url: str
) -> None:
    """An authentic open of another session, sent before this run's and replayed on the broker
    from before the agent starts until the end: the paho agent joins under it first, then
    under the host's later-sent open, and the run ends as a clean one (what the host refused
    of the replayed session is stale noise, held against nobody)."""
    path, negotiation = scenario(tmp_path, "linear", "conceder")
    keys = make_keys(tmp_path)
    old = sign_envelope(
        compose(
            negotiation_id=negotiation,
            sender=HOST,
            seq=0,
            performative=Performative.OPEN,
            body={"parties": list(PARTIES)},
            session=new_session(),
        ),
        load_signing_key(keys / "host.key"),
    )
    base = f"accord/v1/{negotiation}"
    joined_old = threading.Event()
    stop = threading.Event()

    def heard(_client: mqtt.Client, _userdata: Any, message: Any) -> None:
        envelope = json.loads(message.payload)
        if envelope["performative"] == "join" and envelope["session"] == old.session:
            joined_old.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.on_message = heard
    where = urlsplit(mosquitto_url)
    client.connect(where.hostname or "127.0.0.1", where.port or 1883)
    client.subscribe(f"{base}/from/seller/to/host", qos=1)
    client.loop_start()

    def replay() -> None:
        while not stop.wait(0.3):
            client.publish(f"{base}/from/host/all", old.model_dump_json(), qos=1)

    replayer = threading.Thread(target=replay, daemon=True)
    replayer.start()
    try:
        seller_profile = profile_file(tmp_path, path, "seller")
        with processes(
            paho_agent(
                tmp_path, mosquitto_url, negotiation, "seller", keys=keys, profile=seller_profile
            )
        ) as (seller,):
            assert joined_old.wait(30), "the paho agent did not join the replayed open"
            with processes(
                accord_agent(path, mosquitto_url, "buyer", keys),
                host(path, mosquitto_url, keys, tmp_path / "out"),
            ) as (buyer, hosting):
                finish(hosting, "accord host")
                said = finish(seller, "the paho agent")
                finish(buyer, "accord agent")
    finally:
        stop.set()
        replayer.join(5)
        client.loop_stop()
        client.disconnect()
    assert "a later-sent open" in said
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["reason"] in {"agreement", "deadline"}, result
    assert result["violations"] == []
    assert {n["reason"] for n in result["noise"]} <= {"stale_session"}, result["noise"]
    verified = accord("log", "verify", tmp_path / "out")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "2 of 2 commitments revealed and matching" in verified.stdout, verified.stdout


def test_the_paho_agent_passes_accord_conformance(tmp_path: Path, mosquitto_url: str) -> None:
    """`accord conformance` (a scripted host: forged and stale requests, a replayed request,
    propose, respond, result) finds nothing wrong with the reference agent."""
    path, negotiation = scenario(tmp_path, "linear", "conceder")
    keys = make_keys(tmp_path)
    seller_profile = profile_file(tmp_path, path, "seller")
    with processes(
        paho_agent(
            tmp_path, mosquitto_url, negotiation, "seller", keys=keys, profile=seller_profile
        )
    ) as (seller,):
        checked = accord(
            "conformance", path, "--party", "seller", "--broker", mosquitto_url, "--keys", keys
        )
        finish(seller, "the paho agent")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "PASS  reveals" in checked.stdout, checked.stdout
    assert "FAIL" not in checked.stdout, checked.stdout
