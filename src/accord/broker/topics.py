"""The MQTT topic layout of wire protocol version 1 (see ``docs/protocol.md``).

    accord/v1/<negotiation>/from/<sender>/to/<recipient>   for one participant
    accord/v1/<negotiation>/from/<sender>/all              for everybody in the negotiation
    accord/v1/<negotiation>/#                              what an observer (the recorder) reads

Every envelope is published once, under its sender, on the topic its ``to`` field selects,
except a ``request``: it names the party asked in ``to`` but goes to everybody (``all``), since
it carries the host's events to every party (:mod:`accord.wire.events`). All metadata is in
the JSON payload, so the layout works on MQTT 3.1.1. Because the sender is
a topic level, a broker ACL can let each party publish only under its own name
(``accord broker-config``), and a receiver drops an envelope whose ``sender`` is not the one
in its topic.
"""

from __future__ import annotations

from collections.abc import Collection

from accord.wire import Envelope, Performative

__all__ = [
    "PREFIX",
    "across_negotiations",
    "inbox_filters",
    "negotiation_filter",
    "sender_of",
    "topic_for",
]

PREFIX = "accord/v1"


def topic_for(envelope: Envelope) -> str:
    base = f"{PREFIX}/{envelope.negotiation_id}/from/{envelope.sender}"
    if envelope.to is None or envelope.performative is Performative.REQUEST:
        return f"{base}/all"
    return f"{base}/to/{envelope.to}"


def inbox_filters(
    negotiation_id: str, participant: str, senders: Collection[str] | None = None
) -> list[str]:
    """What ``participant`` subscribes to: what is sent to it, and every broadcast (only
    those of ``senders``, if given: the host names the parties, and the broker then does not
    send its own broadcasts, a request each turn, back to it)."""
    base = f"{PREFIX}/{negotiation_id}/from"
    if senders is None:
        return [f"{base}/+/to/{participant}", f"{base}/+/all"]
    others = [sender for sender in senders if sender != participant]
    return [f"{base}/+/to/{participant}", *(f"{base}/{sender}/all" for sender in others)]


def across_negotiations(sender: str, to: str | None) -> str:
    """The filter of what ``sender`` (``+``: anyone) sends to ``to`` (``None``: to all) in
    every negotiation; for noticing traffic of another negotiation than one's own."""
    return f"{PREFIX}/+/from/{sender}/" + ("all" if to is None else f"to/{to}")


def negotiation_filter(negotiation_id: str) -> str:
    return f"{PREFIX}/{negotiation_id}/#"


def sender_of(topic: str) -> str | None:
    """The sender level of a protocol topic, or ``None`` if ``topic`` is not one."""
    levels = topic.split("/")
    if len(levels) >= 6 and "/".join(levels[:2]) == PREFIX and levels[3] == "from":
        return levels[4]
    return None
