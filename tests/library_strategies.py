"""Strategies for the mechanism-library tests, named by import path
(``library_strategies:GoesBack``) in test scenarios: some misbehave on purpose."""

from __future__ import annotations

from accord.agents import AgentContext, HillClimber, OfferIndex, Response, TurnState
from accord.model import Outcome


class StandsStill:
    """Proposes its best outcome and never concedes."""

    def on_start(self, ctx: AgentContext) -> None:
        self.index = OfferIndex(ctx.profile)

    def propose(self, state: TurnState) -> Outcome:
        return self.index.best()

    def concede(self, state: TurnState) -> Outcome:
        return self.index.best()


class GoesBack(StandsStill):
    """Opens with a middling outcome, then "concedes" back to its best: a step backwards for
    anybody who does not share its taste."""

    def propose(self, state: TurnState) -> Outcome:
        return self.index.outcome(len(self.index) // 2)


class AcceptsAll(StandsStill):
    """Offers its best outcome and votes for everything."""

    def vote(self, state: TurnState, offer: Outcome) -> Response:
        return Response.ACCEPT


class WalksOutOfTheVote(StandsStill):
    """Answers a vote by walking away, which a vote does not allow."""

    def vote(self, state: TurnState, offer: Outcome) -> Response:
        return Response.END


class NeverRatifies(HillClimber):
    """Votes like a hill-climber but refuses to ratify the final draft."""

    def vote(self, state: TurnState, offer: Outcome) -> Response:
        if state.options.get("ratify"):
            return Response.REJECT
        return super().vote(state, offer)


class Greedy:
    """Claims the whole coalition's value and gives everybody else one unit too."""

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx

    def divide(self, state: TurnState) -> Outcome:
        grand = int(state.options["grand"])
        return {p: grand if p == self.ctx.party_id else 1 for p in self.ctx.parties}

    def vote(self, state: TurnState, offer: Outcome) -> Response:
        return Response.REJECT


class AnswersTheCallWithAccept(StandsStill):
    """Answers a call for proposals with ``accept``, which a bid does not allow."""

    def bid(self, state: TurnState) -> Response:
        return Response.ACCEPT

    def award(self, state: TurnState) -> Response:
        return Response.ACCEPT


class BidsOnly(AnswersTheCallWithAccept):
    """Can bid and award but not negotiate terms by alternating offers."""
