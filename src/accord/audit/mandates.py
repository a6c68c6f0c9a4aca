"""Mandates in the audit: did every message a party sent stay within the mandate it revealed?

For each party, from the log alone: whether it committed to a mandate at join and revealed one
that opens the commitment; every offer it sent (its outcome) and every acceptance (the offer
of the request it answered) checked against that mandate (issue limits, minimum utility of
its revealed profile, mechanism, deadline by the recorder's clock) and, where the mandate wants
approval, against an approving decision it logged in the same turn; the attempts its runtime
blocked; and every approval decision. ``within`` is ``None`` for a party whose mandate the
auditor has not seen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from accord.audit.transcript import LoggedMessage, Transcript
from accord.mandate import Mandate, final_acceptance
from accord.model import BoundProfile, Value
from accord.wire import HOST, ApprovalBody, BlockedBody, Performative

__all__ = ["MandateAction", "PartyMandate", "mandate_audit"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MandateAction(_Model):
    """One offer or acceptance, blocked attempt or approval decision, with its log entry."""

    entry: int
    message_id: str
    action: Literal["offer", "accept"]
    outcome: dict[str, Value]
    reasons: list[str]
    """Why it broke the mandate, was blocked, or needed approval."""
    approver: str | None = None
    approved: bool | None = None
    in_reply_to: str | None = None
    """The request it answered, or was recorded in the turn of."""


class PartyMandate(_Model):
    committed: bool
    """The party published a mandate commitment when it joined."""
    revealed: bool
    """It revealed a mandate that opens that commitment."""
    within: bool | None
    """Every offer and acceptance it sent was within the revealed mandate (``None``: not
    revealed)."""
    checked: int
    """Offers and acceptances checked."""
    breaches: list[MandateAction]
    blocked: list[MandateAction]
    approvals: list[MandateAction]


def mandate_audit(
    transcript: Transcript, profiles: dict[str, BoundProfile]
) -> dict[str, PartyMandate]:
    """The mandate section of the report, by party."""
    verification = transcript.verification
    mechanism = str(transcript.start.get("mechanism", ""))
    requests = {
        m.envelope.message_id: m
        for m in transcript.accepted
        if m.envelope.sender == HOST and m.envelope.performative is Performative.REQUEST
    }
    out: dict[str, PartyMandate] = {}
    for party in transcript.parties:
        reveal = verification.mandates.get(party)
        own = [m for m in transcript.accepted if m.envelope.sender == party]
        blocked, approvals = _records(own)
        breaches: list[MandateAction] = []
        checked = 0
        if reveal is not None and reveal.mandate is not None:
            for m in own:
                action = _action(m, requests)
                if action is None:
                    continue
                checked += 1
                why = _breach(
                    reveal.mandate,
                    m,
                    action=action,
                    profile=profiles[party],
                    mechanism=mechanism,
                    approvals=approvals,
                )
                if why:
                    breaches.append(why)
        out[party] = PartyMandate(
            committed=party in verification.mandate_commitments,
            revealed=reveal is not None,
            within=None if reveal is None else not breaches,
            checked=checked,
            breaches=breaches,
            blocked=blocked,
            approvals=approvals,
        )
    return out


_Action = tuple[Literal["offer", "accept"], dict[str, Value], str, dict[str, object]]
"""action, outcome, request kind, request options."""


def _action(m: LoggedMessage, requests: dict[str, LoggedMessage]) -> _Action | None:
    e = m.envelope
    request = requests.get(e.in_reply_to or "")
    body = request.envelope.body if request is not None else {}
    kind = str(body.get("kind", ""))
    options = body.get("options")
    opts: dict[str, object] = dict(options) if isinstance(options, dict) else {}
    if e.performative is Performative.OFFER and isinstance(e.body.get("outcome"), dict):
        return "offer", _values(e.body["outcome"]), kind, opts
    if e.performative is Performative.ACCEPT and isinstance(body.get("offer"), dict):
        return "accept", _values(body["offer"]), kind, opts
    return None


def _values(outcome: object) -> dict[str, Value]:
    items = outcome.items() if isinstance(outcome, dict) else ()
    return {str(k): v for k, v in items if isinstance(v, str | int | float)}


def _breach(
    mandate: Mandate,
    m: LoggedMessage,
    *,
    action: _Action,
    profile: BoundProfile,
    mechanism: str,
    approvals: list[MandateAction],
) -> MandateAction | None:
    what, outcome, kind, options = action
    try:
        utility: float | None = float(profile.of(outcome))
    except (ValueError, KeyError, TypeError):
        utility = None
    received = datetime.fromtimestamp(m.received_ns / 1e9, tz=UTC)
    reasons = mandate.breaches(outcome, utility=utility, mechanism=mechanism, now=received)
    needs = mandate.approval_needed(
        what, final=what == "accept" and final_acceptance(kind, options), utility=utility
    )
    in_turn = [a for a in approvals if a.in_reply_to == m.envelope.in_reply_to]
    approved = any(a.approved and a.action == what and a.outcome == outcome for a in in_turn)
    if needs and not approved:
        reasons.append("sent without an approval logged in its turn (" + "; ".join(needs) + ")")
    if not reasons:
        return None
    e = m.envelope
    return MandateAction(
        entry=m.index,
        message_id=e.message_id,
        action=what,
        outcome=outcome,
        reasons=reasons,
        in_reply_to=e.in_reply_to,
    )


def _records(own: list[LoggedMessage]) -> tuple[list[MandateAction], list[MandateAction]]:
    """A party's blocked attempts and approval decisions, in log order."""
    blocked: list[MandateAction] = []
    approvals: list[MandateAction] = []
    for m in own:
        e = m.envelope
        try:
            if e.performative is Performative.BLOCKED:
                b = BlockedBody.model_validate(e.body)
                blocked.append(
                    MandateAction(
                        entry=m.index,
                        message_id=e.message_id,
                        action=b.action,
                        outcome=b.outcome,
                        reasons=b.reasons,
                        in_reply_to=e.in_reply_to,
                    )
                )
            elif e.performative is Performative.APPROVAL:
                a = ApprovalBody.model_validate(e.body)
                approvals.append(
                    MandateAction(
                        entry=m.index,
                        message_id=e.message_id,
                        action=a.action,
                        outcome=a.outcome,
                        reasons=a.needs,
                        approver=a.approver,
                        approved=a.approved,
                        in_reply_to=e.in_reply_to,
                    )
                )
        except ValidationError:
            continue  # a malformed record proves nothing either way
    return blocked, approvals
