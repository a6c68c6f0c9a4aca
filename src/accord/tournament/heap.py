"""Keeping what a tournament starts with out of the cyclic garbage collector's way.

A tournament allocates envelopes, dicts and coroutines by the million, so CPython's cyclic
collector runs often, and each of its full passes walks every container object of the process:
the imported modules, the scenarios, the bound profiles. One such pass took ~40 ms on our
machines, about 7% of a 64-negotiation tournament that needs one or two of them.
:func:`gc.freeze` moves every object that exists now into a permanent generation that
collections skip; reference counting still frees them as usual. :func:`frozen_heap` undoes it
when the block ends, so a garbage cycle that existed before is still collected later.

It also lets the youngest generation grow to :data:`YOUNG_THRESHOLD` objects before a pass
(CPython's default is 700): a negotiation's messages are freed by reference counting as it
goes, so most young passes found nothing to collect; they cost 6-9% of a tournament's CPU.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["YOUNG_THRESHOLD", "frozen_heap", "young_threshold_raised"]

YOUNG_THRESHOLD = 20_000
"""Allocations (less deallocations) of container objects before a pass of the youngest
generation, while a tournament plays (the default is 700)."""

_lock = threading.Lock()
_depth = 0
"""Blocks open now: only the outermost freezes and unfreezes."""
_thresholds = gc.get_threshold()
"""The collector's thresholds before the outermost block."""


def young_threshold_raised() -> tuple[int, int, int]:
    """Raise the youngest generation's threshold to :data:`YOUNG_THRESHOLD` (if lower);
    return the thresholds as they were."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], YOUNG_THRESHOLD), *before[1:])
    return before


@contextmanager
def frozen_heap() -> Iterator[None]:
    """While the block runs, the objects that exist on entry are out of the collector's
    passes and the youngest generation is collected less often; nested blocks (two
    tournaments in two threads) share the outermost freeze."""
    global _depth, _thresholds  # noqa: PLW0603  # the collector is process-wide state too
    with _lock:
        if _depth == 0:
            gc.freeze()
            _thresholds = young_threshold_raised()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.unfreeze()
                gc.set_threshold(*_thresholds)
