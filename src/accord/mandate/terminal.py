"""The terminal approver: asks a person at a terminal, within the turn's time.

It shows the proposed action and outcome, the party's utility of it, why the mandate wants
approval and what the mandate says, then reads one line: ``y``/``yes`` approves, anything else
refuses. No answer before the turn runs out is a refusal (the runtime's timeout). Input is
read from a file descriptor without a thread (the event loop watches it), so an unanswered
prompt leaves nothing behind to steal the next answer.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from typing import TextIO

from accord.mandate.approvers import ApprovalRequest, Decision

__all__ = ["TerminalApprover"]


class TerminalApprover:
    """Asks at the terminal (``input_fd`` defaults to standard input, ``output`` is standard
    output); ``who`` is the name recorded with the decision (default: the login name)."""

    def __init__(self, who: str | None = None, input_fd: int | None = None) -> None:
        self.who = who or _login()
        self.input_fd = input_fd
        """Where answers are read; standard input (found when first asked) by default."""
        self.output: TextIO = sys.stdout
        self._buffer = b""

    async def approve(self, request: ApprovalRequest) -> Decision:
        self.output.write(prompt(request))
        self.output.flush()
        line = (await self._line()).strip().lower()
        approved = line in {"y", "yes"}
        self.output.write("approved\n" if approved else "refused\n")
        self.output.flush()
        return Decision(
            approved=approved,
            approver=f"{self.who} (terminal)",
            reason=f"answered {line!r}" if line else "answered nothing",
        )

    async def _line(self) -> str:
        """The next line typed (without waiting on a thread); cancelled by the caller's
        timeout."""
        loop = asyncio.get_running_loop()
        fd = sys.stdin.fileno() if self.input_fd is None else self.input_fd
        while b"\n" not in self._buffer:
            ready: asyncio.Future[bytes] = loop.create_future()

            def readable(future: asyncio.Future[bytes] = ready) -> None:
                if not future.done():
                    future.set_result(os.read(fd, 4096))

            loop.add_reader(fd, readable)
            try:
                chunk = await ready
            finally:
                loop.remove_reader(fd)
            if not chunk:  # end of input: nobody will answer
                return ""
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode(errors="replace")


def prompt(request: ApprovalRequest) -> str:
    """What the terminal approver shows."""
    utility = "unknown" if request.utility is None else f"{request.utility:.4f}"
    lines = [
        "",
        f"== approval needed: {request.party} in {request.negotiation_id}, round {request.round}",
        f"   action: {request.action} (answering {request.kind!r})",
        "   outcome:",
        *(f"     {issue} = {value!r}" for issue, value in request.outcome.items()),
        f"   utility to {request.party}: {utility} (reservation {request.reservation:.4f})",
        "   why approval: " + "; ".join(request.reasons),
        "   the mandate: " + request.mandate.model_dump_json(exclude_defaults=True),
        f"   approve? [y/N] (refused after {request.timeout:.0f} s) ",
    ]
    return "\n".join(lines)


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
