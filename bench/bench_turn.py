"""What one turn of stacked alternating offers costs accord, strategies aside.

Two strategies that cost nothing (``Trivial``: the same offer every time, every offer
rejected) play a bilateral SAOP negotiation on a 10^3-outcome domain (``negmas_side.
make_domain``) that never ends before its deadline, for 1 round and for ``--rounds`` rounds:

* ``accord``: ``negotiate`` in a direct session (what tournaments, ``accord.testing`` and
  ``accord run --bus memory`` run), strategies inline (``executor="inline"``);
* ``lean``: the least any host must do per turn, in one flat loop with no layers: the turn
  state, the two strategy calls, the offer made plain and checked against the outcome space,
  a record of the request and one of the answer, and the offer in both parties' ``ctx.offers``.

The cost of a turn is the difference between the two runs' process times over the difference
in turns (the median of ``--repeat`` runs of each); the fixed cost of a negotiation is the
1-round run's. What accord spends above ``lean`` per turn is what its layers cost: the
mechanism's request and ``await``s, the session's deadline and records, the agent runtime's
checks and dispatch, the announced event.

    python bench/bench_turn.py [--rounds 100] [--repeat 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

sys.path.insert(0, str(Path(__file__).parent))
from bench_saop import scenario_from  # sibling scripts, not a package
from negmas_side import make_domain

from accord import Scenario
from accord.agents import AgentContext, Response, TurnState
from accord.agents.runtime import _plain
from accord.agents.strategy import OfferEvent
from accord.direct import Sent
from accord.model import Outcome
from accord.runner import negotiate
from accord.wire import HOST, Performative


class Trivial:
    """Offers the first outcome of the space every time and rejects every offer."""

    def on_start(self, ctx: AgentContext) -> None:
        self.offer = ctx.space.outcome_at(0)

    def propose(self, state: TurnState) -> Outcome:
        return self.offer

    def respond(self, state: TurnState, offer: Outcome) -> Response:
        return Response.REJECT


def accord_run(data: dict[str, Any]) -> int:
    """One negotiation in a direct session; its rounds."""
    negotiation = asyncio.run(negotiate(Scenario.model_validate(data), executor="inline"))
    return negotiation.result.rounds


def lean_run(data: dict[str, Any]) -> int:
    """The same negotiation as one flat loop doing only what every turn needs; its turns."""
    scenario = Scenario.model_validate(data)
    space = scenario.outcome_space()
    ids = [party.id for party in scenario.parties]
    rounds = scenario.mechanism.deadline.rounds or 1
    strategies, contexts = [], []
    for party in scenario.parties:
        ctx = AgentContext(
            party_id=party.id,
            parties=tuple(ids),
            mechanism="saop",
            space=space,
            profile=party.profile.bind(space),
            rng=None,  # type: ignore[arg-type]  # Trivial draws nothing
            rounds=rounds,
            seconds=None,
        )
        strategy = Trivial()
        strategy.on_start(ctx)
        strategies.append(strategy)
        contexts.append(ctx)
    sent: list[Sent] = []
    standing: dict[str, Any] | None = None  # plain values: made so by _plain
    seq = turn = round_ = 0
    while True:
        if turn and turn % 2 == 0:
            round_ += 1
            if round_ >= rounds:
                return turn
        who = ids[turn % 2]
        relative_time = round_ / rounds
        sent.append(
            Sent(
                HOST,
                seq,
                Performative.REQUEST,
                {},
                who,
                round_,
                None,
                time.time_ns(),
                relative_time,
            )
        )
        seq += 1
        state = TurnState(
            round_, relative_time, "respond", None if standing is None else dict(standing), None, {}
        )
        strategy = strategies[turn % 2]
        if standing is not None and strategy.respond(state, standing) is Response.ACCEPT:
            return turn
        outcome = _plain(strategy.propose(state))
        space.check(outcome)
        sent.append(
            Sent(who, turn, Performative.OFFER, {"outcome": outcome}, HOST, round_, None, 0)
        )
        standing = dict(outcome)
        for ctx in contexts:
            ctx.offers.append(OfferEvent(round_, who, dict(standing), ctx.profile))
        turn += 1


def median_cpu(run: Callable[[dict[str, Any]], int], data: dict[str, Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.process_time()
        run(data)
        times.append(time.process_time() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    domain = make_domain(1_000, 1)
    # the strategy by the import path of this module (``__main__`` when run as a script)
    short, long = (scenario_from(domain, r, f"{__name__}:Trivial") for r in (1, args.rounds))
    turns = 2 * (args.rounds - 1)  # two a round: the long run's more than the short one's
    print(f"{'side':<8} {'fixed ms':>9} {'per turn us':>12}")
    per_turn = {}
    for side, run in (("accord", accord_run), ("lean", lean_run)):
        run(long)  # warm
        fixed = median_cpu(run, short, args.repeat)
        whole = median_cpu(run, long, args.repeat)
        per_turn[side] = (whole - fixed) / turns
        print(f"{side:<8} {fixed * 1e3:>9.3f} {per_turn[side] * 1e6:>12.2f}")
    print(f"accord / lean per turn: {per_turn['accord'] / per_turn['lean']:.1f}x")


if __name__ == "__main__":
    main()
