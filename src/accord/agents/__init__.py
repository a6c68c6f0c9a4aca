"""Agents: the ``Strategy`` protocol, the agent runtime and the built-in strategies."""

from accord.agents.boa import BOA
from accord.agents.contract_net_party import ContractNetParty
from accord.agents.hardliner import Hardliner
from accord.agents.micro import MiCRO
from accord.agents.offer_index import OfferIndex
from accord.agents.random_strategy import RandomStrategy
from accord.agents.runtime import Agent
from accord.agents.shapley_proposer import ShapleyProposer
from accord.agents.single_text_voters import Annealer, HillClimber
from accord.agents.strategy import (
    AgentContext,
    OfferEvent,
    Proposer,
    Responder,
    Response,
    Strategy,
    TurnState,
    Voter,
)
from accord.agents.time_dependent import Boulware, Conceder, Linear, TimeDependent
from accord.agents.tit_for_tat import TitForTat
from accord.agents.zeuthen import Zeuthen
from accord.plugins import Registry

__all__ = [
    "BOA",
    "STRATEGIES",
    "Agent",
    "AgentContext",
    "Annealer",
    "Boulware",
    "Conceder",
    "ContractNetParty",
    "Hardliner",
    "HillClimber",
    "Linear",
    "MiCRO",
    "OfferEvent",
    "OfferIndex",
    "Proposer",
    "RandomStrategy",
    "Responder",
    "Response",
    "ShapleyProposer",
    "Strategy",
    "TimeDependent",
    "TitForTat",
    "TurnState",
    "Voter",
    "Zeuthen",
]

STRATEGIES: Registry[object] = Registry(
    "strategy",
    "strategies",
    "accord.strategies",
    {
        "time-dependent": TimeDependent,
        "boulware": Boulware,
        "linear": Linear,
        "conceder": Conceder,
        "hardliner": Hardliner,
        "random": RandomStrategy,
        "tit-for-tat": TitForTat,
        "zeuthen": Zeuthen,
        "hill-climber": HillClimber,
        "annealer": Annealer,
        "shapley": ShapleyProposer,
        "contract-net": ContractNetParty,
        "micro": MiCRO,
        "boa": BOA,
    },
)
"""Every strategy accord can find by name."""
