"""What a negotiation produced: the result (``result.json``) and the transcript."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from accord.analysis.metrics import OutcomeMetrics
from accord.model import Value
from accord.wire import Envelope

__all__ = [
    "NegotiationResult",
    "NoiseRecord",
    "PartyOutcome",
    "ViolationRecord",
    "atomic_write",
    "write_outputs",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PartyOutcome(_Model):
    """One party's standing at the end. Without agreement, or when the agreement does not
    bind it, a party gets its reservation value, so ``utility`` is what it ended up with."""

    id: str
    organisation: str
    strategy: str
    utility: float
    """Undiscounted utility of the agreement, or the reservation value without one."""
    discounted_utility: float
    """``utility`` discounted to the relative time at which the negotiation ended."""
    reservation: float
    gain: float
    """``utility - reservation``: what the negotiation was worth to the party."""
    bound: bool = True
    """Whether the outcome binds the party. A mechanism may leave parties out of the final
    terms (contract net: bidders not awarded); they keep their reservation value."""


class ViolationRecord(_Model):
    party: str
    kind: str
    detail: str
    message_id: str | None = None


class NoiseRecord(_Model):
    """An envelope the host refused without holding it against anyone."""

    claimed_sender: str
    reason: str
    """``unsigned``, ``bad_signature`` or ``replay``."""
    message_id: str


class NegotiationResult(_Model):
    """The summary of one negotiation, as written to ``result.json``."""

    scenario: str
    negotiation_id: str
    seed: int
    mechanism: str
    agreement: bool
    outcome: dict[str, Value] | None
    reason: str
    """Why it ended: ``agreement``, ``deadline``, ``ended_by_party``, ``protocol_violation``,
    ``turn_timeout``, ``strategy_error``, ``party_lost`` or ``no_agreement``."""
    responsible: str | None
    """The party that ended it, violated the protocol, timed out or failed; else ``None``."""
    detail: str
    rounds: int
    relative_time: float
    messages: int
    wall_time_s: float
    parties: list[PartyOutcome]
    violations: list[ViolationRecord]
    """Breaches of the protocol by what a party signed (never by what others sent in its
    name: that is ``noise``)."""
    noise: list[NoiseRecord] = []
    """Envelopes that claimed a party's name but were not its own (unsigned, badly signed,
    replayed), at most :data:`~accord.protocols.session.MAX_NOISE_KEPT`; nobody's fault."""
    noise_count: int = 0
    """All such envelopes, and every payload the transport refused before it was an
    envelope (not JSON, too big, not canonicalisable, another negotiation's, ...)."""
    metrics: OutcomeMetrics | None = None
    """Outcome metrics (:mod:`accord.analysis.metrics`): rationality, Pareto optimality and
    distance, distances to the Nash, Kalai-Smorodinsky and egalitarian points, welfare share,
    inequality of gains. ``accord run`` fills them in; ``None`` when not computed."""


def write_outputs(
    out_dir: str | Path,
    result: NegotiationResult,
    transcript: Sequence[Envelope],
    log: Path | None = None,
) -> None:
    """Write ``transcript.jsonl`` then ``result.json`` into ``out_dir``, each atomically
    (written to a temporary file in the same directory, then renamed), so that a crash never
    leaves a half-written file that looks like a result. A finished ``log`` file is moved in
    first, under its own name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if log is not None:
        os.replace(log, out / log.name)
    lines = "".join(envelope.model_dump_json() + "\n" for envelope in transcript)
    atomic_write(out / "transcript.jsonl", lines)
    atomic_write(out / "result.json", result.model_dump_json(indent=2) + "\n")


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a result is an ordinary file
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
