"""A reused event loop: each run as asyncio.run would do it, Ctrl-C included."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import os
import signal
from collections.abc import Iterator

import pytest

from accord.tournament.reused_loop import ReusedLoop

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


@pytest.fixture
def default_sigint() -> Iterator[None]:
    """Python's own Ctrl-C handler, whatever the test runner installed."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_each_run_starts_clean_and_nothing_it_left_survives_it() -> None:
    cancelled: list[str] = []

    async def lingers() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append("lingers")
            raise

    async def leaves_a_task() -> str:
        before = VAR.get()
        VAR.set("set by the first run")
        asyncio.get_running_loop().create_task(lingers())
        await asyncio.sleep(0)
        return before

    async def sees() -> tuple[str, int]:
        return VAR.get(), len(asyncio.all_tasks())

    runs = ReusedLoop()
    try:
        assert runs.run(leaves_a_task()) == "unset"
        assert cancelled == ["lingers"]  # before run returned
        assert runs.run(sees()) == ("unset", 1)  # its own task only, in a fresh context
    finally:
        runs.close()


def test_ctrl_c_cancels_the_run_which_then_raises_keyboard_interrupt(
    default_sigint: None,
) -> None:
    wound_down: list[bool] = []

    async def interrupted() -> None:
        os.kill(os.getpid(), signal.SIGINT)
        try:
            await asyncio.sleep(3600)
        finally:
            wound_down.append(True)

    runs = ReusedLoop()
    try:
        with pytest.raises(KeyboardInterrupt):
            runs.run(interrupted())
        assert wound_down == [True]
        with pytest.raises(KeyboardInterrupt):  # between runs: at once, as by default
            os.kill(os.getpid(), signal.SIGINT)
        assert runs.run(asyncio.sleep(0, result="still usable")) == "still usable"
    finally:
        runs.close()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_outside_the_main_thread_ctrl_c_is_left_alone() -> None:
    async def handler_seen() -> object:
        return signal.getsignal(signal.SIGINT)

    def in_thread() -> object:
        runs = ReusedLoop()
        try:
            return runs.run(handler_seen())
        finally:
            runs.close()

    before = signal.getsignal(signal.SIGINT)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(in_thread).result() is before
