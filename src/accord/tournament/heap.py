"""Keeping what a tournament starts with out of the cyclic garbage collector's way.

A tournament allocates envelopes, dicts and coroutines by the million, so CPython's cyclic
collector runs often, and each of its full passes walks every container object of the process:
the imported modules, the scenarios, the bound profiles. One such pass took ~40 ms on our
machines, about 7% of a 64-negotiation tournament that needs one or two of them.
:func:`gc.freeze` moves every object that exists now into a permanent generation that
collections skip; reference counting still frees them as usual. :func:`frozen_heap` undoes it
when the block ends, so a garbage cycle that existed before is still collected later.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["frozen_heap"]

_lock = threading.Lock()
_depth = 0
"""Blocks open now: only the outermost freezes and unfreezes."""


@contextmanager
def frozen_heap() -> Iterator[None]:
    """While the block runs, the objects that exist on entry are out of the collector's
    passes; nested blocks (two tournaments in two threads) share the outermost freeze."""
    global _depth  # noqa: PLW0603  # the collector is process-wide state too
    with _lock:
        if _depth == 0:
            gc.freeze()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.unfreeze()
