"""The MQTT bus: the same envelopes as the memory bus, over any MQTT 3.1.1 broker.

The only module that imports ``aiomqtt``. Every subscription is its own MQTT connection (a
participant in another process would have one too) with QoS 1, ``TCP_NODELAY`` (without it a
QoS 1 round trip costs ~88 ms of Nagle and delayed ACKs) and a persistent session
(``clean_session=False``), so a reconnecting participant gets what was queued for it.
Envelopes are JSON, at most :data:`MAX_PAYLOAD` bytes; every payload passes
:func:`~accord.broker.admission.admit` before anything else sees it, and what it refuses is
dropped and counted in :attr:`MqttBus.noise`; a redelivered envelope
(the same bytes again) is dropped, so the session above sees each envelope once and can
treat an old sequence number as a replay.

A *local* observer (``observe(..., local=True)``, the host's transcript and log) has no
connection of its own: it is handed every envelope this bus publishes, as it is published, and
every envelope its subscriptions accept, once each (the same bytes are one envelope). For the
host that is every envelope of the protocol (parties send to the host or to all) at half the
host's MQTT traffic: an observer subscription would receive every envelope a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import ssl
import uuid
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Self
from urllib.parse import unquote, urlsplit

import aiomqtt

from accord.broker.admission import MAX_PAYLOAD, NoiseCounter, Refusal, admit
from accord.broker.memory import QueueInbox
from accord.broker.resend import Resender
from accord.broker.topics import inbox_filters, negotiation_filter, sender_of, topic_for
from accord.errors import BusError, InputError
from accord.logs import get_logger
from accord.wire import Envelope

__all__ = ["MAX_PAYLOAD", "BrokerAddress", "MqttBus"]

log = get_logger("accord.mqtt")

NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]

KEEPALIVE_S = 10
"""MQTT keepalive: a broker notices a silent connection within 1.5 times this and then
publishes its last will (a closed socket, as when a process dies, it notices at once)."""
PUBACK_TIMEOUT_S = 2.0
"""How long a publish waits for the broker's PUBACK, on a connection that stays up, before it
reconnects and publishes again (receivers drop the byte-identical repeat). A connection that
drops ends the wait at once (:func:`_publish`). Well below a turn's timeout (10 s by
default, 5 s in the runs the broker faults were found with), so that a stalled broker costs
a turn a reconnection, not the turn; at 1,000 concurrent negotiations on one broker a whole
turn took 1.5 s at the 99th percentile (``bench/bench_scale.py``)."""
RECONNECT_FIRST_S = 0.1
RECONNECT_MAX_S = 2.0
RECONNECT_GIVE_UP_S = 60.0
"""A publish keeps retrying (with backoff) this long before it gives up."""
STRAY_WATCH_S = 60.0
"""How long :meth:`MqttBus.watching_for_strays` watches at most (the start-up, when a wrong
``--seed`` shows)."""
MAX_STRAYS_REPORTED = 20
"""Other negotiation ids a watcher reports before it stops (a busy broker has many)."""


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

    def client(
        self, identifier: str, *, clean: bool, will: aiomqtt.Will | None = None
    ) -> aiomqtt.Client:
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
            keepalive=KEEPALIVE_S,
            will=will,
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
        self._local: dict[str, _LocalObservers] = {}
        self._links: set[_Link] = set()
        self.resender = Resender(self._send, self._all_subscribed)
        """Publishes again what a lost connection may have lost (:mod:`accord.broker.resend`)."""
        self.noise = NoiseCounter()
        """Payloads every subscription of this bus refused, by reason."""

    async def __aenter__(self) -> Self:
        client = self.address.client(f"{self.prefix}-pub", clean=True)
        try:
            self._publisher = await self._stack.enter_async_context(client)
        except aiomqtt.MqttError as exc:
            raise BusError(f"cannot connect to the broker at {self.address.url()}: {exc}") from None
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.resender.close()
        await self._stack.aclose()

    async def publish(self, envelope: Envelope) -> None:
        payload = envelope.model_dump_json().encode()
        if len(payload) > MAX_PAYLOAD:
            raise BusError(
                f"envelope {envelope.message_id!r} is {len(payload)} bytes, over {MAX_PAYLOAD}"
            )
        if (local := self._local.get(envelope.negotiation_id)) is not None:
            local.put(envelope, payload)  # before sending: no answer can be seen before it
        topic = topic_for(envelope)
        self.resender.published(topic, payload)
        await self._send(topic, payload)

    async def _send(self, topic: str, payload: bytes) -> None:
        """Publish until the broker takes it, reconnecting with backoff."""
        if self._publisher is None:
            raise BusError("use the MQTT bus as an async context manager first")
        delay = RECONNECT_FIRST_S
        deadline = asyncio.get_running_loop().time() + RECONNECT_GIVE_UP_S
        while True:
            try:
                await _publish(self._publisher, topic, payload)
            except aiomqtt.MqttError as exc:
                self.resender.lost()
                if asyncio.get_running_loop().time() > deadline:
                    raise BusError(
                        f"cannot publish to the broker at {self.address.url()}: {exc}"
                    ) from None
                log.warning("publish_failed_reconnecting", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
                await self._reconnect_publisher()
            else:
                return

    async def _all_subscribed(self) -> None:
        """Return once every subscription of this bus is subscribed (again)."""
        for link in list(self._links):
            await link.up.wait()  # a link that stops is set too

    async def _reconnect_publisher(self) -> None:
        """A new publisher connection (the broker went away and, we hope, came back)."""
        with contextlib.suppress(aiomqtt.MqttError):
            await self._stack.aclose()
        self._stack = contextlib.AsyncExitStack()
        client = self.address.client(f"{self.prefix}-pub", clean=True)
        with contextlib.suppress(aiomqtt.MqttError):
            self._publisher = await self._stack.enter_async_context(client)

    @asynccontextmanager
    async def subscribe(
        self,
        negotiation_id: str,
        participant: str,
        *,
        will: Envelope | None = None,
        senders: Collection[str] | None = None,
    ) -> AsyncIterator[QueueInbox]:
        """The participant's inbox; ``will`` becomes the MQTT last will of its connection (the
        broker publishes it if the connection ends without a DISCONNECT); with ``senders``,
        only their broadcasts (one filter each)."""
        topics = inbox_filters(negotiation_id, participant, senders)
        async with self._reading(negotiation_id, participant, topics, will=will) as inbox:
            yield inbox

    @asynccontextmanager
    async def watching_for_strays(
        self,
        negotiation_id: str,
        topic_filter: str,
        *,
        for_s: float = STRAY_WATCH_S,
        also: str | None = None,
    ) -> AsyncIterator[None]:
        """While the block runs (at most ``for_s`` seconds), log once per negotiation id the
        traffic on ``topic_filter`` (a filter with ``+`` for the negotiation) that belongs to
        another negotiation than ``negotiation_id`` (or ``also``, a negotiation the
        participant expects traffic of too: the one a renegotiation amends the charter of): a
        participant started with another scenario or ``--seed`` serves another id, and would
        otherwise wait in silence. Only topics are read, never payloads; a broker ACL may hide
        other negotiations entirely."""
        expected = {negotiation_id} if also is None else {negotiation_id, also}
        watcher = asyncio.create_task(self._watch(negotiation_id, expected, topic_filter, for_s))
        try:
            yield
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async def _watch(
        self, negotiation_id: str, expected: set[str], topic_filter: str, for_s: float
    ) -> None:
        reported: set[str] = set()
        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
            async with (
                asyncio.timeout(for_s),
                self.address.client(
                    f"{self.prefix}-strays-{uuid.uuid4().hex[:6]}", clean=True
                ) as client,
            ):
                await client.subscribe(topic_filter, qos=0)
                async for message in client.messages:
                    other = str(message.topic).split("/")[2][:64]
                    if other in expected or other in reported:
                        continue
                    reported.add(other)
                    log.warning(
                        "traffic_for_another_negotiation",
                        seen=other,
                        serving=negotiation_id,
                        topic=str(message.topic)[:200],
                        hint="started with another scenario or --seed?",
                    )
                    if len(reported) >= MAX_STRAYS_REPORTED:
                        return

    @asynccontextmanager
    async def observe(
        self, negotiation_id: str, *, local: bool = False
    ) -> AsyncIterator[QueueInbox]:
        if local:
            async with self._observing_locally(negotiation_id) as inbox:
                yield inbox
        else:
            async with self._reading(
                negotiation_id, None, [negotiation_filter(negotiation_id)]
            ) as inbox:
                yield inbox

    @asynccontextmanager
    async def _observing_locally(self, negotiation_id: str) -> AsyncIterator[QueueInbox]:
        """A local observer: fed by :meth:`publish` and by this bus's subscriptions."""
        observers = self._local.setdefault(negotiation_id, _LocalObservers())
        inbox = QueueInbox()
        observers.inboxes.append(inbox)
        try:
            yield inbox
        finally:
            observers.inboxes.remove(inbox)
            if not observers.inboxes:
                del self._local[negotiation_id]

    @asynccontextmanager
    async def _reading(
        self,
        negotiation_id: str,
        participant: str | None,
        topics: list[str],
        *,
        will: Envelope | None = None,
    ) -> AsyncIterator[QueueInbox]:
        name = participant or "observer"
        identifier = f"{self.prefix}-{negotiation_id}-{name}"[:120]
        inbox = QueueInbox()
        link = _Link(identifier, topics, inbox, negotiation_id, participant, self.noise)
        if participant is not None:
            link.local = self._local
        if will is not None:
            link.will = aiomqtt.Will(topic_for(will), will.model_dump_json().encode(), qos=1)
        pump = asyncio.create_task(self._pump(link), name=f"mqtt-{name}")
        try:
            await asyncio.shield(link.subscribed)
        except BaseException:
            pump.cancel()
            raise
        self._links.add(link)
        try:
            yield inbox
        finally:
            self._links.discard(link)
            link.up.set()  # nobody waits for a link that stopped
            link.stop.set()  # leave the client context normally: a clean disconnect
            with contextlib.suppress(TimeoutError):  # a broker that does not answer
                await asyncio.wait_for(pump, RECONNECT_MAX_S)
        # an orderly goodbye: connect once more with a clean session so that the broker
        # forgets this one (MQTT 3.1.1 sessions never expire on their own)
        with contextlib.suppress(aiomqtt.MqttError):
            async with self.address.client(identifier, clean=True):
                pass

    async def _pump(self, link: _Link) -> None:
        """Keep one subscription alive: connect with a persistent session, subscribe, read;
        when the broker goes away, reconnect with backoff (it delivers what it queued for
        the session meanwhile). The first connection failing is an error for the caller."""
        delay = RECONNECT_FIRST_S
        while not link.stop.is_set():
            try:
                async with self.address.client(
                    link.identifier, clean=False, will=link.will
                ) as client:
                    for topic in link.topics:
                        await client.subscribe(topic, qos=1)
                    if not link.subscribed.done():
                        link.subscribed.set_result(None)
                    link.up.set()
                    delay = RECONNECT_FIRST_S
                    await link.read_until_stopped(client)
            except aiomqtt.MqttError as exc:
                link.up.clear()
                if not link.subscribed.done():
                    link.subscribed.set_exception(
                        BusError(f"cannot connect to the broker at {self.address.url()}: {exc}")
                    )
                    return
                self.resender.lost()
                log.warning(
                    "subscription_lost_reconnecting", client=link.identifier, retry_in=delay
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(link.stop.wait(), delay)
                delay = min(delay * 2, RECONNECT_MAX_S)


async def _publish(client: aiomqtt.Client, topic: str, payload: bytes) -> None:
    """Publish at QoS 1 and wait for the PUBACK, but raise ``MqttError`` as soon as the
    connection is lost: aiomqtt would wait out the whole timeout for an acknowledgement that
    a dead broker never sends (measured: 5 s, which ended turns of 5 s with ``turn_timeout``)."""
    lost = client._disconnected  # private, but aiomqtt's own message iterator waits on it too
    if lost.done():
        _retrieve(lost)
        raise aiomqtt.MqttError("the connection to the broker is lost")
    loop = asyncio.get_running_loop()
    waiting = asyncio.timeout(None)

    def stop_waiting(done: asyncio.Future[None]) -> None:
        _retrieve(done)
        waiting.reschedule(loop.time())

    lost.add_done_callback(stop_waiting)
    try:
        async with waiting:
            await client.publish(topic, payload, qos=1, timeout=PUBACK_TIMEOUT_S)
    except TimeoutError:
        if not waiting.expired():
            raise
        raise aiomqtt.MqttError("the connection to the broker was lost before its PUBACK") from None
    finally:
        lost.remove_done_callback(stop_waiting)


def _retrieve(future: asyncio.Future[None]) -> None:
    """Mark the exception of a done ``future`` as seen (the bus reconnects; nobody else
    would, and asyncio would log "Future exception was never retrieved")."""
    if not future.cancelled():
        future.exception()


@dataclass
class _LocalObservers:
    """The local observers of one negotiation, and what they have been handed."""

    inboxes: list[QueueInbox] = field(default_factory=list)
    seen: set[bytes] = field(default_factory=set)

    def put(self, envelope: Envelope, payload: bytes, key: bytes | None = None) -> None:
        key = hashlib.sha256(payload).digest() if key is None else key
        if key in self.seen:
            return
        self.seen.add(key)
        for inbox in self.inboxes:
            inbox.put(envelope)


@dataclass(eq=False)  # one per subscription, kept in a set
class _Link:
    """One subscription's state across reconnections."""

    identifier: str
    topics: list[str]
    inbox: QueueInbox
    negotiation_id: str
    participant: str | None
    noise: NoiseCounter
    seen: set[bytes] = field(default_factory=set)
    will: aiomqtt.Will | None = None
    local: dict[str, _LocalObservers] = field(default_factory=dict)
    """The bus's local observers by negotiation (a participant's link feeds them)."""
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    up: asyncio.Event = field(default_factory=asyncio.Event)
    """Set while the link is subscribed."""
    subscribed: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    async def read_until_stopped(self, client: aiomqtt.Client) -> None:
        """Read until told to stop (then return, so the client disconnects cleanly) or until
        the connection fails (then raise its error)."""
        reader = asyncio.create_task(_read(client, self))
        stopper = asyncio.create_task(self.stop.wait())
        await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not reader.done():
            reader.cancel()
        results = await asyncio.gather(reader, stopper, return_exceptions=True)
        if isinstance(results[0], aiomqtt.MqttError):
            raise results[0]


async def _read(client: aiomqtt.Client, link: _Link) -> None:
    inbox, negotiation_id, participant = link.inbox, link.negotiation_id, link.participant
    seen = link.seen
    async for message in client.messages:
        topic = str(message.topic)
        sender = sender_of(topic)
        if participant is not None and sender == participant:
            continue  # our own broadcast, echoed by the broker: not worth parsing
        envelope = admit(message.payload, topic=topic, negotiation_id=negotiation_id)
        if isinstance(envelope, Refusal):
            link.noise.count(envelope, negotiation_id=negotiation_id, topic=topic)
            continue
        payload = message.payload
        # a redelivery is the same bytes again; keying on (sender, seq) instead would let a
        # forger who guesses the next sequence number suppress the real envelope
        key = hashlib.sha256(payload).digest()
        if key in seen:
            log.info("redelivery_dropped", message_id=envelope.message_id)
            continue
        seen.add(key)
        if (local := link.local.get(negotiation_id)) is not None:
            local.put(envelope, payload, key)
        inbox.put(envelope)
