"""What an auditor reads: a run directory (or a log file), verified, with the preferences
needed to judge it.

Everything comes from the log: the domain (the host's signed ``start`` carries the issues'
definitions), the messages with the recorder's receive times, the result, and the profiles the
parties revealed after the result, each checked against the commitment it made when it joined.
For a simulation, where the scenario file is at hand, its profiles may stand in for reveals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import JsonValue, TypeAdapter, ValidationError

from accord.errors import InputError, LedgerError
from accord.ledger.commitment import Reveal, load_reveal
from accord.ledger.records import EnvelopeEntry
from accord.ledger.storage import read_records
from accord.ledger.verify import Verification, verify_log
from accord.model import DEFAULT_MAX_OUTCOMES, Issue, OutcomeSpace, Profile
from accord.scenarios import Scenario
from accord.wire import HOST, Envelope, Performative

__all__ = [
    "AuditError",
    "LoggedMessage",
    "Transcript",
    "find_log",
    "load_reveal",  # accord.ledger's, re-exported for auditors
    "load_transcript",
]

LOG_NAMES = ("log.jsonl", "log.sqlite")
_ISSUES: TypeAdapter[list[Issue]] = TypeAdapter(list[Issue])


class AuditError(LedgerError):
    """The log cannot be audited: it is invalid in a way that hides what the audit needs."""


@dataclass(frozen=True, slots=True)
class LoggedMessage:
    """One envelope as the recorder logged it."""

    index: int
    envelope: Envelope
    received_ns: int
    status: str
    """``ok``, or why the recorder refused it (``unsigned``, ``bad_signature``, ...) or the
    audit holds it to nobody (``stale_session``, ``stale_will``: of another run)."""


@dataclass
class Transcript:
    """A verified log and everything read from it."""

    log: Path
    verification: Verification
    negotiation_id: str
    messages: list[LoggedMessage]
    """Every envelope entry of the negotiation, in log order (refused ones included, with
    their status); those of its charters after the result are in ``charter_messages``."""
    start: dict[str, JsonValue]
    result: dict[str, JsonValue] | None
    """The body of the host's ``result``; ``None`` if the negotiation never ended."""
    parties: list[str]
    """In turn order, as the host announced them."""
    space: OutcomeSpace
    profiles: dict[str, Profile]
    profile_source: Literal["revealed", "scenario"]
    charter_messages: list[LoggedMessage] = dataclasses.field(default_factory=list)
    """Every envelope entry of a charter session (docs/lifecycle.md), in log order."""

    @property
    def accepted(self) -> list[LoggedMessage]:
        """The messages the recorder accepted as authentic."""
        return [m for m in self.messages if m.status == "ok"]


def find_log(path: Path) -> Path:
    """The log of a run directory, or ``path`` itself when it is a file."""
    if path.is_dir():
        for name in LOG_NAMES:
            if (path / name).is_file():
                return path / name
        raise InputError(f"{path}: no {' or '.join(LOG_NAMES)} in this directory")
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    return path


def load_transcript(
    path: Path, *, scenario: Scenario | None = None, reveals: Sequence[Reveal] = ()
) -> Transcript:
    """Read and verify the log at ``path`` (a run directory or a log file).

    Raises :class:`InputError` (bad input: no log, an unreadable one, missing profiles, a
    reveal file that does not open its commitment, a scenario that does not fit the log) or
    :class:`AuditError` (a log too damaged to audit)."""
    log = find_log(path)
    try:
        verification = verify_log(log, reveals=reveals)
        read = read_records(log)
    except LedgerError as exc:
        raise InputError(f"{log}: cannot read the log: {exc}") from None
    for problem in verification.problems:
        if problem.position is None:  # a reveal file given by the auditor
            raise InputError(f"{problem.message} (reveal file)")
    logged = _messages(read.records)
    charters = set(verification.charter_sessions)
    messages = _of_the_run(
        [m for m in logged if m.envelope.session not in charters], verification.session
    )
    start = _first(messages, Performative.START)
    if start is None or verification.negotiation_id is None:
        raise AuditError(f"{log}: the log has no genesis and start from the host; nothing to audit")
    result = _first(messages, Performative.RESULT)
    parties = [str(p) for p in _list(start.body.get("parties"))]
    space = _space(log, start.body, scenario)
    if scenario is not None:
        ids = [p.id for p in scenario.parties]
        if sorted(ids) != sorted(parties):
            raise InputError(
                f"the scenario's parties {ids!r} are not the log's parties {parties!r}"
            )
        profiles = {p.id: p.profile for p in scenario.parties}
        source: Literal["revealed", "scenario"] = "scenario"
    else:
        profiles = {p: r.profile for p, r in verification.revealed.items()}
        source = "revealed"
        _require_profiles(log, parties, profiles, verification)
    for party, profile in profiles.items():
        try:
            profile.bind(space)
        except ValueError as exc:
            raise InputError(f"the profile of {party!r} does not fit the domain: {exc}") from None
    return Transcript(
        log=log,
        verification=verification,
        negotiation_id=verification.negotiation_id,
        messages=messages,
        start=dict(start.body),
        result=dict(result.body) if result is not None else None,
        parties=parties,
        space=space,
        profiles={p: profiles[p] for p in parties},
        profile_source=source,
        charter_messages=[m for m in logged if m.envelope.session in charters],
    )


def _messages(records: list[tuple[int, bytes]]) -> list[LoggedMessage]:
    """Envelope entries that parse; the verification names any that do not."""
    out = []
    for _, raw in records:
        if b'"type":"envelope"' not in raw:
            continue
        try:
            entry = EnvelopeEntry.model_validate_json(raw)
        except ValidationError:
            continue
        out.append(LoggedMessage(entry.index, entry.envelope, int(entry.received_ns), entry.status))
    return out


def _of_the_run(messages: list[LoggedMessage], session: str | None) -> list[LoggedMessage]:
    """``messages`` with every authentic (or conflicting) envelope of another session than
    the run's marked ``stale_session``, and every last will but the one the party's join of
    the run named marked ``stale_will``: replays of an earlier run, which anyone could have
    sent."""
    wills = {
        m.envelope.sender: m.envelope.body.get("will_nonce")
        for m in messages
        if m.status == "ok"
        and m.envelope.performative is Performative.JOIN
        and m.envelope.session == session
    }
    out = []
    for m in messages:
        envelope, status = m.envelope, m.status
        if status == "ok" and envelope.performative is Performative.LOST:
            nonce = wills.get(envelope.sender)
            if nonce is None or envelope.body.get("nonce") != nonce:
                status = "stale_will"
        elif status in {"ok", "conflict"} and envelope.session != session:
            # another run's: even two envelopes a party did sign under one sequence number
            # there (fooled into joining a replayed open, then its earlier join replayed)
            # are nothing of this run
            status = "stale_session"
        out.append(m if status == m.status else dataclasses.replace(m, status=status))
    return out


def _first(messages: list[LoggedMessage], performative: Performative) -> Envelope | None:
    for m in messages:
        e = m.envelope
        if m.status == "ok" and e.sender == HOST and e.performative is performative:
            return e
    return None


def _list(value: JsonValue) -> list[JsonValue]:
    return value if isinstance(value, list) else []


def _space(log: Path, start: dict[str, JsonValue], scenario: Scenario | None) -> OutcomeSpace:
    domain = start.get("domain")
    if domain is None:
        if scenario is None:
            raise InputError(
                f"{log}: the host's start does not define the domain (a log from an older "
                "accord); pass --scenario"
            )
        return scenario.outcome_space()
    try:
        issues = _ISSUES.validate_python(domain)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise AuditError(f"{log}: the domain in the host's start is invalid at {where}") from None
    names = [str(n) for n in _list(start.get("issues"))]
    if names and names != [i.name for i in issues]:
        raise AuditError(f"{log}: the host's start names issues {names!r} but defines others")
    return OutcomeSpace(
        issues, max_outcomes=scenario.max_outcomes if scenario else DEFAULT_MAX_OUTCOMES
    )


def _require_profiles(
    log: Path, parties: list[str], profiles: dict[str, Profile], verification: Verification
) -> None:
    missing = [p for p in parties if p not in profiles]
    if not missing:
        return
    party = missing[0]
    for problem in verification.problems:
        if f"revealed by {party!r}" in problem.message:
            raise AuditError(f"{log}: {problem}; the audit cannot use that profile")
    for problem in verification.problems:
        if problem.position is not None:  # the log itself is at fault, not the auditor's input
            raise AuditError(f"{log}: the log is invalid: {problem}; it cannot be audited")
    raise InputError(
        f"{log}: party {party!r} did not reveal its profile"
        + (" (it committed to one)" if party in verification.commitments else "")
        + "; pass --reveal FILE with its reveal, or --scenario for a simulation"
    )
