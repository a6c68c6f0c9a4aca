"""accord: autonomous organisations negotiating partnership terms over a message bus.

The public API. Everything else is importable from its subpackage (``accord.model``,
``accord.agents``, ``accord.protocols``, ``accord.broker``, ``accord.scenarios``).
"""

from accord.agents import STRATEGIES, AgentContext, Response, Strategy, TurnState
from accord.errors import AccordError, InputError, PartyFault, ScenarioError
from accord.model import OutcomeSpace, Profile
from accord.protocols import MECHANISMS, Deadline, Mechanism, Session
from accord.result import NegotiationResult, write_outputs
from accord.runner import Negotiation, negotiate, run
from accord.scenarios import Scenario, load_scenario, parse_scenario
from accord.wire import Envelope, Performative

__all__ = [
    "MECHANISMS",
    "STRATEGIES",
    "AccordError",
    "AgentContext",
    "Deadline",
    "Envelope",
    "InputError",
    "Mechanism",
    "Negotiation",
    "NegotiationResult",
    "OutcomeSpace",
    "PartyFault",
    "Performative",
    "Profile",
    "Response",
    "Scenario",
    "ScenarioError",
    "Session",
    "Strategy",
    "TurnState",
    "load_scenario",
    "negotiate",
    "parse_scenario",
    "run",
    "write_outputs",
]

__version__ = "0.1.0"
