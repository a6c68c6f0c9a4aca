"""The tournament's frozen heap: objects alive on entry skip collections until the end."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from accord.tournament.heap import YOUNG_THRESHOLD, frozen_heap


@pytest.fixture(autouse=True)
def _no_strategy_threads_ending_meanwhile() -> None:
    """Let strategy threads that earlier tests released finish first: a thread that ends
    frees the frozen objects it held, and the freeze count would move under the test."""
    for thread in threading.enumerate():
        if thread.name.startswith("strategy-"):
            thread.join(5)


class _Node:
    def __init__(self) -> None:
        self.me = self


def test_objects_alive_on_entry_are_frozen_until_the_outermost_block_ends() -> None:
    before = gc.get_freeze_count()
    keep = [_Node() for _ in range(10)]
    with frozen_heap():
        frozen = gc.get_freeze_count()
        assert frozen >= before + len(keep)
        with frozen_heap():  # nested: shares the outer freeze
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == before
    assert keep


def test_the_youngest_generation_waits_longer_inside_and_as_before_after() -> None:
    before = gc.get_threshold()
    with frozen_heap():
        assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
        assert gc.get_threshold()[1:] == before[1:]
        with frozen_heap():
            assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
    assert gc.get_threshold() == before


def test_a_cycle_that_was_garbage_on_entry_is_collected_after_the_block() -> None:
    cycle = weakref.ref(_Node())  # unreachable at once: only the cyclic collector frees it
    with frozen_heap():
        gc.collect()
        assert cycle() is not None  # frozen: skipped
    gc.collect()
    assert cycle() is None
