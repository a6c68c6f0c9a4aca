"""The MQTT bus: the same envelopes as the memory bus, over any MQTT 3.1.1 broker.

The only module that imports ``aiomqtt``. Every subscription is its own MQTT connection (a
participant in another process would have one too) with QoS 1, ``TCP_NODELAY`` (without it a
QoS 1 round trip costs ~88 ms of Nagle and delayed ACKs) and a persistent session
(``clean_session=False``), so a reconnecting participant gets what was queued for it.
Envelopes are JSON, at most :data:`MAX_PAYLOAD` bytes; a payload that is too big, is not
JSON, does not fit the envelope schema or belongs to another negotiation is dropped and
logged; a redelivered envelope (the same bytes again) is dropped, so the session above sees
each envelope once and can treat an old sequence number as a replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import ssl
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Self
from urllib.parse import unquote, urlsplit

import aiomqtt
import structlog
from pydantic import ValidationError

from accord.broker.memory import QueueInbox
from accord.broker.topics import inbox_filters, negotiation_filter, sender_of, topic_for
from accord.errors import BusError, InputError
from accord.wire import Envelope

__all__ = ["MAX_PAYLOAD", "BrokerAddress", "MqttBus"]

log = structlog.get_logger("accord.mqtt")

MAX_PAYLOAD = 64 * 1024
"""Largest envelope accepted, in bytes of JSON."""

NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where a broker is and how to log in: ``mqtt://[user:pass@]host:port`` or ``mqtts://``."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    @classmethod
    def parse(
        cls,
        url: str,
        *,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
    ) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in {"mqtt", "mqtts"} or not parts.hostname:
            raise InputError(f"a broker URL looks like mqtt://[user:pass@]host:port, got {url!r}")
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError:
            raise InputError(f"the port of {url!r} is not a number") from None
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
            ca_file=ca_file,
            cert_file=cert_file,
            key_file=key_file,
        )

    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"

    def client(self, identifier: str, *, clean: bool) -> aiomqtt.Client:
        tls_context = None
        if self.tls:
            tls_context = ssl.create_default_context(cafile=self.ca_file)
            if self.cert_file:
                tls_context.load_cert_chain(self.cert_file, self.key_file)
        return aiomqtt.Client(
            self.host,
            self.port,
            identifier=identifier,
            username=self.username,
            password=self.password,
            clean_session=clean,
            keepalive=10,
            socket_options=NODELAY,
            tls_context=tls_context,
            max_queued_outgoing_messages=0,
        )


class MqttBus:
    """A :class:`~accord.broker.Bus` over MQTT; use as an async context manager."""

    def __init__(self, address: BrokerAddress, *, client_prefix: str | None = None) -> None:
        self.address = address
        self.prefix = client_prefix or f"accord-{uuid.uuid4().hex[:8]}"
        self._publisher: aiomqtt.Client | None = None
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> Self:
        client = self.address.client(f"{self.prefix}-pub", clean=True)
        try:
            self._publisher = await self._stack.enter_async_context(client)
        except aiomqtt.MqttError as exc:
            raise BusError(f"cannot connect to the broker at {self.address.url()}: {exc}") from None
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def publish(self, envelope: Envelope) -> None:
        if self._publisher is None:
            raise BusError("use the MQTT bus as an async context manager first")
        payload = envelope.model_dump_json().encode()
        if len(payload) > MAX_PAYLOAD:
            raise BusError(
                f"envelope {envelope.message_id!r} is {len(payload)} bytes, over {MAX_PAYLOAD}"
            )
        await self._publisher.publish(topic_for(envelope), payload, qos=1)

    @asynccontextmanager
    async def subscribe(self, negotiation_id: str, participant: str) -> AsyncIterator[QueueInbox]:
        topics = inbox_filters(negotiation_id, participant)
        async with self._reading(negotiation_id, participant, topics) as inbox:
            yield inbox

    @asynccontextmanager
    async def observe(self, negotiation_id: str) -> AsyncIterator[QueueInbox]:
        async with self._reading(
            negotiation_id, None, [negotiation_filter(negotiation_id)]
        ) as inbox:
            yield inbox

    @asynccontextmanager
    async def _reading(
        self, negotiation_id: str, participant: str | None, topics: list[str]
    ) -> AsyncIterator[QueueInbox]:
        name = participant or "observer"
        identifier = f"{self.prefix}-{negotiation_id}-{name}"[:120]
        inbox = QueueInbox()
        try:
            async with self.address.client(identifier, clean=False) as client:
                for topic in topics:
                    await client.subscribe(topic, qos=1)
                reader = asyncio.create_task(
                    _read(client, inbox, negotiation_id, participant), name=f"mqtt-{name}"
                )
                try:
                    yield inbox
                finally:
                    reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await reader
            # an orderly goodbye: connect once more with a clean session so that the broker
            # forgets this one (MQTT 3.1.1 sessions never expire on their own)
            async with self.address.client(identifier, clean=True):
                pass
        except aiomqtt.MqttError as exc:
            raise BusError(f"lost the broker at {self.address.url()}: {exc}") from None


async def _read(
    client: aiomqtt.Client, inbox: QueueInbox, negotiation_id: str, participant: str | None
) -> None:
    seen: set[bytes] = set()
    async for message in client.messages:
        payload = message.payload
        if not isinstance(payload, bytes | bytearray) or len(payload) > MAX_PAYLOAD:
            log.warning("oversized_message_dropped", topic=str(message.topic))
            continue
        try:
            envelope = Envelope.model_validate_json(payload)
        except ValidationError as exc:
            log.warning("malformed_message_dropped", topic=str(message.topic), error=str(exc)[:300])
            continue
        if envelope.negotiation_id != negotiation_id:
            log.warning("foreign_message_dropped", topic=str(message.topic))
            continue
        if sender_of(str(message.topic)) != envelope.sender:
            log.warning(
                "sender_topic_mismatch_dropped",
                topic=str(message.topic),
                sender=envelope.sender,
            )
            continue
        if participant is not None and envelope.sender == participant:
            continue  # our own broadcast, echoed by the broker
        # a redelivery is the same bytes again; keying on (sender, seq) instead would let a
        # forger who guesses the next sequence number suppress the real envelope
        key = hashlib.sha256(payload).digest()
        if key in seen:
            log.info("redelivery_dropped", message_id=envelope.message_id)
            continue
        seen.add(key)
        inbox.put(envelope)
