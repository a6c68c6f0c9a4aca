"""The scenario file format, as pydantic models. ``docs/scenarios.md`` documents it for users.

Structure is checked here; what needs several fields at once (profiles against issues,
strategy and mechanism names, duplicate ids) is checked by :mod:`accord.scenarios.checks`, so
that every problem can be reported with its exact field path.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from accord.lifecycle.kpis import CharterSpec, KpiSpec
from accord.lifecycle.portfolio import PortfolioSpec
from accord.mandate.model import Mandate
from accord.model import DEFAULT_MAX_OUTCOMES, Issue, OutcomeSpace, Profile, Value
from accord.protocols.deadline import Deadline
from accord.wire import HOST, Identifier

__all__ = [
    "ApproverSpec",
    "MechanismSpec",
    "PartySpec",
    "RenegotiationSpec",
    "Scenario",
    "StrategySpec",
]


def _not_reserved(value: str) -> str:
    if value == HOST:
        raise ValueError(f"{HOST!r} is reserved for the mechanism host")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StrategySpec(_Model):
    """Which strategy a party uses: a registered name or ``package.module:Class``."""

    name: Annotated[str, Field(min_length=1)]
    params: dict[str, Any] = Field(default_factory=dict)


class ApproverSpec(_Model):
    """Who signs off what a party's mandate reserves for approval: a registered approver name
    (``terminal``, ``always-approve``, ``always-refuse``) or ``package.module:Class``."""

    name: Annotated[str, Field(min_length=1)]
    params: dict[str, Any] = Field(default_factory=dict)


class PartySpec(_Model):
    """One organisation taking part, with its agent's strategy and private preferences."""

    id: Annotated[Identifier, AfterValidator(_not_reserved)]
    organisation: Annotated[str, Field(min_length=1)]
    capabilities: list[str] = Field(default_factory=list)
    """What the organisation brings to the partnership, in a few words each."""
    description: str = ""
    strategy: StrategySpec
    profile: Profile
    public_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9+/]{43}=$")
    """The party's Ed25519 public key (base64, as ``accord keys new`` writes it); when set,
    only an agent holding the matching private key can speak for the party."""
    mandate: Mandate | None = None
    """What the organisation allows its agent to agree to; enforced by the agent's runtime,
    whatever the strategy does (see ``docs/scenarios.md``)."""
    approver: ApproverSpec | None = None
    """Who approves what the mandate reserves for a person."""
    portfolio: PortfolioSpec | None = None
    """The organisation's other charters and rules across them, which tighten its mandate
    for this negotiation (docs/lifecycle.md, Portfolio)."""


class MechanismSpec(_Model):
    """The negotiation protocol, its parameters and its deadline."""

    name: str = "saop"
    params: dict[str, Any] = Field(default_factory=dict)
    deadline: Deadline = Field(default_factory=Deadline)


class RenegotiationSpec(_Model):
    """How a charter of this scenario is renegotiated (docs/lifecycle.md)."""

    mechanism: MechanismSpec | None = None
    """The mechanism it runs under (default: the scenario's ``mechanism``)."""
    strategies: dict[str, StrategySpec] = Field(default_factory=dict)
    """By party id: the strategy its agent renegotiates with (default: its ``strategy``)."""


class Scenario(_Model):
    """A whole negotiation: the issues, who negotiates with what preferences, and how."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    category: str | None = None
    """What kind of partnership this is (``marketplace``, ``research``): portfolio rules
    count an organisation's charters per category."""
    seed: int = Field(default=0, ge=0, le=2**53 - 1)
    issues: list[Issue] = Field(min_length=1)
    parties: list[PartySpec] = Field(min_length=2)
    mechanism: MechanismSpec = Field(default_factory=MechanismSpec)
    max_outcomes: int = Field(default=DEFAULT_MAX_OUTCOMES, ge=1)
    """Largest outcome space strategies may enumerate."""
    kpis: list[KpiSpec] = Field(default_factory=list)
    """The partnership's KPIs: with them, an agreement becomes a signed charter
    (docs/lifecycle.md)."""
    charter: CharterSpec | None = None
    """How that charter is run; defaults apply when ``kpis`` are given without it."""
    renegotiation: RenegotiationSpec | None = None
    """How a renegotiation of the charter runs (default: as this negotiation did)."""
    status_quo: dict[str, Value] | None = None
    """The terms in force, when this negotiation renegotiates them: the first draft of a
    mechanism that starts from a text (``single-text``); set by a renegotiation."""
    renegotiates: Identifier | None = None
    """The negotiation whose charter this one renegotiates: after an agreement, the parties
    answer the amended charter's ``sign`` there (its log holds every version)."""

    def outcome_space(self) -> OutcomeSpace:
        return OutcomeSpace(self.issues, max_outcomes=self.max_outcomes)

    def party(self, party_id: str) -> PartySpec:
        for party in self.parties:
            if party.id == party_id:
                return party
        raise KeyError(party_id)

    def negotiation_id(self, seed: int | None = None) -> str:
        """A readable, deterministic id: the name as a slug and the seed."""
        slug = re.sub(r"[^A-Za-z0-9]+", "-", self.name).strip("-").lower()[:40] or "negotiation"
        return f"{slug}-{self.seed if seed is None else seed}"
