"""Plug-in strategies run inline, and the watchdog interrupts one that runs past its turn.

No test here may pass by running the strategy on a worker thread: each checks that no
``strategy-*`` thread was made, or calls the guarded executor itself.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import faulty
from accord.agents.executor import GuardedExecutor, InlineExecutor, make_executor
from accord.agents.watchdog import WATCHDOG, available
from accord.errors import StrategyOvertime
from accord.runner import negotiate
from accord.tournament import ProcessExecutor
from accord.tournament.guard import GRACE_S, CallBoard
from conftest import make_scenario, scenario_data
from test_cli import accord
from test_tournament import DOMAINS, tournament_of, write_spec

pytestmark = pytest.mark.skipif(not available(), reason="needs POSIX timers in the main thread")


@pytest.fixture(autouse=True)
def _release_hung_strategies() -> Any:
    faulty.RELEASE.clear()
    yield
    faulty.RELEASE.set()


def _strategy_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("strategy-")]


# -- the executor on its own ------------------------------------------------------------------


def _sleep_then(seconds: float, value: str) -> str:
    time.sleep(seconds)
    return value


def _spin() -> None:
    while True:
        pass


def _swallow() -> None:
    while True:
        try:
            time.sleep(0.01)
        except Exception:  # noqa: BLE001, S112  # what a careless strategy does
            continue


@pytest.mark.parametrize(
    "blocks",
    [
        lambda: time.sleep(3600),
        lambda: threading.Event().wait(3600),
        _spin,
        _swallow,
    ],
    ids=["sleep", "event-wait", "busy-loop", "swallows-exception"],
)
def test_a_call_past_its_budget_is_interrupted(blocks: Any) -> None:
    executor = GuardedExecutor()
    try:
        executor.limit(0.2)
        began = time.monotonic()
        with pytest.raises(StrategyOvertime, match=r"ran past its 0.2 s"):
            executor.call(blocks)
        assert 0.15 < time.monotonic() - began < 2
        # no stale alarm: the next call, within its budget, returns
        executor.limit(0.2)
        assert executor.call(_sleep_then, 0.1, "in time") == "in time"
    finally:
        executor.close()


def test_a_call_within_its_budget_returns_its_value_and_the_handler_is_given_back() -> None:
    before = signal.getsignal(signal.SIGALRM)
    executor = GuardedExecutor()
    executor.limit(1.0)
    assert executor.call(lambda a, b: a + b, 2, 3) == 5
    with pytest.raises(ZeroDivisionError):
        executor.call(lambda: 1 / 0)
    executor.close()
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_budget_spent_between_calls_interrupts_only_the_next_call() -> None:
    """The timer is set once per budget and stays set between the calls of a turn: firing
    outside a call raises nothing there (it would land in the runtime's own code), and the
    next call of the spent budget is interrupted at once."""
    executor = GuardedExecutor("a")
    try:
        executor.limit(0.05)
        assert executor.call(lambda: "first") == "first"
        first = signal.getitimer(signal.ITIMER_REAL)
        assert executor.call(lambda: signal.getitimer(signal.ITIMER_REAL))[0] <= first[0]
        time.sleep(0.15)  # the budget runs out here, outside any call: no Overtime
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # it stopped itself
        began = time.monotonic()
        with pytest.raises(StrategyOvertime):
            executor.call(_sleep_then, 5.0, "never")
        assert time.monotonic() - began < 0.5
        executor.limit(1.0)  # a new budget: calls run again
        assert executor.call(lambda: "next turn") == "next turn"
    finally:
        executor.close()


def test_without_a_budget_nothing_is_armed() -> None:
    executor = GuardedExecutor()
    try:
        executor.limit(None)
        assert executor.call(lambda: signal.getitimer(signal.ITIMER_REAL)) == (0.0, 0.0)
    finally:
        executor.close()


async def test_an_async_method_that_blocks_between_awaits_is_interrupted() -> None:
    async def blocks() -> str:
        await asyncio.sleep(0)
        time.sleep(3600)  # noqa: ASYNC251  # the point: it blocks the event loop
        return "never"

    async def awaits() -> str:
        await asyncio.sleep(0.01)
        return "done"

    executor = GuardedExecutor()
    try:
        executor.limit(0.2)
        assert await executor.call(awaits) == "done"
        executor.limit(0.2)
        with pytest.raises(StrategyOvertime, match="blocks"):
            await executor.call(blocks)
    finally:
        executor.close()


def test_auto_runs_plugins_guarded_and_builtins_plain() -> None:
    from accord.agents import Linear  # noqa: PLC0415

    plugin = make_executor("auto", faulty.Hangs(), "strategy-x")
    builtin = make_executor("auto", Linear(), "strategy-y")
    try:
        assert isinstance(plugin, GuardedExecutor)
        assert isinstance(builtin, InlineExecutor)
    finally:
        plugin.close()
        builtin.close()
    assert WATCHDOG._holders == 0


# -- in a negotiation, in accord run, in a tournament -----------------------------------------


@pytest.mark.parametrize(
    "strategy",
    [
        "faulty:Hangs",
        "faulty:SpinsForever",
        "faulty:SleepsLong",
        "faulty:SwallowsErrors",
        "faulty:BlocksAsync",
    ],
)
async def test_a_hung_plugin_runs_inline_and_its_turn_times_out(strategy: str) -> None:
    scenario = make_scenario("linear", {"name": strategy}, deadline={"turn_timeout": 0.3})
    began = time.monotonic()
    negotiation = await asyncio.wait_for(negotiate(scenario), timeout=10)
    elapsed = time.monotonic() - began
    result = negotiation.result
    assert (result.reason, result.responsible) == ("turn_timeout", "seller")
    assert "did not answer within 0.3 s" in result.detail
    assert elapsed < 2.5  # one turn timeout, not two, and nothing left to wait for
    assert _strategy_threads() == []  # inline: no worker thread was made


async def test_a_hung_event_hook_is_interrupted_and_the_negotiation_goes_on() -> None:
    scenario = make_scenario(
        "linear", {"name": "faulty:HangsInEvent"}, deadline={"turn_timeout": 0.3}
    )
    negotiation = await asyncio.wait_for(negotiate(scenario), 10)
    assert negotiation.result.reason in ("agreement", "deadline")
    assert _strategy_threads() == []


def test_accord_run_ends_a_hung_plugin_with_the_party_named(tmp_path: Path) -> None:
    data = scenario_data("linear", {"name": "faulty:SleepsLong"})
    data["mechanism"]["deadline"] |= {"turn_timeout": 0.5}
    path = tmp_path / "hangs.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    began = time.monotonic()
    done = accord("run", path, "--out", tmp_path / "out", "--json")
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - began < 30
    result = json.loads(done.stdout)
    assert (result["reason"], result["responsible"]) == ("turn_timeout", "seller")
    written = json.loads((tmp_path / "out" / "result.json").read_text())
    assert written["responsible"] == "seller"


@pytest.mark.corpus
@pytest.mark.parametrize("workers", [None, 2], ids=["serial", "process-pool"])
def test_a_tournament_with_a_hung_plugin_names_it_in_its_rows(
    corpus: Path, tmp_path: Path, workers: int | None
) -> None:
    from accord.tournament import SerialExecutor  # noqa: PLC0415

    coffee = str(corpus / "genius" / DOMAINS[0])
    spec = write_spec(
        tmp_path,
        corpus,
        strategies=["linear", "faulty:SleepsLong"],
        scenarios=[coffee],
        repetitions=1,
        mechanisms=[{"name": "saop", "deadline": {"rounds": 10, "turn_timeout": 0.3}}],
    )
    tournament = tournament_of(spec)
    executor = SerialExecutor() if workers is None else ProcessExecutor(workers)
    began = time.monotonic()
    rows = list(executor.run(tournament.workload, tournament.jobs))
    assert time.monotonic() - began < 60
    assert len(rows) == len(tournament.jobs) == 4
    for row in rows:
        assert row["status"] == "ok", row
        if "faulty" in str(row["assignment"]):
            assert row["reason"] == "turn_timeout"
            seat = next(i for i in (1, 2) if row[f"role{i}_party"] == row["responsible"])
            assert row[f"role{seat}_strategy"] == "faulty:SleepsLong"
        else:
            assert row["reason"] != "turn_timeout"


def test_the_call_board_names_a_call_past_its_budget_and_grace() -> None:
    board = CallBoard(2)
    board.claim()
    board.job = 7
    board.mark("isv", 1.0)
    began = board.numbers[2]
    assert board.stuck(began + 1.0 + GRACE_S - 0.1) == []
    (stuck,) = board.stuck(began + 1.0 + GRACE_S + 0.1)
    assert (stuck.job, stuck.party, stuck.budget) == (7, "isv", 1.0)
    assert "party 'isv' was" in stuck.describe()
    board.clear()
    assert board.stuck(began + 100) == []
