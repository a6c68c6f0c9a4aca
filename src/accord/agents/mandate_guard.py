"""The runtime's enforcement of a party's mandate, between its strategy and the bus.

Before the runtime sends an offer or an acceptance it asks :meth:`MandateGuard.check`. An
action outside the mandate is never sent: the guard records it as a signed ``blocked``
envelope (to the host, which ignores it; the recorder logs it) and returns why. An action the
mandate reserves for approval goes to the party's approver, with the turn's remaining time;
its decision (approved or refused, by whom, when) is recorded as a signed ``approval``
envelope, and a refusal, a timeout or an approver that raises blocks the action. The same
outcome refused once is not put to the approver again within the turn.

The strategy is never given the guard: it cannot switch it off.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import JsonValue

from accord.errors import OutcomeError
from accord.logs import get_logger
from accord.mandate import Action, ApprovalRequest, Approver, Decision, Mandate
from accord.model import BoundProfile, Value
from accord.wire import Performative, now_ns

__all__ = ["APPROVAL_MARGIN_S", "Blocked", "MandateGuard"]

log = get_logger("accord.mandate")

APPROVAL_MARGIN_S = 0.5
"""Time kept back from the turn for the answer itself (at most a tenth of the turn)."""

Send = Callable[[Performative, dict[str, JsonValue]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Blocked:
    """An action the runtime did not send, as the strategy's ``on_blocked`` hook sees it."""

    action: Action
    outcome: Mapping[str, Value]
    reasons: tuple[str, ...]
    """Why: the mandate's limits it breaks, or the approver's refusal."""
    decision: Decision | None = None
    """The approver's decision, when a refusal (or a timeout) blocked it."""


class MandateGuard:
    """Checks one party's actions against its mandate; see the module docstring."""

    def __init__(
        self,
        *,
        mandate: Mandate,
        profile: BoundProfile,
        approver: Approver | None,
        party_id: str,
        negotiation_id: str,
        send: Send,
    ) -> None:
        self.mandate = mandate
        self.profile = profile
        self.approver = approver
        self.party_id = party_id
        self.negotiation_id = negotiation_id
        self._send = send
        self._turn_ends = float("inf")
        self._refused: dict[str, Decision] = {}
        self.log = log.bind(negotiation_id=negotiation_id, agent_id=party_id)

    def start_turn(self, turn_timeout: float | None) -> None:
        """A request arrived: approvals must be decided within ``turn_timeout`` seconds."""
        loop = asyncio.get_running_loop()
        if turn_timeout is None:
            self._turn_ends = float("inf")
        else:
            margin = min(APPROVAL_MARGIN_S, turn_timeout / 10)
            self._turn_ends = loop.time() + turn_timeout - margin
        self._refused = {}

    async def check(
        self,
        *,
        action: Action,
        outcome: Mapping[str, Value],
        mechanism: str,
        kind: str,
        round_: int,
        final: bool,
    ) -> Blocked | None:
        """``None`` when ``action`` on ``outcome`` may be sent; otherwise what blocked it
        (already recorded in the log)."""
        utility = self._utility(outcome)
        reasons = self.mandate.breaches(
            outcome, utility=utility, mechanism=mechanism, now=datetime.now(UTC)
        )
        if reasons:
            self.log.warning("mandate_blocked", action=action, reasons=reasons)
            await self._send(
                Performative.BLOCKED,
                {
                    "action": action,
                    "outcome": dict(outcome),
                    "reasons": list[JsonValue](reasons),
                    "kind": kind,
                },
            )
            return Blocked(action, outcome, tuple(reasons))
        needs = self.mandate.approval_needed(action, final=final, utility=utility)
        if not needs:
            return None
        key = json.dumps([action, dict(outcome)], sort_keys=True)
        decision = self._refused.get(key)
        if decision is None:
            decision = await self._ask(action, outcome, utility, (kind, round_), tuple(needs))
            await self._send(
                Performative.APPROVAL,
                {
                    "action": action,
                    "outcome": dict(outcome),
                    "utility": utility,
                    "needs": list[JsonValue](needs),
                    "approver": decision.approver[:200],
                    "approved": decision.approved,
                    "reason": decision.reason[:2000],
                    "decided_ns": now_ns(),
                },
            )
        if decision.approved:
            return None
        self._refused[key] = decision
        why = f"approval refused by {decision.approver}" + (
            f": {decision.reason}" if decision.reason else ""
        )
        return Blocked(action, outcome, (why,), decision)

    def _utility(self, outcome: Mapping[str, Value]) -> float | None:
        try:
            return float(self.profile.of(outcome))
        except (OutcomeError, ValueError, KeyError, TypeError):
            return None  # not an outcome of the space: the host refuses it anyway

    async def _ask(
        self,
        action: Action,
        outcome: Mapping[str, Value],
        utility: float | None,
        turn: tuple[str, int],
        needs: tuple[str, ...],
    ) -> Decision:
        kind, round_ = turn
        if self.approver is None:
            return Decision(
                approved=False,
                approver="nobody",
                reason="the mandate needs approval but there is no approver",
            )
        remaining = self._turn_ends - asyncio.get_running_loop().time()
        if remaining <= 0:
            return Decision(
                approved=False, approver="timeout", reason="no time left in the turn to ask"
            )
        request = ApprovalRequest(
            negotiation_id=self.negotiation_id,
            party=self.party_id,
            action=action,
            outcome=dict(outcome),
            utility=utility,
            reservation=self.profile.reservation,
            round=round_,
            kind=kind,
            reasons=needs,
            mandate=self.mandate,
            timeout=remaining,
        )
        try:
            async with asyncio.timeout(None if remaining == float("inf") else remaining):
                decision = await self.approver.approve(request)
        except TimeoutError:
            self.log.warning("approval_timeout", action=action, seconds=remaining)
            return Decision(
                approved=False, approver="timeout", reason=f"no decision within {remaining:.1f} s"
            )
        except Exception as exc:  # noqa: BLE001  # a failing approver refuses, it never crashes
            self.log.warning("approver_raised", error=repr(exc))
            return Decision(
                approved=False,
                approver=type(self.approver).__name__,
                reason=f"the approver raised {exc!r}",
            )
        if not isinstance(decision, Decision):
            return Decision(
                approved=False,
                approver=type(self.approver).__name__,
                reason=f"not a Decision: {decision!r}",
            )
        self.log.info("approval_decided", action=action, approved=decision.approved)
        return decision
