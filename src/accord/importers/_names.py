"""accord names for the names of other formats: issue names and party ids.

GENIUS and GeniusWeb names may hold spaces and punctuation, which accord issue names and party
ids may not: they are rewritten (``Size of Fund`` -> ``Size_of_Fund``, ``Price($)`` ->
``Price``), made unique with a numbered suffix, and the importers keep the original name in a
description.
"""

from __future__ import annotations

import re

from accord.wire import HOST

__all__ = ["issue_name", "party_id"]

_ISSUE_MAX = 100
_PARTY_MAX = 64


def issue_name(foreign: str, taken: set[str]) -> str:
    """A valid, unused accord issue name for ``foreign`` (added to ``taken``)."""
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "_", foreign).strip("_") or "issue"
    if not re.match(r"[A-Za-z_]", name):
        name = "_" + name
    name = name[:_ISSUE_MAX]
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        suffix = f"_{n}"
        candidate = name[: _ISSUE_MAX - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def party_id(stem: str, taken: set[str]) -> str:
    """A valid, unused party id made from a profile's file name (added to ``taken``)."""
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "-", stem)
    name = re.sub(r"^[^A-Za-z0-9]+", "", name)[:_PARTY_MAX].rstrip("-_.") or "party"
    if name == HOST:
        name = f"{HOST}-party"
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = name[: _PARTY_MAX - len(suffix)] + suffix
    taken.add(candidate)
    return candidate
