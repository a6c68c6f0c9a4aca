"""The outcome of a conformance run: one line per check of docs/protocol.md."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["Check", "ConformanceReport"]

Status = Literal["pass", "fail", "skipped"]


class Check(BaseModel):
    """One rule of the protocol and how the agent under test did on it."""

    model_config = ConfigDict(frozen=True)

    name: str
    rule: str
    """The rule, as docs/protocol.md states it."""
    status: Status
    detail: str = ""
    """What was seen (a failure says what was expected and what arrived)."""


class ConformanceReport(BaseModel):
    """Every check, in the order they were made."""

    negotiation_id: str
    party: str
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def lines(self) -> list[str]:
        marks = {"pass": "PASS", "fail": "FAIL", "skipped": "SKIP"}
        out = [f"conformance of {self.party!r} in {self.negotiation_id}"]
        for check in self.checks:
            out.append(f"{marks[check.status]}  {check.name}: {check.rule}")
            if check.detail:
                out.append(f"      {check.detail}")
        failed = sum(c.status == "fail" for c in self.checks)
        out.append(f"{len(self.checks) - failed} of {len(self.checks)} checks passed")
        return out
