#!/usr/bin/env python3
"""A reference agent for one party of an accord negotiation, written from the wire protocol's
documentation (docs/protocol.md, docs/ledger.md) alone: it imports nothing of accord.

It needs only the standard library, paho-mqtt 2, PyNaCl and rfc8785:

    python paho_agent.py --broker mqtt://127.0.0.1:1883 --negotiation supply-deal-3 \\
        --party seller --key keys/seller.key --host-key keys/host.pub --profile seller.json

Its strategy, for stacked alternating offers (saop): a threshold falls linearly with the
request's relative_time from the best utility it can get to its reservation value; it accepts
a standing offer worth at least the threshold, and otherwise offers the outcome it values
least among those at or above the threshold (its best outcome when it proposes first at t=0).
Requests of any other kind are answered with one ``failure``.

Exit status: 0 once the host's result has arrived (and the reveal has been sent); 1 when the
negotiation could not be followed (no host, the host went silent, the broker went away); 2 for
bad arguments or files.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import itertools
import json
import math
import queue
import random
import re
import secrets
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
import rfc8785
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey
from paho.mqtt.enums import CallbackAPIVersion

PROTOCOL_VERSION = 1
HOST = "host"
WILL_SEQ = 2**53 - 1  # reserved for the last will
MAX_PAYLOAD = 65_536
KEEPALIVE_S = 10
JOIN_EVERY_S = 1.0
COMMITMENT_PREFIX = b"accord-commitment-v1\0"
ENVELOPE_FIELDS = frozenset(
    {
        "v",
        "negotiation_id",
        "session",
        "message_id",
        "sender",
        "to",
        "seq",
        "performative",
        "round",
        "in_reply_to",
        "body",
        "sent_ns",
        "sig",
    }
)
REQUIRED_FIELDS = ENVELOPE_FIELDS - {"sig"}  # we always send every field; so does the host
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_ENUMERATED = 200_000  # outcome spaces larger than this are sampled

Outcome = dict[str, Any]
Envelope = dict[str, Any]


class AgentError(Exception):
    """Something that stops the agent; the message says what, for a person."""


def say(message: str) -> None:
    sys.stderr.write(f"paho-agent: {message}\n")
    sys.stderr.flush()


# --- keys, signatures, commitments ---------------------------------------------------------


def read_base64_key(path: Path, what: str) -> bytes:
    try:
        raw = base64.b64decode(path.read_text().strip(), validate=True)
    except OSError as exc:
        raise AgentError(f"cannot read the {what} {path}: {exc.strerror}") from exc
    except (binascii.Error, ValueError) as exc:
        raise AgentError(f"{path} is not a base64 {what}") from exc
    if len(raw) != 32:
        raise AgentError(f"{path}: an Ed25519 {what} is 32 bytes, this one is {len(raw)}")
    return raw


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON."""
    return rfc8785.dumps(value)


def sign(key: SigningKey, fields: Envelope) -> Envelope:
    """The envelope with ``sig``: Ed25519 over the canonical JSON of every other field."""
    unsigned = {name: value for name, value in fields.items() if name != "sig"}
    signature = key.sign(canonical(unsigned)).signature
    return unsigned | {"sig": base64.b64encode(signature).decode("ascii")}


def signature_ok(key: VerifyKey, envelope: Envelope) -> bool:
    sig = envelope.get("sig")
    if not isinstance(sig, str):
        return False
    try:
        signature = base64.b64decode(sig, validate=True)
        unsigned = {name: value for name, value in envelope.items() if name != "sig"}
        key.verify(canonical(unsigned), signature)
    except (binascii.Error, ValueError, BadSignatureError, rfc8785.CanonicalizationError):
        return False
    return True


def commitment(profile: Mapping[str, Any], salt: bytes) -> str:
    """SHA-256("accord-commitment-v1\\0" || canonical(profile) || salt), hex."""
    return hashlib.sha256(COMMITMENT_PREFIX + canonical(profile) + salt).hexdigest()


# --- the profile ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    name: str
    type: str
    values: tuple[Any, ...] = ()
    low: float = 0.0
    high: float = 0.0
    grid: int = 11

    @classmethod
    def parse(cls, spec: Mapping[str, Any]) -> Issue:
        kind = spec["type"]
        if kind == "categorical":
            return cls(spec["name"], kind, values=tuple(spec["values"]))
        if kind == "integer":
            return cls(spec["name"], kind, low=spec["min"], high=spec["max"])
        if kind == "continuous":
            return cls(
                spec["name"], kind, low=spec["min"], high=spec["max"], grid=spec.get("grid", 11)
            )
        raise AgentError(f"issue {spec.get('name')!r} has a type this agent does not know: {kind}")

    def points(self) -> list[Any]:
        """The issue's values, as the outcome space lists them."""
        if self.type == "categorical":
            return list(self.values)
        if self.type == "integer":
            return list(range(int(self.low), int(self.high) + 1))
        step = (self.high - self.low) / (self.grid - 1)
        return [self.low + i * step for i in range(self.grid - 1)] + [self.high]


def parse_domain(start_body: Mapping[str, Any]) -> list[Issue]:
    domain = start_body.get("domain")
    specs: list[Mapping[str, Any]]
    if isinstance(domain, list):
        specs = domain
    elif isinstance(domain, dict):
        specs = [{"name": name} | dict(spec) for name, spec in domain.items()]
    else:
        raise AgentError("the host's start has no domain (the issues' definitions)")
    issues = {spec["name"]: Issue.parse(spec) for spec in specs}
    names = start_body.get("issues") or list(issues)
    return [issues[name] for name in names]


def _table(function: Mapping[str, Any], _issue: Issue, x: Any) -> float:
    return float(function["table"][x])


def _linear(function: Mapping[str, Any], issue: Issue, x: Any) -> float:
    low, high = float(function["low"]), float(function["high"])
    if issue.high == issue.low:
        return high
    return low + (high - low) * (float(x) - issue.low) / (issue.high - issue.low)


def _triangular(function: Mapping[str, Any], _issue: Issue, value: Any) -> float:
    start, peak, end = (float(function[k]) for k in ("start", "peak", "end"))
    x = float(value)
    if x < start or x > end:
        return 0.0
    if x <= peak:
        return 1.0 if peak == start else (x - start) / (peak - start)
    return 1.0 if end == peak else (end - x) / (end - peak)


def _piecewise_linear(function: Mapping[str, Any], _issue: Issue, value: Any) -> float:
    points = [(float(a), float(b)) for a, b in function["points"]]
    x = float(value)
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


VALUE_FUNCTIONS: dict[str, Callable[[Mapping[str, Any], Issue, Any], float]] = {
    "table": _table,
    "linear": _linear,
    "triangular": _triangular,
    "piecewise-linear": _piecewise_linear,
}


def value_of(function: Mapping[str, Any], issue: Issue, x: Any) -> float:
    """The value (0 to 1) of ``x`` on ``issue``, by one of docs/scenarios.md's functions."""
    evaluate = VALUE_FUNCTIONS.get(function.get("type", ""))
    if evaluate is None:
        raise AgentError(f"a value function this agent does not know: {function}")
    return evaluate(function, issue, x)


def normal_form(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The profile with its defaults written out, as the verifier re-reads it before hashing
    (``accord log verify`` parses the revealed profile and hashes it with every default
    filled in: committing to the file's bytes as they stand fails when a default is left
    out). The defaults are those of docs/scenarios.md: reservation 0, discount 1, and a
    hyper-rectangle utility's ``scale`` null (the sum of its positive constraints)."""
    data = {"reservation": 0.0, "discount": 1.0} | dict(profile)
    utility = dict(data["utility"])
    if utility.get("type") == "hyper-rectangle":
        utility.setdefault("scale", None)
    data["utility"] = utility
    return data


@dataclass
class Profile:
    """A party's private preferences, in the form of docs/scenarios.md#profiles."""

    data: dict[str, Any]
    reservation: float = 0.0

    @classmethod
    def load(cls, path: Path, party: str) -> Profile:
        try:
            data = json.loads(path.read_text())
        except OSError as exc:
            raise AgentError(f"cannot read the profile {path}: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise AgentError(f"{path} is not JSON: {exc}") from exc
        if isinstance(data, dict) and "parties" in data:  # a whole scenario, as JSON
            mine = [p for p in data["parties"] if isinstance(p, dict) and p.get("id") == party]
            if not mine:
                raise AgentError(f"{path}: the scenario has no party {party!r}")
            data = mine[0]["profile"]
        if not isinstance(data, dict) or not isinstance(data.get("utility"), dict):
            raise AgentError(f"{path}: a profile is an object with 'utility' (and 'reservation')")
        kind = data["utility"].get("type")
        if kind not in {"linear-additive", "hyper-rectangle"}:
            raise AgentError(f"{path}: a utility this agent does not know: {kind!r}")
        data = normal_form(data)
        try:
            canonical(data)
        except rfc8785.CanonicalizationError as exc:
            raise AgentError(f"{path}: the profile cannot be canonicalised: {exc}") from exc
        return cls(data, float(data.get("reservation", 0.0)))

    def utility(self, issues: Sequence[Issue], outcome: Mapping[str, Any]) -> float:
        spec = self.data["utility"]
        if spec["type"] == "linear-additive":
            return sum(
                float(spec["weights"][issue.name])
                * value_of(spec["values"][issue.name], issue, outcome[issue.name])
                for issue in issues
            )
        total = 0.0
        for box in spec["constraints"]:
            if all(
                float(low) <= float(outcome[name]) <= float(high)
                for name, (low, high) in box["bounds"].items()
            ):
                total += float(box["utility"])
        scale = spec.get("scale") or sum(
            max(0.0, float(box["utility"])) for box in spec["constraints"]
        )
        return min(1.0, max(0.0, total / scale)) if scale else 0.0


# --- the strategy --------------------------------------------------------------------------


@dataclass
class Strategy:
    """Linear time-dependent concession: accept at or above the threshold, else offer the
    outcome closest above it."""

    profile: Profile
    issues: list[Issue]
    ranked: list[tuple[float, Outcome]] = field(default_factory=list)  # best first

    def __post_init__(self) -> None:
        self.ranked = sorted(
            ((self.profile.utility(self.issues, o), o) for o in self.outcomes()),
            key=lambda pair: -pair[0],
        )

    def outcomes(self) -> Iterator[Outcome]:
        names = [issue.name for issue in self.issues]
        points = [issue.points() for issue in self.issues]
        if math.prod(len(p) for p in points) <= MAX_ENUMERATED:
            for combination in itertools.product(*points):
                yield dict(zip(names, combination, strict=True))
            return
        rng = random.Random(0)  # a large space: a fixed sample of it  # noqa: S311
        for _ in range(MAX_ENUMERATED):
            yield {name: rng.choice(values) for name, values in zip(names, points, strict=True)}

    def threshold(self, relative_time: float) -> float:
        best = self.ranked[0][0]
        floor = min(self.profile.reservation, best)
        t = min(1.0, max(0.0, relative_time))
        return best - (best - floor) * t

    def offer(self, relative_time: float) -> Outcome:
        """The outcome worth least among those at or above the threshold."""
        target = self.threshold(relative_time)
        choice = self.ranked[0][1]
        for value, outcome in self.ranked:
            if value < target:
                break
            choice = outcome
        return choice

    def acceptable(self, offer: Mapping[str, Any], relative_time: float) -> bool:
        return self.profile.utility(self.issues, offer) >= self.threshold(relative_time)


# --- the broker ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> Broker:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError as exc:
            raise AgentError(f"the broker URL {url!r} has a bad port") from exc
        if parts.scheme not in {"mqtt", "mqtts"} or not parts.hostname:
            raise AgentError(f"the broker URL is mqtt://[user:pass@]host:port, not {url!r}")
        tls = parts.scheme == "mqtts"
        return cls(
            parts.hostname,
            port or (8883 if tls else 1883),
            tls,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
        )

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def _nodelay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    """TCP_NODELAY on every socket paho opens (TLS sockets are sockets too)."""
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Connection:
    """One MQTT 3.1.1 connection: QoS 1, TCP_NODELAY, keepalive 10 s, paho's automatic
    reconnection; what arrives on its subscriptions is queued for the agent's thread."""

    def __init__(
        self,
        broker: Broker,
        client_id: str,
        *,
        clean: bool,
        subscriptions: Sequence[str] = (),
        will: tuple[str, bytes] | None = None,
    ) -> None:
        self.broker = broker
        self.subscriptions = list(subscriptions)
        self.inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.connected = threading.Event()
        self.refused: str | None = None
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean,
            protocol=mqtt.MQTTv311,
        )
        if broker.username is not None:
            self.client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self.client.tls_set_context(ssl.create_default_context())
        if will is not None:
            self.client.will_set(will[0], will[1], qos=1, retain=False)
        self.client.on_socket_open = _nodelay
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 5)

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            self.refused = str(reason)
        else:
            for topic in self.subscriptions:  # again on every connection: cheap, and always right
                client.subscribe(topic, qos=1)
        self.connected.set()

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self.connected.clear()
        if reason.is_failure:
            say(f"lost the connection to {self.broker} ({reason}); reconnecting")

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: Any) -> None:
        self.inbox.put((message.topic, bytes(message.payload)))

    def open(self, wait_s: float = 10.0) -> None:
        try:
            self.client.connect(self.broker.host, self.broker.port, keepalive=KEEPALIVE_S)
        except OSError as exc:
            raise AgentError(f"cannot connect to the broker at {self.broker}: {exc}") from exc
        self.client.loop_start()
        if not self.connected.wait(wait_s) or self.refused is not None:
            self.client.loop_stop()
            why = self.refused or f"no CONNACK within {wait_s:g} s"
            raise AgentError(f"the broker at {self.broker} refused the connection: {why}")

    def publish(self, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo:
        if len(payload) > MAX_PAYLOAD:
            raise AgentError(f"an envelope of {len(payload)} bytes is over the 64 KiB limit")
        return self.client.publish(topic, payload, qos=1)

    def close(self) -> None:
        """DISCONNECT (so that the broker does not publish the will), and stop."""
        self.client.disconnect()
        self.client.loop_stop()


# --- the agent -----------------------------------------------------------------------------


class Agent:
    """One party's side of the conversation of docs/protocol.md."""

    def __init__(
        self,
        *,
        broker: Broker,
        negotiation: str,
        party: str,
        key: SigningKey,
        host_key: VerifyKey,
        profile: Profile,
        client_id: str,
        open_timeout_s: float,
        verbose: bool = False,
    ) -> None:
        self.broker = broker
        self.negotiation = negotiation
        self.party = party
        self.key = key
        self.host_key = host_key
        self.profile = profile
        self.client_id = client_id
        self.open_timeout_s = open_timeout_s
        self.verbose = verbose
        self.base = f"accord/v1/{negotiation}"
        self.salt = secrets.token_bytes(32)
        self.commitment = commitment(profile.data, self.salt)
        self.will_nonce = secrets.token_hex(16)  # fresh for this connection (and run)
        self.session: str | None = None  # the session of the open we joined under
        self.open_sent_ns = -1
        self.seq = 0  # our next sequence number
        self.join_payload = b""
        self.host_seq: dict[str, int] = {}  # the host's highest sequence number, per session
        self.started: dict[str, Any] | None = None
        self.strategy: Strategy | None = None
        self.broken = "no strategy"  # why there is none, if there is none
        self.answered: set[str] = set()
        self.offers: list[tuple[Any, Any, Any]] = []  # (round, party, outcome), as announced
        self.silence_s = 60.0
        # Two connections, as accord's own agents have: the subscriber (persistent session,
        # last will) only reads, so the broker never has a PUBACK of ours unacknowledged on
        # it when it forwards the host's next message. On one shared connection, a broker
        # without set_tcp_nodelay holds that message back (Nagle) until our kernel's
        # delayed ACK, about 40 ms, on every turn.
        self.subscriber = Connection(
            broker,
            client_id,
            clean=False,
            subscriptions=[f"{self.base}/from/+/to/{party}", f"{self.base}/from/+/all"],
            will=(self.topic(HOST), self.last_will()),
        )
        self.publisher = Connection(broker, f"{client_id}-pub", clean=True)

    # envelopes

    def envelope(
        self,
        performative: str,
        body: dict[str, Any],
        *,
        to: str | None = HOST,
        round_: int = 0,
        in_reply_to: str | None = None,
    ) -> bytes:
        """Our next envelope (the next sequence number), signed, as the bytes to publish."""
        seq = self.seq
        self.seq += 1
        fields: Envelope = {
            "v": PROTOCOL_VERSION,
            "negotiation_id": self.negotiation,
            "session": self.session,
            "message_id": f"{self.party}:{seq}",
            "sender": self.party,
            "to": to,
            "seq": seq,
            "performative": performative,
            "round": round_,
            "in_reply_to": in_reply_to,
            "body": body,
            "sent_ns": str(time.time_ns()),
        }
        return canonical(sign(self.key, fields))

    def topic(self, to: str | None) -> str:
        return f"{self.base}/from/{self.party}/" + ("all" if to is None else f"to/{to}")

    def last_will(self) -> bytes:
        """``lost``, signed now: session null, the sequence number reserved for it."""
        fields: Envelope = {
            "v": PROTOCOL_VERSION,
            "negotiation_id": self.negotiation,
            "session": None,
            "message_id": f"{self.party}:{WILL_SEQ}",
            "sender": self.party,
            "to": HOST,
            "seq": WILL_SEQ,
            "performative": "lost",
            "round": 0,
            "in_reply_to": None,
            "body": {"reason": "connection lost", "nonce": self.will_nonce},
            "sent_ns": str(time.time_ns()),
        }
        return canonical(sign(self.key, fields))

    def admissible(self, topic: str, payload: bytes) -> Envelope | None:
        """The payload as an envelope of the host to us, if it is one (admission)."""
        if len(payload) > MAX_PAYLOAD:
            return None
        try:
            envelope = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        if (
            not isinstance(envelope, dict)
            or set(envelope) - ENVELOPE_FIELDS
            or REQUIRED_FIELDS - set(envelope)
            or envelope["v"] != PROTOCOL_VERSION
            or envelope["negotiation_id"] != self.negotiation
            or envelope["sender"] != HOST  # our own broadcasts back; other parties' reveals
            or not isinstance(envelope["seq"], int)
            or not isinstance(envelope["body"], dict)
            or not isinstance(envelope["performative"], str)
        ):
            return None
        to = envelope["to"]
        # a request names the party asked in "to" but goes to everybody, for its events
        everybody = to is None or envelope["performative"] == "request"
        if topic != f"{self.base}/from/{HOST}/" + ("all" if everybody else f"to/{to}"):
            return None  # sender_topic_mismatch, wrong_topic
        if to not in {None, self.party} and not everybody:
            return None  # addressed to another party
        return envelope

    def fresh(self, envelope: Envelope) -> bool:
        """Whether the host signed it, for the run we joined (an ``open``: for any run), with
        a sequence number it has not used yet there."""
        if not signature_ok(self.host_key, envelope):
            say(f"dropped {envelope['message_id']!r}: the host's key does not sign it")
            return False
        session = envelope["session"]
        if not isinstance(session, str):
            return False
        if session != self.session and envelope["performative"] != "open":
            return False  # another run's (stale_session)
        if envelope["seq"] <= self.host_seq.get(session, -1):
            return False  # a redelivery, or a replay
        self.host_seq[session] = envelope["seq"]
        return True

    # the conversation

    def run(self) -> Envelope:
        self.subscriber.open()
        try:
            self.publisher.open()
            say(f"{self.party} in {self.negotiation} on {self.broker}, waiting for the host")
            result = self.negotiate()
            self.reveal(result)
        finally:
            self.publisher.close()
            self.subscriber.close()
            self.forget_session()  # after an error too: we are leaving for good either way
        return result

    def negotiate(self) -> Envelope:
        """Join, answer, and return the host's result."""
        began = last_heard = time.monotonic()
        last_join = 0.0
        while True:
            now = time.monotonic()
            if self.started is None:
                if self.session is None and now - began > self.open_timeout_s:
                    raise AgentError(
                        f"no host opened {self.negotiation} within {self.open_timeout_s:g} s "
                        "(is it running, on this broker, for this scenario and seed?)"
                    )
                if self.session is not None and now - last_join >= JOIN_EVERY_S:
                    self.publisher.publish(self.topic(HOST), self.join_payload)
                    last_join = now
            elif now - last_heard > self.silence_s:
                raise AgentError(f"the host has said nothing for {self.silence_s:g} s")
            try:
                topic, payload = self.subscriber.inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            envelope = self.admissible(topic, payload)
            if envelope is None or not self.fresh(envelope):
                continue
            last_heard = time.monotonic()
            if envelope["performative"] == "result":
                return envelope
            if self.take(envelope):
                last_join = 0.0  # a new open: join at once

    def take(self, envelope: Envelope) -> bool:
        """Act on one authentic host envelope; True when it was an open we now join. The
        events a host envelope to everybody carries come first: they happened before it."""
        performative, body = envelope["performative"], envelope["body"]
        self.on_events(body.get("events"))
        if performative == "open":
            return self.on_open(envelope)
        if performative == "start":
            self.on_start(body)
        elif performative == "request":
            self.on_request(envelope)
        elif performative == "notice":
            say(
                f"the host refused {body.get('refused')!r} in our name: "
                f"{body.get('reason')}: {body.get('detail')}"
            )
        return False

    def on_open(self, envelope: Envelope) -> bool:
        """Join under this open if it is the latest-sent one seen before start."""
        if self.started is not None or envelope["session"] == self.session:
            return False
        try:
            sent_ns = int(envelope["sent_ns"])
        except (TypeError, ValueError):
            return False
        if sent_ns <= self.open_sent_ns:
            return False  # sent before the one we joined under: a replay
        parties = envelope["body"].get("parties")
        if not isinstance(parties, list) or self.party not in parties:
            raise AgentError(
                f"the host opened {self.negotiation} for {parties}, and {self.party} is not one"
            )
        if self.session is not None:
            say(f"a later-sent open (session {envelope['session']}): joining under it")
        self.session, self.open_sent_ns = envelope["session"], sent_ns
        self.join_payload = self.envelope(
            "join", {"commitment": self.commitment, "will_nonce": self.will_nonce}
        )  # published again, byte for byte, every second until start
        return True

    def on_start(self, body: dict[str, Any]) -> None:
        if self.started is not None:
            return
        self.started = body
        try:
            self.strategy = Strategy(self.profile, parse_domain(body))
        except (AgentError, KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            self.broken = f"the profile does not fit the host's domain: {exc!r}"
            say(f"error: {self.broken}; every request will be answered with failure")
        turn = body.get("turn_timeout")
        turn_s = float(turn) if isinstance(turn, int | float) else 10.0
        parties = body.get("parties") or [self.party]
        self.silence_s = 30.0 + 2 * turn_s * len(parties)
        say(f"started: {body.get('mechanism')} among {parties}")
        if body.get("mechanism") != "saop":
            say(
                f"this agent plays saop; it will answer the requests of "
                f"{body.get('mechanism')} it does not know with failure"
            )

    def on_events(self, events: Any) -> None:
        """Keep the offers among the events a host envelope carries ({"round", "body"} each,
        in order); this strategy does not use them, -v shows them."""
        for entry in events if isinstance(events, list) else []:
            event = entry.get("body") if isinstance(entry, dict) else None
            if isinstance(event, dict) and event.get("event") == "offer":
                self.offers.append((entry.get("round"), event.get("party"), event.get("outcome")))
                self.trace(f"round {entry.get('round')}: {event.get('party')} offered")

    def on_request(self, envelope: Envelope) -> None:
        """Exactly one answer per request asking us (every party receives every request, for
        its events; one that asks another is not ours to answer): its round, in_reply_to its
        message id."""
        if self.started is None or envelope["to"] != self.party:
            return
        if envelope["message_id"] in self.answered:
            return
        self.answered.add(envelope["message_id"])
        try:
            performative, body = self.decide(envelope["body"])
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            # an offer this profile cannot value (an issue or label it lacks): still one answer
            performative, body = "failure", {"reason": "strategy_error", "detail": repr(exc)}
            say(f"error: cannot answer {envelope['message_id']}: {exc!r}")
        payload = self.envelope(
            performative,
            body,
            round_=envelope.get("round", 0),
            in_reply_to=envelope["message_id"],
        )
        self.publisher.publish(self.topic(HOST), payload)

    def decide(self, request: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        kind = request.get("kind")
        if self.strategy is None:
            return "failure", {"reason": "strategy_error", "detail": self.broken}
        if kind not in {"propose", "respond"}:
            return "failure", {
                "reason": "unsupported_request",
                "detail": f"this reference agent answers saop's propose and respond, not {kind!r}",
            }
        time_ = request.get("relative_time")
        t = float(time_) if isinstance(time_, int | float) else 0.0
        threshold = self.strategy.threshold(t)
        offer = request.get("offer")
        if kind == "respond" and isinstance(offer, dict):
            value = self.profile.utility(self.strategy.issues, offer)
            if value >= threshold:
                self.trace(f"t={t:.3f}: accept {offer} ({value:.3f} >= {threshold:.3f})")
                return "accept", {}
        outcome = self.strategy.offer(t)
        value = self.profile.utility(self.strategy.issues, outcome)
        self.trace(f"t={t:.3f}: offer {outcome} ({value:.3f}, threshold {threshold:.3f})")
        return "offer", {"outcome": outcome}

    def trace(self, message: str) -> None:
        if self.verbose:
            say(message)

    def reveal(self, result: Envelope) -> None:
        """Open the commitment: the profile (as committed to) and the salt, to everybody."""
        body = result["body"]
        say(f"result: {body.get('reason')}; agreement {body.get('agreement')}")
        payload = self.envelope(
            "reveal", {"profile": self.profile.data, "salt": self.salt.hex()}, to=None
        )
        info = self.publisher.publish(self.topic(None), payload)
        info.wait_for_publish(10)
        if not info.is_published():
            raise AgentError("the broker did not acknowledge the reveal within 10 s")

    def forget_session(self) -> None:
        """Reconnect once with clean_session so that the broker drops our persistent session
        (and its subscriptions); a clean DISCONNECT, so no will."""
        cleaner = Connection(self.broker, self.client_id, clean=True)
        try:
            cleaner.open()
        except AgentError as exc:
            say(f"could not clear the persistent session: {exc}")
        else:
            cleaner.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="A reference accord agent for one party (saop), from the protocol docs."
    )
    parser.add_argument("--broker", required=True, help="mqtt://[user:pass@]host:port")
    parser.add_argument("--negotiation", required=True, help="the negotiation id")
    parser.add_argument("--party", required=True, help="the party this agent speaks for")
    parser.add_argument("--key", required=True, type=Path, help="the party's PARTY.key")
    parser.add_argument("--host-key", required=True, type=Path, help="the host's host.pub")
    parser.add_argument(
        "--profile",
        required=True,
        type=Path,
        help="a JSON file: the party's profile, or a whole scenario as JSON",
    )
    parser.add_argument("--client-id", help="the MQTT client id (default: paho-NEGOTIATION-PARTY)")
    parser.add_argument(
        "--open-timeout", type=float, default=120.0, help="seconds to wait for the host's open"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="say what it does each turn")
    args = parser.parse_args(argv)
    for name in ("negotiation", "party"):
        if not IDENTIFIER.fullmatch(getattr(args, name)):
            parser.error(
                f"--{name} {getattr(args, name)!r} is not an identifier ({IDENTIFIER.pattern})"
            )
    try:
        agent = Agent(
            broker=Broker.parse(args.broker),
            negotiation=args.negotiation,
            party=args.party,
            key=SigningKey(read_base64_key(args.key, "private key")),
            host_key=VerifyKey(read_base64_key(args.host_key, "public key")),
            profile=Profile.load(args.profile, args.party),
            client_id=args.client_id or f"paho-{args.negotiation}-{args.party}",
            open_timeout_s=args.open_timeout,
            verbose=args.verbose,
        )
    except AgentError as exc:
        say(f"error: {exc}")
        return 2
    try:
        agent.run()
    except AgentError as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
