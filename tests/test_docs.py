"""The code in the README and the docs runs as printed."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
import types
import typing
from pathlib import Path

import pytest
import yaml

from accord.runner import negotiate
from conftest import ROOT, make_scenario, scenario_data


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.DOTALL)


async def test_the_strategy_in_the_architecture_doc_negotiates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (code,) = [b for b in python_blocks(ROOT / "docs" / "architecture.md") if "class HalfWay" in b]
    module = types.ModuleType("halfway_doc")
    exec(compile(code, "docs/architecture.md", "exec"), module.__dict__)  # noqa: S102  # our own doc
    monkeypatch.setitem(sys.modules, "halfway_doc", module)
    result = (await negotiate(make_scenario("halfway_doc:HalfWay", "conceder"))).result
    assert result.reason == "agreement"
    assert result.violations == []


def test_the_readme_python_example_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (code,) = python_blocks(ROOT / "README.md")
    assert len(code.strip().splitlines()) <= 12
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102  # our own README
    out = capsys.readouterr().out
    assert "utility" in out
    assert "envelopes, first: open" in out


async def test_the_example_in_the_scenario_doc_runs(tmp_path: Path) -> None:
    from accord import load_scenario  # noqa: PLC0415

    text = (ROOT / "docs" / "scenarios.md").read_text()
    (example,) = re.findall(r"## A small example\n\n```yaml\n(.*?)```", text, flags=re.DOTALL)
    path = tmp_path / "deal.yaml"
    path.write_text(example)
    result = (await negotiate(load_scenario(path))).result
    assert result.reason in {"agreement", "deadline"}
    assert result.negotiation_id == "supply-deal-3"


async def test_the_strategy_tutorial_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import tomllib  # noqa: PLC0415
    from importlib.metadata import EntryPoint  # noqa: PLC0415

    from accord import load_scenario  # noqa: PLC0415

    text = (ROOT / "docs" / "strategies.md").read_text()
    strategy, test = python_blocks(ROOT / "docs" / "strategies.md")
    module = types.ModuleType("patient")
    exec(compile(strategy, "docs/strategies.md", "exec"), module.__dict__)  # noqa: S102  # our doc
    monkeypatch.setitem(sys.modules, "patient", module)

    (deal,) = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    (tmp_path / "deal.yaml").write_text(deal)
    result = (await negotiate(load_scenario(tmp_path / "deal.yaml"))).result
    assert result.reason == "agreement"
    assert result.negotiation_id == "patient-deal-1"
    buyer = result.parties[0]
    assert buyer.strategy == "patient:Patient"
    assert buyer.utility >= 0.4  # its floor

    tests: dict[str, object] = {}
    exec(compile(test, "docs/strategies.md", "exec"), tests)  # noqa: S102  # our own doc
    test_function = tests["test_patient_plays_fair_against_the_builtins"]
    assert callable(test_function)
    test_function()  # plays in a helper thread: this test runs an event loop

    (toml,) = re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)
    entry_points = tomllib.loads(toml)["project"]["entry-points"]["accord.strategies"]
    assert EntryPoint("patient", entry_points["patient"], "accord.strategies").load() is (
        module.Patient
    )
    example = ROOT / "examples" / "accord-example-strategy" / "pyproject.toml"
    assert (
        "split-the-difference"
        in (tomllib.loads(example.read_text())["project"]["entry-points"]["accord.strategies"])
    )


# -- docs/protocol.md and docs/ledger.md: the worked examples are recomputed from the text ---

PROTOCOL = ROOT / "docs" / "protocol.md"
LEDGER = ROOT / "docs" / "ledger.md"


def section(path: Path, heading: str) -> str:
    """The text under ``heading`` (a whole line) up to the next heading of its level or above."""
    text = path.read_text()
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    ends = [m.start() for m in re.finditer(rf"\n#{{1,{len(level)}}} ", text[start:])]
    return text[start : start + ends[0]] if ends else text[start:]


def _kinds(union: object) -> set[str]:
    """The ``type`` values of an annotated discriminated union of models."""
    (members, *_) = typing.get_args(union)
    return {member.model_fields["type"].default for member in typing.get_args(members)}


def test_the_commitment_examples_in_the_protocol_doc() -> None:
    from accord.ledger.canonical import canonical  # noqa: PLC0415
    from accord.ledger.commitment import Reveal, commitment_of  # noqa: PLC0415
    from accord.model import Profile, Utility, ValueFunction  # noqa: PLC0415

    text = section(PROTOCOL, "## Commitments")
    (salt,) = re.findall(r"^`([0-9a-f]{64})`$", text, flags=re.MULTILINE)
    assert bytes.fromhex(salt) == bytes(range(32))
    examples = re.findall(
        r"```yaml\n(.*?)```\n\nIts normal form, canonical \((\d+) bytes\):\n\n```json\n(.*?)\n```"
        r"\n\ncommitment: `([0-9a-f]{64})`",
        text,
        flags=re.DOTALL,
    )
    assert len(examples) == 2
    tag = b"accord-commitment-v1\x00"
    kinds: set[str] = set()
    normal_forms = []
    for written, size, normal, commitment in examples:
        profile = Profile.model_validate(yaml.safe_load(written))
        data = canonical(profile.model_dump(mode="json"))
        assert data.decode() == normal
        assert len(data) == int(size)
        assert hashlib.sha256(tag + data + bytes.fromhex(salt)).hexdigest() == commitment
        assert commitment_of(profile, salt) == commitment
        assert Reveal(party="p", profile=profile, salt=salt).matches(commitment)
        kinds |= set(re.findall(r'"type":"([a-z-]+)"', normal))
        normal_forms.append(data)
    # every kind of utility and value function the model has is shown
    assert kinds == _kinds(Utility) | _kinds(ValueFunction)
    (wrong,) = re.findall(r"first example,\n`([0-9a-f]{64})`", text)
    assert hashlib.sha256(tag + normal_forms[0] + salt.encode()).hexdigest() == wrong


def _signing_example() -> tuple[str, str, str, str, int]:
    text = section(PROTOCOL, "### Every field is sent and signed")
    (seed,) = re.findall(r"holds `([A-Za-z0-9+/]{43}=)`", text)
    (public,) = re.findall(r"public key `([A-Za-z0-9+/]{43}=)`", text)
    (sent,) = re.findall(r"```json\n(.*?)\n```", text, flags=re.DOTALL)
    (signed,) = re.findall(r"```text\n(.*?)\n```", text, flags=re.DOTALL)
    (size,) = re.findall(r"\((\d+) bytes, no newline\)", text)
    return seed, public, sent, signed, int(size)


def test_the_signing_example_in_the_protocol_doc() -> None:
    from nacl.signing import SigningKey  # noqa: PLC0415

    from accord.ledger.canonical import canonical, signing_bytes  # noqa: PLC0415
    from accord.ledger.signing import Verifier, sign_envelope  # noqa: PLC0415
    from accord.wire import Envelope  # noqa: PLC0415

    seed, public, sent, signed, size = _signing_example()
    key = SigningKey(base64.b64decode(seed))
    assert bytes(key) == bytes(range(32))
    assert base64.b64encode(bytes(key.verify_key)).decode() == public
    envelope = Envelope.model_validate_json(sent)
    assert (
        signing_bytes(envelope)
        == signed.encode()
        == canonical(envelope.model_dump(mode="json", exclude={"sig"}))
    )
    assert len(signed.encode()) == size
    assert sign_envelope(envelope.model_copy(update={"sig": None}), key).sig == envelope.sig
    assert Verifier({envelope.sender: key.verify_key}).problem(envelope) is None
    assert envelope.model_dump_json() == sent  # the order of the fields as accord sends them
    assert len(json.loads(sent)) == len(Envelope.model_fields) == 13  # all sent: thirteen


def test_the_field_rules_in_the_protocol_doc() -> None:
    from nacl.signing import SigningKey  # noqa: PLC0415

    from accord.broker.admission import Refusal, admit  # noqa: PLC0415
    from accord.broker.topics import topic_for  # noqa: PLC0415
    from accord.ledger.signing import Verifier  # noqa: PLC0415
    from accord.wire import Envelope  # noqa: PLC0415

    seed, _, sent, _, _ = _signing_example()
    key = SigningKey(base64.b64decode(seed))
    verifier = Verifier({"buyer": key.verify_key})
    fields = json.loads(sent)
    topic = topic_for(Envelope.model_validate(fields))

    def admitted(data: dict[str, object], on: str = topic) -> Envelope | Refusal:
        return admit(json.dumps(data).encode(), topic=on, negotiation_id=fields["negotiation_id"])

    # a missing field is filled with its default before the signature is checked
    for name in ("v", "session", "round", "in_reply_to"):
        envelope = admitted({k: v for k, v in fields.items() if k != name})
        assert isinstance(envelope, Envelope)
        assert verifier.problem(envelope) is None
    # without "to" it is a broadcast: refused on to/host, and not what was signed
    no_to = {k: v for k, v in fields.items() if k != "to"}
    assert isinstance(admitted(no_to), Refusal)
    broadcast = admitted(no_to, topic.rsplit("/to/", 1)[0] + "/all")
    assert isinstance(broadcast, Envelope)
    assert verifier.problem(broadcast) == "bad_signature"
    # seq and round are JSON integers
    for name, value in [("seq", str(fields["seq"])), ("seq", 3.0), ("round", "0")]:
        refused = admitted(fields | {name: value})
        assert isinstance(refused, Refusal)
        assert refused.reason == "malformed"
    for value in (0.0, True):
        refused = admitted(fields | {"round": value})
        assert isinstance(refused, Refusal)
        assert refused.reason == "malformed"
    assert '`"3"`, `3.0` or `true` is refused' in PROTOCOL.read_text()


def test_the_negotiation_id_examples_in_the_protocol_doc() -> None:
    from accord.scenarios import Scenario  # noqa: PLC0415

    text = section(PROTOCOL, "### The negotiation id")
    rows = re.findall(r"^\| `([^`]+)` \| (\d+) \| `([^`]+)` \|$", text, flags=re.MULTILINE)
    assert len(rows) >= 5
    for name, seed, expected in rows:
        data = scenario_data()
        data["name"], data["seed"] = name, int(seed)
        assert Scenario.model_validate(data).negotiation_id() == expected, name


L = 2**252 + 27742317777372353535851937790883648493


def _accepted(public: bytes, message: bytes, signature: bytes) -> bool:
    from nacl.exceptions import BadSignatureError  # noqa: PLC0415
    from nacl.signing import VerifyKey  # noqa: PLC0415

    try:
        VerifyKey(public).verify(message, signature)
    except BadSignatureError:
        return False
    return True


def test_the_signature_acceptance_policy_in_the_ledger_doc() -> None:
    from nacl.bindings import crypto_scalarmult_ed25519_base_noclamp as times_base  # noqa: PLC0415
    from nacl.signing import SigningKey  # noqa: PLC0415

    from accord.ledger.keys import decode_public_key  # noqa: PLC0415
    from accord.ledger.signing import Verifier, sign_envelope  # noqa: PLC0415
    from accord.wire import Envelope  # noqa: PLC0415

    assert "## Signature acceptance policy" in LEDGER.read_text()
    seed, message = bytes(range(32)), b"accord"
    key = SigningKey(seed)
    public = bytes(key.verify_key)
    genuine = key.sign(message).signature
    assert _accepted(public, message, genuine)
    s = int.from_bytes(genuine[32:], "little")
    assert not _accepted(public, message, genuine[:32] + (s + L).to_bytes(32, "little"))

    def scalar(n: int) -> bytes:
        return (n % L).to_bytes(32, "little")

    # small-order public keys: R = s*B, S = s satisfies S*B = R + h*A for any message
    forged = times_base(scalar(12345)) + scalar(12345)
    identity = b"\x01" + bytes(31)
    p = 2**255 - 19
    for small in (identity, bytes(32), (p + 1).to_bytes(32, "little")):
        assert not _accepted(small, message, forged)
        decode_public_key(base64.b64encode(small).decode())  # not refused when it is read

    # a small-order R with a genuine key: R = identity, S = h*a
    digest = bytearray(hashlib.sha512(seed).digest()[:32])
    digest[0] &= 248
    digest[31] = (digest[31] & 127) | 64
    a = int.from_bytes(digest, "little")
    assert times_base(scalar(a)) == public

    def h(r: bytes) -> int:
        return int.from_bytes(hashlib.sha512(r + public + message).digest(), "little") % L

    assert not _accepted(public, message, identity + scalar(h(identity) * a))
    r = times_base(scalar(987654321))
    assert _accepted(public, message, r + scalar(987654321 + h(r) * a))

    # the 4 bits after the 64 bytes in the last base64 character must be zero: the same
    # signature in other text is refused
    (_, _, sent, _, _) = _signing_example()
    envelope = Envelope.model_validate_json(sent)
    sig = sign_envelope(envelope.model_copy(update={"sig": None}), key).sig
    assert sig is not None
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    other = alphabet[alphabet.index(sig[85]) ^ 1]
    twin = envelope.model_copy(update={"sig": sig[:85] + other + "=="})
    assert base64.b64decode(twin.sig or "") == base64.b64decode(sig)
    assert Verifier({"buyer": key.verify_key}).problem(twin) == "bad_signature"
    assert Verifier({"buyer": key.verify_key}).problem(envelope) is None


async def test_the_key_errors_in_the_protocol_doc(tmp_path: Path) -> None:
    from accord.broker import MemoryBus  # noqa: PLC0415
    from accord.errors import AccordError, InputError  # noqa: PLC0415
    from accord.ledger.keys import save_key_pair  # noqa: PLC0415
    from accord.ledger.storage import open_storage  # noqa: PLC0415
    from accord.processes import host_process, party_process, recorder_process  # noqa: PLC0415
    from accord.scenarios import load_scenario  # noqa: PLC0415

    rows = {
        message: int(code)
        for message, code in re.findall(
            r"^\|[^|]*\|[^|]*\| `error: (.*?)`[^|]*\| (\d) \|$",
            section(PROTOCOL, "## Keys"),
            flags=re.MULTILINE,
        )
    }
    scenario = load_scenario(ROOT / "scenarios" / "platform-isv.yaml")
    keys = tmp_path / "keys"
    seen: list[str] = []

    async def says(run: typing.Callable[[], typing.Awaitable[object]]) -> None:
        with pytest.raises(AccordError) as caught:
            await run()
        message = str(caught.value).replace(str(keys), "KEYS")
        if message not in rows:  # the row of a key that varies shows it as <the text>
            message = re.sub(r"\.pub '[^']*' ", ".pub '<the text>' ", message)
        assert message in rows, message
        assert rows[message] == (2 if isinstance(caught.value, InputError) else 1), message
        seen.append(message)

    def agent(receipts: Path | None = None) -> typing.Awaitable[object]:
        return party_process(scenario, "isv", bus=MemoryBus(), keys=keys, receipts=receipts)

    def host() -> typing.Awaitable[object]:
        log = open_storage(tmp_path / f"host-{len(seen)}.jsonl")
        return host_process(scenario, bus=MemoryBus(), keys=keys, log=log)

    def recorder() -> typing.Awaitable[object]:
        log = open_storage(tmp_path / f"recorder-{len(seen)}.jsonl")
        return recorder_process(scenario, bus=MemoryBus(), keys=keys, log=log)

    await says(agent)  # no directory
    keys.mkdir()
    await says(agent)  # no isv.key
    await says(host)  # no host.key, recorder.key
    await says(recorder)  # no recorder.key
    for name in ("isv", "host", "recorder"):
        save_key_pair(name, keys)
    await says(host)  # no platform.pub
    await says(recorder)  # no platform.pub
    save_key_pair("platform", keys)
    (keys / "host.pub").rename(keys / "host.pub.away")
    await says(recorder)  # no host.pub
    await says(agent)  # no host.pub
    (keys / "host.pub.away").rename(keys / "host.pub")
    (keys / "recorder.pub").unlink()
    await says(lambda: agent(tmp_path / "receipts"))  # no recorder.pub
    good = (keys / "isv.key").read_text()
    for broken in ("not base64!", "AAAA"):
        (keys / "isv.key").write_text(broken + "\n")
        await says(agent)
    (keys / "isv.key").write_text(good)
    for broken in ("AAAA", (keys / "isv.pub").read_text().strip().rstrip("=")):
        (keys / "host.pub").write_text(broken + "\n")
        await says(agent)
    assert set(seen) == set(rows)  # every error the table lists, and no other
