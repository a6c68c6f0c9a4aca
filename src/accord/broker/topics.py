"""The MQTT topic layout of wire protocol version 1 (see ``docs/protocol.md``).

    accord/v1/<negotiation>/to/<participant>   envelopes for one participant
    accord/v1/<negotiation>/all                envelopes for everybody in the negotiation
    accord/v1/<negotiation>/#                  what an observer (the recorder) reads

Every envelope is published once, on the topic its ``to`` field selects; all metadata is in
the JSON payload, so the layout works on MQTT 3.1.1.
"""

from __future__ import annotations

from accord.wire import Envelope

__all__ = ["PREFIX", "broadcast_topic", "direct_topic", "negotiation_filter", "topic_for"]

PREFIX = "accord/v1"


def direct_topic(negotiation_id: str, participant: str) -> str:
    return f"{PREFIX}/{negotiation_id}/to/{participant}"


def broadcast_topic(negotiation_id: str) -> str:
    return f"{PREFIX}/{negotiation_id}/all"


def negotiation_filter(negotiation_id: str) -> str:
    return f"{PREFIX}/{negotiation_id}/#"


def topic_for(envelope: Envelope) -> str:
    if envelope.to is None:
        return broadcast_topic(envelope.negotiation_id)
    return direct_topic(envelope.negotiation_id, envelope.to)
