"""How what the KPIs showed changes a party's preferences before a renegotiation.

An update rule is a :class:`ProfileUpdate`: given a party, its profile, the charter in force
and the monitor's accepted observations, it returns the profile the party renegotiates with.
Both built-in rules start from the **status quo**: the party's reservation value becomes (at
least) its utility of the charter's current terms, so that the current terms are the
disagreement point and a renegotiation can only agree on what every party prefers to them
(or end without agreement, leaving the charter as it is).

* ``status-quo``: only that.
* ``kpi-emphasis`` (the default): also, for every KPI that tracks a term and was breached
  in any period, the party whose gain it measures (its ``scope``; every party for a
  ``collective`` KPI) weighs that term's issue ``factor`` times more (the weights renormalised
  to sum to 1): the breach showed that term matters more to it than it had weighed.

A rule of your own is a class with an ``update`` method, named in the scenario's
``charter: {update: {name: package.module:Class, params: {...}}}`` or installed under the
``accord.updates`` entry point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from accord.lifecycle.charter import Charter
from accord.lifecycle.kpis import COLLECTIVE
from accord.lifecycle.monitor import Observation
from accord.model import OutcomeSpace, Profile
from accord.model.utility import LinearAdditiveUtility
from accord.plugins import Registry

__all__ = ["UPDATES", "KpiEmphasis", "ProfileUpdate", "Situation", "StatusQuo", "with_status_quo"]


@dataclass(frozen=True)
class Situation:
    """What a renegotiation starts from: the charter in force, what the monitor accepted,
    and the outcome space of its terms."""

    charter: Charter
    observations: tuple[Observation, ...]
    space: OutcomeSpace

    def breached(self) -> set[str]:
        """The KPIs breached in at least one period."""
        return {o.kpi for o in self.observations if o.breach}


class ProfileUpdate(Protocol):
    """Turns a party's profile into the one it renegotiates with."""

    def update(self, party: str, profile: Profile, situation: Situation) -> Profile: ...


class StatusQuo:
    """The reservation value becomes the utility of the current terms (if that is higher)."""

    def update(self, party: str, profile: Profile, situation: Situation) -> Profile:
        del party  # the status quo depends on the terms alone
        return with_status_quo(profile, situation)


class KpiEmphasis:
    """The status quo, and more weight on the terms whose KPIs were breached (see the
    module docstring); ``factor`` > 1."""

    def __init__(self, factor: float = 1.5) -> None:
        if not math.isfinite(factor) or factor <= 1.0:
            raise ValueError(f"factor must be a number above 1, got {factor!r}")
        self.factor = factor

    def update(self, party: str, profile: Profile, situation: Situation) -> Profile:
        breached = situation.breached()
        issues = {
            kpi.term
            for kpi in situation.charter.kpis
            if kpi.name in breached and kpi.term and kpi.scope in (party, COLLECTIVE)
        }
        utility = profile.utility
        if issues and isinstance(utility, LinearAdditiveUtility):
            weights = {
                issue: w * (self.factor if issue in issues else 1.0)
                for issue, w in utility.weights.items()
            }
            total = math.fsum(weights.values())
            weights = {issue: w / total for issue, w in weights.items()}
            profile = profile.model_copy(
                update={"utility": utility.model_copy(update={"weights": weights})}
            )
        return with_status_quo(profile, situation)


def with_status_quo(profile: Profile, situation: Situation) -> Profile:
    """``profile`` with its reservation raised to its utility of the current terms."""
    current = profile.bind(situation.space).of(situation.charter.terms)
    reservation = min(max(profile.reservation, current), 1.0)
    return profile.model_copy(update={"reservation": reservation})


UPDATES: Registry[ProfileUpdate] = Registry(
    "update rule",
    "update rules",
    "accord.updates",
    {"status-quo": StatusQuo, "kpi-emphasis": KpiEmphasis},
)
"""Profile update rules by name: built-ins, entry points (``accord.updates``), import paths."""
