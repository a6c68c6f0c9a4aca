"""The monitor: checks every KPI report against its charter and raises signed alerts.

For each ``report`` of the charter's session the monitor decides one of three things:

* **noise**: not signed by its claimed sender (unsigned, forged, an unknown sender) or a
  byte-identical repeat. Held against nobody: counted, never an alert;
* **refused**: signed, but not a report the charter allows: a body that is not a report,
  another charter's digest, a KPI the charter does not have, a reporter outside the KPI's
  ``reported_by``, a unit other than the KPI's, a value outside its range, a period that has
  not ended yet, a sequence number other than the report's (see
  :mod:`accord.lifecycle.member`), or a second report for a period already reported. The
  monitor publishes a ``refused_report`` alert naming the reporter and the reason (once per
  reporter, KPI, period and rule: a flood of one bad report is one alert), and what it holds
  does not change;
* **accepted**: the observation is kept; a value beyond the KPI's threshold raises a
  ``breach`` alert naming the KPI's owner.

:meth:`Monitor.overdue` raises an ``overdue`` alert, once, for every period whose report has
not come by its end plus the charter's grace days; time is the monitor's ``now`` (nanoseconds
since the epoch), injectable so that months pass in a test or a simulation in no time.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from nacl.signing import VerifyKey
from pydantic import JsonValue, ValidationError

from accord.broker import Bus
from accord.ledger.canonical import signing_bytes
from accord.ledger.signing import Signer, Verifier
from accord.lifecycle.charter import Charter
from accord.lifecycle.member import report_seq
from accord.logs import get_logger
from accord.wire import Envelope, Performative, ReportBody, ReviseBody, compose
from accord.wire.lifecycle import AlertKind, RefusalRule

__all__ = ["Monitor", "Observation", "Verdict"]

log = get_logger("accord.lifecycle")

MAX_PERIOD = 100_000
"""The last reporting period a report may name (as :class:`~accord.wire.ReportBody` allows)."""

TICK_S = 0.5
"""How often a watching monitor looks for overdue reports while the bus is quiet."""


@dataclass(frozen=True, slots=True)
class Observation:
    """An accepted report."""

    kpi: str
    period: int
    value: float
    reporter: str
    message_id: str
    sent_ns: int
    breach: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the monitor made of one envelope."""

    status: Literal["accepted", "refused", "noise", "ignored", "request"]
    reason: str = ""
    """Why a report was refused or is noise."""
    alerts: tuple[Envelope, ...] = ()
    """The alerts it raised (signed, not yet published)."""


@dataclass
class Monitor:
    """Watches one charter; see the module docstring. ``keys`` are the public keys of every
    party (and of the keeper, when it reports too); ``signer`` signs the keeper's alerts;
    ``next_seq`` is the keeper's next sequence number in the charter's session (its ``sign``
    was 0)."""

    charter: Charter
    keys: Mapping[str, VerifyKey] | None
    signer: Signer | None
    next_seq: int = 1
    now: Callable[[], int] = time.time_ns
    observations: dict[tuple[str, int], Observation] = field(default_factory=dict)
    refusals: list[tuple[str, str, str]] = field(default_factory=list)
    """(reporter, message id, reason) of every refused report."""
    alerts: list[Envelope] = field(default_factory=list)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    """(party, message id, reason) of every request to renegotiate."""
    noise: int = 0
    _seen: set[bytes] = field(default_factory=set)
    _overdue: set[tuple[str, int]] = field(default_factory=set)
    _due_checked: dict[str, int] = field(default_factory=dict)
    """By KPI, the last period whose due date :meth:`overdue` has looked at."""
    _refused: set[tuple[str, str | None, int | None, str]] = field(default_factory=set)
    """(reporter, KPI, period, rule) of every refusal alerted: a reporter that sends the same
    bad report again and again is refused each time, and alerted about once."""

    def __post_init__(self) -> None:
        self._verifier = None if self.keys is None else Verifier(self.keys)
        self.log = log.bind(
            negotiation_id=self.charter.negotiation_id, charter=self.charter.digest[:12]
        )

    # -- deciding ----------------------------------------------------------------------------

    def consider(self, envelope: Envelope) -> Verdict:
        """Check one envelope of the bus (see the module docstring)."""
        if envelope.session != self.charter.session or envelope.performative not in (
            Performative.REPORT,
            Performative.REVISE,
        ):
            return Verdict("ignored")
        noise = self._noise_reason(envelope)
        if noise is not None:
            self.noise += 1
            self.log.warning(
                "report_noise",
                claimed_sender=envelope.sender,
                message_id=envelope.message_id,
                reason=noise,
            )
            return Verdict("noise", noise)
        if envelope.performative is Performative.REVISE:
            return self._request(envelope)
        return self._report(envelope)

    def _report(self, envelope: Envelope) -> Verdict:
        """An authentic report: refused, or accepted (with a breach alert, if it is one)."""
        try:
            body = ReportBody.model_validate(envelope.body)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            return self._refuse(
                envelope, None, None, ("body", f"not a report body: {where}: {error['msg']}")
            )
        problem = self._problem(envelope, body)
        if problem is not None:
            return self._refuse(envelope, body.kpi, body.period, problem)
        kpi = self.charter.kpi(body.kpi)
        assert kpi is not None  # noqa: S101  # _problem checked it
        breach = kpi.breached_by(body.value)
        observation = Observation(
            kpi=body.kpi,
            period=body.period,
            value=body.value,
            reporter=envelope.sender,
            message_id=envelope.message_id,
            sent_ns=int(envelope.sent_ns),
            breach=breach,
        )
        self.observations[(body.kpi, body.period)] = observation
        self.log.info(
            "kpi_reported", kpi=body.kpi, period=body.period, value=body.value, breach=breach
        )
        if not breach:
            return Verdict("accepted")
        relation = "below" if kpi.better == "higher" else "above"
        alert = self._alert(
            "breach",
            kpi=body.kpi,
            period=body.period,
            party=kpi.owner,
            report=envelope.message_id,
            value=body.value,
            threshold=kpi.threshold,
            detail=(
                f"{body.kpi} = {body.value:g} {kpi.unit} in period {body.period}, reported by "
                f"{envelope.sender!r}, is {relation} its threshold {kpi.threshold:g} (target "
                f"{kpi.target:g}); owner {kpi.owner!r}"
            ),
        )
        return Verdict("accepted", alerts=(alert,))

    def _problem(  # noqa: PLR0911  # one return per rule of the charter, in the docstring's order
        self, envelope: Envelope, body: ReportBody
    ) -> tuple[RefusalRule, str] | None:
        """The rule this signed report breaks and why, or ``None`` if the charter allows it."""
        charter = self.charter
        if body.charter != charter.digest:
            return "charter", f"it names charter {body.charter[:12]}, not {charter.digest[:12]}"
        kpi = charter.kpi(body.kpi)
        if kpi is None:
            return "kpi", f"the charter has no KPI {body.kpi!r} ({[k.name for k in charter.kpis]})"
        if envelope.sender not in kpi.reported_by:
            return "role", (
                f"{envelope.sender!r} may not report {kpi.name!r}: only {kpi.reported_by} may "
                "(a report outside its role)"
            )
        if body.unit != kpi.unit:
            return "unit", f"{kpi.name!r} is reported in {kpi.unit!r}, not {body.unit!r}"
        if kpi.range is not None and not kpi.range[0] <= body.value <= kpi.range[1]:
            return "range", f"{body.value:g} is outside the range {list(kpi.range)} of {kpi.name!r}"
        ends = charter.period_end_ns(kpi, body.period)
        if ends > self.now():
            return "early", f"period {body.period} of {kpi.name!r} has not ended yet"
        expected = report_seq(charter, kpi.name, body.period)
        if envelope.seq != expected:
            return "seq", (
                f"sequence number {envelope.seq} is not {expected}, the one of a report of "
                f"{kpi.name!r} for period {body.period}"
            )
        earlier = self.observations.get((kpi.name, body.period))
        if earlier is not None:
            return "repeat", (
                f"period {body.period} of {kpi.name!r} was already reported by "
                f"{earlier.reporter!r} ({earlier.value:g}, {earlier.message_id})"
            )
        return None

    def _request(self, envelope: Envelope) -> Verdict:
        """A party's signed request to renegotiate: kept if it is of a party and about this
        charter (whether it opens a renegotiation is for the keeper, by ``revise_on``)."""
        try:
            body = ReviseBody.model_validate(envelope.body)
        except ValidationError as exc:
            return Verdict("refused", f"not a revise body: {exc.errors()[0]['msg']}")
        if envelope.sender not in self.charter.parties or body.charter != self.charter.digest:
            return Verdict("refused", "a request to revise from outside the charter")
        self.requests.append((envelope.sender, envelope.message_id, body.reason))
        self.log.info("revision_requested", party=envelope.sender, reason=body.reason)
        return Verdict("request")

    def _noise_reason(self, envelope: Envelope) -> str | None:
        """Why ``envelope`` is noise (not its claimed sender's, or a repeat), or ``None``."""
        signed = signing_bytes(envelope)
        problem = None if self._verifier is None else self._verifier.problem(envelope, signed)
        if problem is not None:
            return problem
        digest = hashlib.sha256(signed + (envelope.sig or "").encode()).digest()
        if digest in self._seen:
            return "a repeat of a report already considered"
        self._seen.add(digest)
        return None

    def _refuse(
        self,
        envelope: Envelope,
        kpi: str | None,
        period: int | None,
        problem: tuple[RefusalRule, str],
    ) -> Verdict:
        rule, reason = problem
        self.refusals.append((envelope.sender, envelope.message_id, reason))
        self.log.info(
            "report_refused",
            reporter=envelope.sender,
            message_id=envelope.message_id,
            reason=reason,
        )
        said = (envelope.sender, kpi, period, rule)
        if said in self._refused:
            return Verdict("refused", reason)
        self._refused.add(said)
        alert = self._alert(
            "refused_report",
            kpi=kpi if kpi is not None and self.charter.kpi(kpi) else None,
            period=period,
            party=envelope.sender,
            report=envelope.message_id,
            rule=rule,
            detail=f"report {envelope.message_id} refused: {reason}",
        )
        return Verdict("refused", reason, (alert,))

    def overdue(self) -> list[Envelope]:
        """An ``overdue`` alert for each period whose report is late (each once)."""
        now = self.now()
        alerts = []
        for kpi in self.charter.kpis:
            period = self._due_checked.get(kpi.name, 0) + 1  # the periods before: looked at
            while self.charter.due_ns(kpi, period) <= now and period <= MAX_PERIOD:
                self._due_checked[kpi.name] = period
                key = (kpi.name, period)
                if key not in self.observations and key not in self._overdue:
                    self._overdue.add(key)
                    alerts.append(
                        self._alert(
                            "overdue",
                            kpi=kpi.name,
                            period=period,
                            party=kpi.owner,
                            detail=(
                                f"no report of {kpi.name!r} for period {period} by its end plus "
                                f"{self.charter.grace_days:g} grace days (reported by "
                                f"{kpi.reported_by}; owner {kpi.owner!r})"
                            ),
                        )
                    )
                period += 1
        return alerts

    def _alert(self, kind: AlertKind, *, detail: str, **fields: JsonValue) -> Envelope:
        body: dict[str, JsonValue] = {
            "charter": self.charter.digest,
            "kind": kind,
            "detail": detail,
            "as_of_ns": str(self.now()),
        }
        body.update({k: v for k, v in fields.items() if v is not None})
        envelope = compose(
            negotiation_id=self.charter.negotiation_id,
            sender=self.charter.keeper,
            seq=self.next_seq,
            performative=Performative.ALERT,
            body=body,
            session=self.charter.session,
        )
        self.next_seq += 1
        if self.signer is not None:
            envelope = self.signer(envelope)
        self.alerts.append(envelope)
        self.log.info("kpi_alert", kind=kind, kpi=fields.get("kpi"), period=fields.get("period"))
        return envelope

    # -- over a bus ----------------------------------------------------------------------------

    def _considered(self, envelope: Envelope) -> Verdict:
        """:meth:`consider`, and a bug in it logged, not raised: one envelope, however it
        is made, must not stop the watch."""
        try:
            return self.consider(envelope)
        except Exception:
            self.log.exception("monitor_failed_on_envelope", message_id=envelope.message_id)
            return Verdict("ignored")

    def restore(self, envelopes: Iterable[Envelope]) -> None:
        """Rebuild what the monitor holds from the envelopes of a log (in log order): its
        alerts are the logged ones (none is raised again), and its sequence numbers continue
        after them. A report the keeper refused as ``early`` stays refused (a later clock
        would otherwise accept it on a restart)."""
        envelopes = [e for e in envelopes if e.session == self.charter.session]
        early = {
            e.body.get("report")
            for e in envelopes
            if e.sender == self.charter.keeper
            and e.performative is Performative.ALERT
            and e.body.get("rule") == "early"
        }
        for envelope in envelopes:
            if envelope.performative is Performative.REPORT and envelope.message_id in early:
                self._noise_reason(envelope)  # seen: a repeat of it is noise, as it was
                continue
            if (
                envelope.sender == self.charter.keeper
                and envelope.performative is Performative.ALERT
            ):
                self.alerts.append(envelope)
                self.next_seq = max(self.next_seq, envelope.seq + 1)
                kind, kpi, period = (envelope.body.get(k) for k in ("kind", "kpi", "period"))
                if kind == "overdue" and isinstance(kpi, str) and isinstance(period, int):
                    self._overdue.add((kpi, period))
                continue
            before, seq = len(self.alerts), self.next_seq
            self.consider(envelope)
            del self.alerts[before:]  # raised when the report came: they are in the log
            self.next_seq = seq

    async def watch(
        self,
        bus: Bus,
        *,
        stop: asyncio.Event,
        seen: Callable[[Envelope, Verdict], None] | None = None,
    ) -> None:
        """Consider every envelope of the charter's negotiation on ``bus`` and publish the
        alerts, looking for overdue reports every :data:`TICK_S`, until ``stop`` is set;
        ``seen`` is called with each report and its verdict, then with each alert."""
        async with bus.subscribe(self.charter.negotiation_id, self.charter.keeper) as inbox:
            while not stop.is_set():
                try:
                    async with asyncio.timeout(TICK_S):
                        envelope = await inbox.get()
                except TimeoutError:
                    envelope = None
                alerts: list[Envelope] = []
                if envelope is not None:
                    verdict = self._considered(envelope)
                    if seen is not None and verdict.status != "ignored":
                        seen(envelope, verdict)
                    alerts.extend(verdict.alerts)
                for alert in [*alerts, *self.overdue()]:
                    await bus.publish(alert)
                    if seen is not None:
                        seen(alert, Verdict("accepted"))
