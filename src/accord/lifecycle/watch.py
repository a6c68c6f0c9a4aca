"""Monitoring a charter as its keeper: the monitor and the recorder together, resumed on the
negotiation's log, for as long as the keeper keeps watch (``accord monitor``).

What the monitor held is rebuilt from the log first (:meth:`Monitor.restore`): a keeper may
stop and start again months apart without raising an alert twice or losing a report it had.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from nacl.signing import SigningKey

from accord.broker import Bus
from accord.ledger.records import EnvelopeEntry
from accord.ledger.resume import resume_recorder
from accord.ledger.signing import signer_for
from accord.lifecycle.charter import Charter
from accord.lifecycle.monitor import Monitor, Verdict
from accord.lifecycle.phase import recording
from accord.wire import Envelope

__all__ = ["keep_watch"]


async def keep_watch(
    bus: Bus,
    charter: Charter,
    *,
    keeper: SigningKey,
    recorder: SigningKey,
    log_path: Path,
    stop: asyncio.Event,
    now: Callable[[], int] = time.time_ns,
    seen: Callable[[Envelope, Verdict], None] | None = None,
) -> Monitor:
    """Watch ``charter`` over ``bus`` until ``stop`` is set: check every report, publish the
    alerts signed with ``keeper``, and append all of it to the log at ``log_path`` with the
    ``recorder`` key. The parties' keys are those of the log's genesis. Returns the monitor."""
    resumed = resume_recorder(log_path, recorder)
    monitor = Monitor(charter, keys=dict(resumed.verifier.keys), signer=signer_for(keeper), now=now)
    logged = []
    for line in resumed.lines:
        if line.startswith(b'{"envelope":'):
            entry = EnvelopeEntry.model_validate_json(line)
            if entry.status == "ok":
                logged.append(entry.envelope)
    monitor.restore(logged)
    async with recording(bus, resumed):
        await monitor.watch(bus, stop=stop, seen=seen)
    return monitor
