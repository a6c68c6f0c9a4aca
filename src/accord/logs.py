"""Where accord's log events go: through the standard library's ``logging``, never to stdout.

Every module of accord takes its logger from :func:`get_logger`: a structlog logger (events
are snake_case facts with ``negotiation_id``/``agent_id`` bound, rendered by whatever
structlog processors are configured) whose output goes to the standard library logger of the
same name (``accord.agent``, ``accord.session``, ...). As a library, accord configures
neither: an application that sets nothing up sees only warnings and errors, on stderr
(``logging``'s last-resort handler), and none of its own prints on stdout are interleaved with
accord's lines. ``logging.basicConfig(level=logging.INFO)`` or a handler on the ``accord``
logger shows the rest, wherever the application sends its logs.

The ``accord`` command chooses for itself (:func:`configure_cli`): warnings, or with
``--verbose`` every event, on stderr.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

__all__ = ["configure_cli", "get_logger"]


def get_logger(name: str) -> Any:
    """accord's logger ``name`` (under ``accord``): structlog in front, ``logging`` behind."""
    return structlog.wrap_logger(logging.getLogger(name))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]  # of the current stderr
    """Writes to ``sys.stderr`` as it is when each record is written: a stream bound once
    may have been swapped or closed since (a test runner, an embedding application)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass  # always the current stderr


def configure_cli(level: int) -> None:
    """How the ``accord`` command (and its worker processes) log: accord's events at
    ``level`` and above, rendered by structlog, on stderr; stdout stays the command's own."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("accord")
    logger.handlers = [handler]
    logger.setLevel(level)
    logger.propagate = False
