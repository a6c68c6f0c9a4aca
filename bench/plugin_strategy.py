"""A plug-in strategy for the benchmarks: accord's Boulware, defined outside the package.

``executor="auto"`` runs accord's own strategies unguarded and every other one as a plug-in
(guarded by the watchdog, or on a worker thread): naming this one (``plugin_strategy:Boulware``)
measures what a researcher's own strategy costs, with the same decisions as the built-in.
"""

from __future__ import annotations

import time

from accord.agents import Boulware as BuiltinBoulware
from accord.agents.strategy import Response, TurnState
from accord.model import Outcome


class Boulware(BuiltinBoulware):
    """The built-in Boulware, as a plug-in."""


class Thinking(BuiltinBoulware):
    """Boulware that thinks 10 ms before each offer and each answer (``bench/faults.py``: a
    negotiation long enough to kill its broker in the middle of)."""

    THINK_S = 0.01

    def propose(self, ctx: TurnState) -> Outcome:
        time.sleep(self.THINK_S)
        return super().propose(ctx)

    def respond(self, ctx: TurnState, offer: Outcome) -> Response:
        time.sleep(self.THINK_S)
        return super().respond(ctx, offer)
