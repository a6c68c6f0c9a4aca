"""A plug-in strategy for ``bench/faults.py``, named by import path (``plugin_strategy:Thinking``).

The speed benchmarks use a user's own strategies installed by entry point instead
(``bench/plugin``, ``pip install -e bench/plugin``).
"""

from __future__ import annotations

import time

from accord.agents import Boulware as BuiltinBoulware
from accord.agents.strategy import Response, TurnState
from accord.model import Outcome


class Thinking(BuiltinBoulware):
    """Boulware that thinks 10 ms before each offer and each answer (``bench/faults.py``: a
    negotiation long enough to kill its broker in the middle of)."""

    THINK_S = 0.01

    def propose(self, state: TurnState) -> Outcome:
        time.sleep(self.THINK_S)
        return super().propose(state)

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        time.sleep(self.THINK_S)
        return super().respond(state, offer)
