"""Transports: the ``Bus`` protocol and its implementations."""

from accord.broker.bus import Bus, Inbox
from accord.broker.memory import MemoryBus, QueueInbox

__all__ = ["Bus", "Inbox", "MemoryBus", "QueueInbox"]
