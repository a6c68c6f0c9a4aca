"""The one error hierarchy of accord.

Every error raised on purpose by accord derives from :class:`AccordError`. Subclasses say who
is at fault: the input a user gave (:class:`InputError` and below), a party in a negotiation
(:class:`PartyFault` and below), or accord itself (anything else, reported as an internal
failure by the CLI).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AccordError",
    "BusError",
    "ClusterError",
    "DeadlineReached",
    "GeniusImportError",
    "GeniusWebImportError",
    "HandshakeTimeout",
    "HostLost",
    "InputError",
    "LedgerError",
    "OutcomeError",
    "OutcomeSpaceTooLarge",
    "PartyFailed",
    "PartyFault",
    "PartyLost",
    "PluginError",
    "PolicyError",
    "ProtocolViolation",
    "ScenarioError",
    "StrategyOvertime",
    "StrategyStuck",
    "TournamentSpecError",
    "TurnTimeout",
]


def located(message: str, source: str, line: int | None, part: str) -> str:
    """``source[:line]: [part: ]message``: where in which file an input error is."""
    where = source if line is None else f"{source}:{line}"
    return f"{where}: {part}: {message}" if part else f"{where}: {message}"


class AccordError(Exception):
    """Root of every error accord raises on purpose."""


class InputError(AccordError):
    """The user's input is wrong: a file, an argument, a parameter. The CLI exits with 2."""


class ScenarioError(InputError):
    """A scenario file is invalid; names the file, the field path and, where known, the line.

    A file with several problems raises one error for the first, with the rest in
    ``others``; its text has every problem, one line each."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        field: str = "",
        line: int | None = None,
        others: Sequence[ScenarioError] = (),
    ) -> None:
        self.message = message
        self.source = source
        self.field = field
        self.line = line
        self.others = tuple(others)
        super().__init__(located(message, source or "<scenario>", line, field))

    @property
    def problems(self) -> tuple[ScenarioError, ...]:
        """This problem and every other one of the file, in order."""
        return (self, *self.others)

    def __str__(self) -> str:
        return "\n".join(
            located(p.message, p.source or "<scenario>", p.line, p.field) for p in self.problems
        )


class PolicyError(ScenarioError):
    """An audit policy file is invalid; names the file, the field path and the line, like a
    scenario error."""


class TournamentSpecError(ScenarioError):
    """A tournament spec is invalid; names the file, the field path and, where known, the
    line, like a scenario error."""


class GeniusImportError(InputError):
    """A GENIUS domain folder cannot be imported, or not exactly; names the file, the element
    and, where known, its line."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        element: str = "",
        line: int | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.element = element
        self.line = line
        super().__init__(located(message, source or "<genius>", line, element))


class GeniusWebImportError(InputError):
    """A GeniusWeb domain folder cannot be imported, or not exactly; names the file and the
    JSON path of the problem (``$.LinearAdditiveUtilitySpace.issueWeights.price``) and, for
    JSON that does not parse, the line."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        path: str = "",
        line: int | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.path = path
        self.line = line
        super().__init__(located(message, source or "<geniusweb>", line, path))


class PluginError(InputError):
    """A strategy or mechanism cannot be found, imported or registered."""


class OutcomeError(InputError):
    """An outcome does not belong to its outcome space (unknown issue, value out of range)."""


class OutcomeSpaceTooLarge(InputError):
    """An outcome space was asked to enumerate more outcomes than its configured limit."""


class ClusterError(InputError):
    """A compute cluster given by the user (``--executor dask://HOST:PORT``) cannot be reached
    or cannot run accord; names its address. The CLI exits with 2."""

    def __init__(self, address: str, detail: str) -> None:
        self.address = address
        self.detail = detail
        super().__init__(f"Dask cluster at {address}: {detail}")


class BusError(AccordError):
    """A transport cannot do what was asked (a participant subscribed twice, a lost broker)."""


class HandshakeTimeout(AccordError):
    """Not every party joined the negotiation in time; ``missing`` names who did not."""

    def __init__(self, missing: list[str], timeout: float, negotiation_id: str = "") -> None:
        self.missing = missing
        serving = f" for {negotiation_id}" if negotiation_id else ""
        super().__init__(
            f"parties {missing!r} did not join within {timeout:g} s; is their agent running"
            f"{serving}, on this broker, with the same scenario and --seed?"
        )


class HostLost(AccordError):
    """An agent's negotiation ended without a result: the host's last will arrived, or the
    host was silent far beyond any turn (its process died, or hangs)."""


class StrategyOvertime(AccordError):
    """A strategy call ran past its time and the watchdog interrupted it
    (:mod:`accord.agents.watchdog`); the agent sends nothing for that turn, so the host's turn
    timeout names the party."""

    def __init__(self, method: str, seconds: float) -> None:
        super().__init__(f"{method}() ran past its {seconds:g} s and was interrupted")
        self.method = method
        self.seconds = seconds


class StrategyStuck(AccordError):
    """A strategy call ran far past its turn without returning to the interpreter (C code),
    and the guard of the tournament's worker pool killed its worker process."""


class DeadlineReached(AccordError):  # an ending, not a failure
    """The negotiation's deadline (rounds or seconds) has passed; raised to end it."""


class LedgerError(AccordError):
    """A transparency log, key, proof or commitment cannot be read, written or checked."""


class PartyFault(AccordError):
    """A party in a negotiation misbehaved; ``party`` names it, ``reason`` is a stable code."""

    reason = "party_fault"

    def __init__(self, party: str, detail: str, *, message_id: str | None = None) -> None:
        self.party = party
        self.detail = detail
        self.message_id = message_id
        super().__init__(f"party {party!r}: {detail}")


class ProtocolViolation(PartyFault):
    """A party broke the mechanism's rules (out of turn, invalid offer, malformed action)."""

    reason = "protocol_violation"

    def __init__(
        self, party: str, kind: str, detail: str, *, message_id: str | None = None
    ) -> None:
        self.kind = kind
        super().__init__(party, f"{kind}: {detail}", message_id=message_id)


class TurnTimeout(PartyFault):
    """A party did not answer a request within the per-turn timeout."""

    reason = "turn_timeout"


class PartyLost(PartyFault):
    """A party's connection ended without a goodbye (its MQTT last will arrived)."""

    reason = "party_lost"


class PartyFailed(PartyFault):
    """A party's strategy raised or could not produce an action; its runtime said so."""

    reason = "strategy_error"
