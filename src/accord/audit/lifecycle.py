"""The audit of a partnership over time: every charter version in a log, who reported what,
the alerts and how breaches were handled, the KPI trajectories, and each renegotiation.

The auditor trusts nobody here either. It reads the charters from the keeper's signed
``sign`` envelopes and the parties' answers from their own signed envelopes, and it checks
every report again with a monitor of its own (:class:`~accord.lifecycle.Monitor`, with the
parties' keys from the log's genesis): an alert of the keeper that the log does not support,
or one the log calls for that the keeper never raised, is named. Two rules depend on the
keeper's clock, which may be simulated: a report refused as too ``early`` and an ``overdue``
alert are checked against the time the alert itself states (``as_of_ns``, signed) and the
reports logged before it.

A renegotiation's own log is looked for in the folders beside the charter's log (one holding
a log whose negotiation id is the revision's); when it is there and its last checkpoint is
the one the amended charter names, it is audited too. Its outcome is fair *relative to the
new situation* when no party is worse off than under the terms in force (each party's
reservation value there is at least its utility of them, by the update rule; checked with
the profile it revealed) and the audit of that log holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from nacl.signing import VerifyKey
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from accord.audit.transcript import LOG_NAMES, LoggedMessage, Transcript
from accord.errors import AccordError
from accord.ledger.keys import decode_public_key
from accord.ledger.records import RECORDER, Genesis, last_checkpoint
from accord.ledger.signing import Verifier
from accord.ledger.storage import read_records
from accord.lifecycle.charter import Charter, Revision
from accord.lifecycle.member import charter_of_sign
from accord.lifecycle.monitor import Monitor
from accord.lifecycle.sealing import Sealing, answer_of
from accord.wire import Envelope, Performative

__all__ = [
    "AlertRecord",
    "CharterVersion",
    "KpiTrajectory",
    "LifecycleAudit",
    "RenegotiationAudit",
    "ReportRecord",
    "charters_in",
    "genesis_keys",
    "lifecycle_audit",
]

_NEVER = 2**63 - 1
"""A clock past every period: the auditor's own monitor never refuses a report as early."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RenegotiationAudit(_Model):
    negotiation_id: str
    found: bool
    """Whether its log was beside the charter's, ending at the checkpoint the charter names."""
    verdict: str | None = None
    """The verdict of that log's audit (``fair``, ``breached``, ``invalid-log``)."""
    no_party_worse_off: bool | None = None
    """Every party at least as well off as under the terms in force, by its revealed profile."""
    note: str = ""


class CharterVersion(_Model):
    version: int
    digest: str
    previous: str | None
    terms: dict[str, JsonValue]
    signed: list[str]
    refused: dict[str, str]
    silent: list[str]
    in_force: bool
    stage: str | None = None
    """``pilot`` or ``scaled`` (docs/lifecycle.md), ``None`` without a pilot stage."""
    trigger: str | None = None
    reason: str = ""
    reference: str | None = None
    """The breach alert or request that opened the renegotiation this version came from."""
    renegotiation: RenegotiationAudit | None = None


class ReportRecord(_Model):
    message_id: str
    reporter: str
    version: int
    kpi: str | None
    period: int | None
    value: float | None
    status: Literal["accepted", "refused", "noise"]
    reason: str = ""
    breach: bool = False


class AlertRecord(_Model):
    message_id: str
    version: int
    kind: str
    kpi: str | None
    period: int | None
    party: str | None
    detail: str
    supported: bool
    """Whether the auditor's own check of the log supports it."""
    handled_by: int | None = None
    """For a breach: the charter version whose renegotiation it opened."""


class KpiPoint(_Model):
    period: int
    value: float
    reporter: str
    breach: bool


class KpiTrajectory(_Model):
    kpi: str
    version: int
    unit: str
    scope: str
    owner: str
    better: str
    target: float
    threshold: float
    points: list[KpiPoint]


class LifecycleAudit(_Model):
    versions: list[CharterVersion]
    reports: list[ReportRecord]
    alerts: list[AlertRecord]
    trajectories: list[KpiTrajectory]
    outside_role: list[str] = Field(default_factory=list)
    """Signed reports by someone the charter does not let report that KPI."""
    unhandled_breaches: list[str] = Field(default_factory=list)
    """Breach alerts that no later charter version names as its trigger."""
    keeper_problems: list[str] = Field(default_factory=list)
    """Alerts the log does not support, and alerts it calls for that the keeper never raised."""


def lifecycle_audit(transcript: Transcript) -> LifecycleAudit | None:
    """The partnership's history in ``transcript``'s log, or ``None`` if it has no charter."""
    messages = transcript.charter_messages
    if not messages:
        return None
    keys = genesis_keys(transcript)
    charters = _charters(messages, keys)
    handled = {
        c.revision.reference: c.version for c in charters if c.revision and c.revision.reference
    }
    versions, reports, alerts, trajectories, problems = [], [], [], [], []
    for charter in charters:
        own = [m for m in messages if m.envelope.session == charter.session]
        replay = _Replay(charter, keys)
        replay.run(own)
        reports += replay.reports
        alerts += [
            a.model_copy(update={"handled_by": handled.get(a.message_id)})
            if a.kind == "breach"
            else a
            for a in replay.alerts
        ]
        problems += replay.problems
        trajectories += _trajectories(charter, replay.monitor)
        versions.append(_version(charter, own, transcript.log))
    return LifecycleAudit(
        versions=versions,
        reports=reports,
        alerts=alerts,
        trajectories=trajectories,
        outside_role=[
            f"{r.message_id}: {r.reason}" for r in reports if "outside its role" in r.reason
        ],
        unhandled_breaches=[
            f"{a.message_id}: {a.detail}" for a in alerts if a.kind == "breach" and not a.handled_by
        ],
        keeper_problems=problems,
    )


def charters_in(transcript: Transcript) -> list[Charter]:
    """Every charter version the keeper proposed in ``transcript``'s log, in order."""
    return _charters(transcript.charter_messages, genesis_keys(transcript))


def genesis_keys(transcript: Transcript) -> dict[str, VerifyKey]:
    """The participants' public keys in the genesis of ``transcript``'s log, but the
    recorder's."""
    return {
        who: decode_public_key(text, what=f"key of {who!r}")
        for who, text in transcript.verification.keys.items()
        if who != RECORDER
    }


def _charters(messages: Sequence[LoggedMessage], keys: Mapping[str, VerifyKey]) -> list[Charter]:
    """Every charter the keeper proposed (its authentic ``sign``s), in log order."""
    found: list[Charter] = []
    for m in messages:
        if m.status != "ok" or m.envelope.performative is not Performative.SIGN:
            continue
        keeper = m.envelope.sender
        verifier = Verifier({keeper: keys[keeper]}) if keeper in keys else None
        if verifier is None:
            continue
        charter = charter_of_sign(m.envelope, verifier)
        if charter is not None and all(c.digest != charter.digest for c in found):
            found.append(charter)
    return found


class _Replay:
    """The auditor's own monitor over one charter version's envelopes, compared with what
    the keeper said."""

    def __init__(self, charter: Charter, keys: Mapping[str, VerifyKey]) -> None:
        self.charter = charter
        self.monitor = Monitor(charter, keys=dict(keys), signer=None, now=lambda: _NEVER)
        self.reports: list[ReportRecord] = []
        self.alerts: list[AlertRecord] = []
        self.problems: list[str] = []
        self._expected: dict[str, str] = {}
        """Report message id -> the alert kind the auditor's check calls for."""

    def run(self, own: Sequence[LoggedMessage]) -> None:
        keeper = [m.envelope for m in own if self._of_keeper(m, Performative.ALERT)]
        about = {str(a.body.get("report")): a for a in keeper if a.body.get("report")}
        for m in own:
            envelope = m.envelope
            if envelope.performative is Performative.REPORT:
                self._report(m, about.get(envelope.message_id))
            elif envelope.performative is Performative.REVISE and m.status == "ok":
                self.monitor.consider(envelope)
            elif self._of_keeper(m, Performative.ALERT):
                self.alerts.append(self._alert(envelope))
        raised = {(str(a.body.get("report")), str(a.body.get("kind"))) for a in keeper}
        for report, kind in self._expected.items():
            if (report, kind) not in raised:
                self.problems.append(
                    f"the keeper raised no {kind} alert for {report}, which the charter "
                    f"(version {self.charter.version}) calls for"
                )

    def _of_keeper(self, m: LoggedMessage, performative: Performative) -> bool:
        envelope = m.envelope
        return (
            m.status == "ok"
            and envelope.sender == self.charter.keeper
            and envelope.performative is performative
        )

    def _report(self, m: LoggedMessage, alert: Envelope | None) -> None:
        envelope = m.envelope
        body = envelope.body
        kpi = body.get("kpi")
        period = body.get("period")
        value = body.get("value")
        record = {
            "message_id": envelope.message_id,
            "reporter": envelope.sender,
            "version": self.charter.version,
            "kpi": kpi if isinstance(kpi, str) else None,
            "period": period if isinstance(period, int) else None,
            "value": float(value) if isinstance(value, int | float) else None,
        }
        if m.status != "ok":
            self.reports.append(
                ReportRecord(**record, status="noise", reason=f"the recorder marked it {m.status}")
            )
            return
        if alert is not None and alert.body.get("rule") == "early":
            self.reports.append(ReportRecord(**record, status="refused", reason=self._early(alert)))
            return
        verdict = self.monitor.consider(envelope)
        for raised in verdict.alerts:
            self._expected[envelope.message_id] = str(raised.body["kind"])
        status = verdict.status if verdict.status in ("accepted", "refused", "noise") else "noise"
        observed = self.monitor.observations.get(
            (str(kpi), period if isinstance(period, int) else 0)
        )
        self.reports.append(
            ReportRecord(
                **record,
                status=status,
                reason=verdict.reason,
                breach=observed is not None
                and observed.message_id == envelope.message_id
                and observed.breach,
            )
        )

    def _early(self, alert: Envelope) -> str:
        """A refusal as too early: consistent with the alert's own clock, or named."""
        kpi = self.charter.kpi(str(alert.body.get("kpi")))
        period = alert.body.get("period")
        as_of = int(str(alert.body.get("as_of_ns", "0")))
        if kpi is None or not isinstance(period, int):
            return "refused as early, for a KPI or period the charter does not have"
        ends = self.charter.period_end_ns(kpi, period)
        if ends <= as_of:
            self.problems.append(
                f"{alert.message_id}: refused a report of {kpi.name!r} for period {period} as "
                "early, but by the alert's own time that period had ended"
            )
        return f"period {period} of {kpi.name!r} had not ended by the keeper's clock"

    def _alert(self, alert: Envelope) -> AlertRecord:
        body = alert.body
        kind = str(body.get("kind"))
        kpi = body.get("kpi")
        period = body.get("period")
        report = body.get("report")
        if kind == "overdue":
            supported = self._overdue_holds(alert)
        elif kind == "refused_report" and body.get("rule") == "early":
            supported = not any(alert.message_id in p for p in self.problems)
        else:
            supported = self._expected.get(str(report)) == kind
        if not supported and kind != "overdue":
            self.problems.append(
                f"{alert.message_id}: a {kind} alert about {report} that the charter does not "
                "call for"
            )
        return AlertRecord(
            message_id=alert.message_id,
            version=self.charter.version,
            kind=kind,
            kpi=kpi if isinstance(kpi, str) else None,
            period=period if isinstance(period, int) else None,
            party=str(body["party"]) if isinstance(body.get("party"), str) else None,
            detail=str(body.get("detail", "")),
            supported=supported,
        )

    def _overdue_holds(self, alert: Envelope) -> bool:
        """An overdue alert holds if its period was due by its own time and no report of it
        was accepted before it."""
        kpi = self.charter.kpi(str(alert.body.get("kpi")))
        period = alert.body.get("period")
        as_of = int(str(alert.body.get("as_of_ns", "0")))
        if kpi is None or not isinstance(period, int):
            self.problems.append(f"{alert.message_id}: overdue for a KPI the charter lacks")
            return False
        if self.charter.due_ns(kpi, period) > as_of:
            self.problems.append(
                f"{alert.message_id}: says {kpi.name!r} of period {period} is overdue before "
                "it was due, by the alert's own time"
            )
            return False
        if (kpi.name, period) in self.monitor.observations:
            self.problems.append(
                f"{alert.message_id}: says {kpi.name!r} of period {period} is overdue, but it "
                "was reported before the alert"
            )
            return False
        return True


def _trajectories(charter: Charter, monitor: Monitor) -> list[KpiTrajectory]:
    return [
        KpiTrajectory(
            kpi=kpi.name,
            version=charter.version,
            unit=kpi.unit,
            scope=kpi.scope,
            owner=kpi.owner,
            better=kpi.better,
            target=kpi.target,
            threshold=kpi.threshold,
            points=[
                KpiPoint(period=o.period, value=o.value, reporter=o.reporter, breach=o.breach)
                for (name, _), o in sorted(monitor.observations.items())
                if name == kpi.name
            ],
        )
        for kpi in charter.kpis
    ]


def _version(charter: Charter, own: Sequence[LoggedMessage], log: Path) -> CharterVersion:
    sealing = Sealing(charter)
    for m in own:
        answer = answer_of(m.envelope, sealing, None) if m.status == "ok" else None
        if answer is not None and answer[1] is None:
            sealing.signed.append(answer[0])
        elif answer is not None:
            sealing.refused[answer[0]] = str(answer[1])
    revision = charter.revision
    return CharterVersion(
        version=charter.version,
        digest=charter.digest,
        previous=charter.previous,
        terms=dict(charter.terms),
        signed=list(sealing.signed),
        refused=dict(sealing.refused),
        silent=sealing.silent,
        in_force=sealing.in_force,
        stage=charter.stage,
        trigger=None if revision is None else revision.trigger,
        reason="" if revision is None else revision.reason,
        reference=None if revision is None else revision.reference,
        renegotiation=None if revision is None else _renegotiation(revision, log.parent),
    )


def _renegotiation(revision: Revision, folder: Path) -> RenegotiationAudit:
    """Find and audit the renegotiation's log in the folders beside ``folder``'s log."""
    from accord.audit.policy import AuditPolicy  # noqa: PLC0415  # the report imports this module
    from accord.audit.report import audit  # noqa: PLC0415
    from accord.audit.transcript import load_transcript  # noqa: PLC0415

    found = _log_of(revision.negotiation_id, folder)
    if found is None:
        return RenegotiationAudit(
            negotiation_id=revision.negotiation_id,
            found=False,
            note=f"its log is not in a folder beside the charter's ({folder})",
        )
    last = last_checkpoint(read_records(found).records)
    if last is None or (last.tree_size, last.root) != (revision.log_size, revision.log_root):
        return RenegotiationAudit(
            negotiation_id=revision.negotiation_id,
            found=False,
            note=f"{found} does not end at the checkpoint the amended charter names",
        )
    try:
        report = audit(load_transcript(found), AuditPolicy())
    except AccordError as exc:
        return RenegotiationAudit(
            negotiation_id=revision.negotiation_id, found=True, note=f"cannot audit it: {exc}"
        )
    return RenegotiationAudit(
        negotiation_id=revision.negotiation_id,
        found=True,
        verdict=report.verdict.status,
        no_party_worse_off=all(
            p.utility >= p.reservation - 1e-9 for p in report.outcome.parties.values()
        ),
        note=str(found.relative_to(folder)),
    )


def _log_of(negotiation_id: str, folder: Path) -> Path | None:
    for candidate in sorted(folder.iterdir()):
        for name in LOG_NAMES:
            log = candidate / name
            if candidate.is_dir() and log.is_file() and _genesis_id(log) == negotiation_id:
                return log
    return None


def _genesis_id(log: Path) -> str | None:
    try:
        records = read_records(log).records
        return Genesis.model_validate_json(records[0][1]).negotiation_id if records else None
    except (AccordError, ValidationError):
        return None
