"""accord tournament: reproducible per negotiation, resumable without duplicates, seat-balanced,
with spec errors that name file, field and line, and crashes recorded as rows."""

from __future__ import annotations

import asyncio
import collections
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import accord.analysis
import accord.tournament.executors
import accord.tournament.worker
import accord.tournament.workload
from accord.broker.embedded import embedded_broker
from accord.errors import InputError, PluginError, TournamentSpecError
from accord.runner import negotiate, run
from accord.scenarios import parse_scenario
from accord.tournament import (
    Player,
    ProcessExecutor,
    SerialExecutor,
    Tournament,
    TournamentRun,
    derive_seed,
    load_spec,
    parse_spec,
    play,
    run_tournament,
)
from accord.tournament.executors import _start_method, batch_size
from accord.tournament.plan import Job
from accord.tournament.results import read_results
from accord.tournament.rows import columns
from accord.tournament.summary import estimate
from conftest import make_scenario

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ("y2013/Coffee", "y2010/ItexvsCypress")  # 112 and 180 outcomes, two parties each
STRATEGIES = ["boulware", "conceder", "linear", "random"]
VARYING = {"wall_time_s"}  # the only column that differs between identical runs


def write_spec(folder: Path, corpus: Path, **changes: Any) -> Path:
    data: dict[str, Any] = {
        "name": "test tournament",
        "seed": 11,
        "strategies": STRATEGIES,
        "scenarios": [str(corpus / "genius" / domain) for domain in DOMAINS],
        "mechanisms": [{"name": "saop", "deadline": {"rounds": 20}}],
        "repetitions": 2,
    }
    data |= changes
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def coffee_spec(folder: Path, corpus: Path, faulty: str, *, repetitions: int) -> Path:
    """A spec of ``linear`` against the strategy ``faulty`` on Coffee alone."""
    coffee = str(corpus / "genius" / DOMAINS[0])
    return write_spec(
        folder, corpus, strategies=["linear", faulty], scenarios=[coffee], repetitions=repetitions
    )


def tournament_of(path: Path) -> Tournament:
    spec, base = load_spec(path)
    return Tournament.prepare(spec, base)


def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in VARYING} for row in rows]


@pytest.fixture(scope="module")
def spec_path(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_spec(tmp_path_factory.mktemp("spec"), corpus)


@pytest.fixture(scope="module")
def reference(spec_path: Path, tmp_path_factory: pytest.TempPathFactory) -> TournamentRun:
    """The whole tournament, uninterrupted, in this process."""
    return run_tournament(tournament_of(spec_path), tmp_path_factory.mktemp("reference"))


# -- reproducibility and balance ---------------------------------------------------------------


@pytest.mark.corpus
def test_a_whole_tournament_writes_every_file(reference: TournamentRun) -> None:
    assert reference.complete
    assert reference.total == 2 * 16 * 2  # domains x ordered pairs of 4 x repetitions
    assert reference.failed == 0
    assert [row["index"] for row in reference.rows] == list(range(reference.total))
    for name in ("tournament.json", "results.csv", "summary.csv", "utility.png", "agreement.png"):
        assert (reference.out / name).stat().st_size > 0
    assert [s.strategy for s in reference.summaries] == STRATEGIES
    for summary in reference.summaries:
        assert summary.negotiations == 32  # 2 domains x 2 repetitions x 8 seats
        utility = summary.estimates["utility"]
        assert utility.low is not None
        assert utility.high is not None
        assert utility.mean is not None
        assert utility.low <= utility.mean <= utility.high
    row = reference.rows[0]
    assert row["key"] == "Coffee|saop-r20|boulware|boulware|0"
    assert row["seed"] == derive_seed(11, row["key"])
    assert row["distance_nash"] is not None
    assert row["role1_utility"] is not None


@pytest.mark.corpus
@pytest.mark.slow
def test_the_same_spec_gives_the_same_results_in_a_worker_pool(
    spec_path: Path, reference: TournamentRun, tmp_path: Path
) -> None:
    again = run_tournament(tournament_of(spec_path), tmp_path, executor=ProcessExecutor(2))
    assert comparable(again.rows) == comparable(reference.rows)
    random_rows = {row["key"]: row for row in again.rows if "random" in row["assignment"]}
    # repetitions of the random strategy differ (their seeds do), but each is reproduced
    assert (
        random_rows["Coffee|saop-r20|random|random|0"]["seed"]
        != (random_rows["Coffee|saop-r20|random|random|1"]["seed"])
    )


@pytest.mark.corpus
def test_each_strategy_sits_in_each_role_equally_often(reference: TournamentRun) -> None:
    seats = collections.Counter(
        (row[f"role{role}_strategy"], role) for row in reference.rows for role in (1, 2)
    )
    assert set(seats.values()) == {16}  # 2 domains x 4 opponents x 2 repetitions
    assert len(seats) == len(STRATEGIES) * 2


@pytest.mark.corpus
def test_distinct_assignments_never_pit_a_strategy_against_itself(
    corpus: Path, tmp_path: Path
) -> None:
    tournament = tournament_of(write_spec(tmp_path, corpus, assignments="distinct"))
    assert len(tournament.jobs) == 2 * 12 * 2  # domains x permutations of 4 in 2 x reps
    assert all(len(set(job.strategies)) == 2 for job in tournament.jobs)
    seats = collections.Counter(
        (s, role) for job in tournament.jobs for role, s in enumerate(job.strategies)
    )
    assert set(seats.values()) == {12}


@pytest.mark.corpus
def test_profiles_bound_once_per_process_give_the_results_of_profiles_bound_afresh(
    spec_path: Path, reference: TournamentRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = negotiate
    given: set[int] = set()

    async def binds_afresh(scenario: Any, **kwargs: Any) -> Any:
        given.update(id(bound) for bound in kwargs.pop("profiles").values())
        return await real(scenario, **kwargs)

    monkeypatch.setattr(accord.tournament.worker, "negotiate", binds_afresh)
    afresh = run_tournament(tournament_of(spec_path), tmp_path)
    assert len(given) == 2 * 2  # the worker offered one bound profile per scenario and party
    assert comparable(afresh.rows) == comparable(reference.rows)  # the reference reused them


@pytest.mark.corpus
def test_outcome_metrics_computed_once_per_outcome_are_those_of_each_row(
    spec_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = accord.analysis.OutcomeMeter.__call__  # what the workload's meters run
    computed: list[Any] = []

    def counted(meter: accord.analysis.OutcomeMeter, outcome: Any) -> Any:
        computed.append(outcome)
        return real(meter, outcome)

    monkeypatch.setattr(accord.analysis.OutcomeMeter, "__call__", counted)
    tournament = tournament_of(spec_path)
    rows = run_tournament(tournament, tmp_path).rows
    assert len(computed) == len({(row["scenario"], row["outcome"]) for row in rows}) < len(rows)
    for row in rows:
        scenario = tournament.workload.scenarios[row["scenario"]]
        space = scenario.outcome_space()
        analysis = tournament.workload.analyses[row["scenario"]]
        assert analysis is not None
        afresh = accord.analysis.outcome_metrics(
            {p.id: p.profile.bind(space) for p in scenario.parties},
            analysis,
            None if row["outcome"] is None else json.loads(row["outcome"]),
        )
        assert (row["pareto_distance"], row["welfare_share"], row["gini"]) == (
            afresh.pareto_distance,
            afresh.welfare_share,
            afresh.gini,
        )
        assert row["distance_nash"] == afresh.distance_to.get("nash")


async def test_bound_profiles_of_another_scenario_are_refused() -> None:
    scenario = make_scenario("linear", "linear")
    other = make_scenario("linear", "linear")
    seller = other.parties[1]
    other = other.model_copy(
        update={"parties": [other.parties[0], seller.model_copy(update={"id": "vendor"})]}
    )
    space = other.outcome_space()
    profiles = {p.id: p.profile.bind(space) for p in other.parties}
    with pytest.raises(InputError, match="party 'seller' has none"):
        await negotiate(scenario, sign=False, profiles=profiles)


@pytest.mark.corpus
def test_a_player_cancels_what_a_negotiation_left_before_the_next(
    spec_path: Path, reference: TournamentRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = negotiate
    cancelled: list[str] = []

    async def lingers(name: str) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise

    async def leaves_a_task(scenario: Any, **kwargs: Any) -> Any:
        asyncio.get_running_loop().create_task(lingers(scenario.negotiation_id(kwargs["seed"])))
        return await real(scenario, **kwargs)

    tournament = tournament_of(spec_path)
    jobs = tournament.jobs[:3]
    afresh = [play(tournament.workload, job) for job in jobs]  # a new event loop each
    monkeypatch.setattr(accord.tournament.worker, "negotiate", leaves_a_task)
    with Player(tournament.workload) as player:
        for count, (job, expected) in enumerate(zip(jobs, afresh, strict=True), start=1):
            row = player.play(job)
            assert len(cancelled) == count  # this job's leftover, before the next job starts
            assert comparable([row]) == comparable([expected])
            assert row["status"] == "ok"


@pytest.mark.corpus
async def test_a_player_called_inside_a_running_loop_plays_in_a_helper_thread(
    spec_path: Path,
) -> None:
    tournament = tournament_of(spec_path)
    jobs = tournament.jobs[:2]
    with Player(tournament.workload) as player:
        rows = [player.play(job) for job in jobs]  # blocks this loop, by design
    afresh = [play(tournament.workload, job) for job in jobs]
    assert comparable(rows) == comparable(afresh)
    assert {row["status"] for row in rows} == {"ok"}


# -- interruption and resumption ---------------------------------------------------------------


@pytest.mark.corpus
def test_killed_then_resumed_gives_the_uninterrupted_results(
    spec_path: Path, reference: TournamentRun, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "accord", "tournament", str(spec_path)]
    command += ["--out", str(out), "--workers", "1", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    results = out / "results.csv"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        if results.exists() and results.read_bytes().count(b"\n") > 10:
            break
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.stderr is not None
    process.stderr.close()
    done = results.read_bytes().count(b"\n") - 1
    assert 10 <= done < reference.total, "the run was not interrupted midway"
    with results.open("a", encoding="utf-8") as handle:  # as if killed in the middle of a row
        handle.write(f"{done},Coffee|saop-r20|linear|lin")

    resumed = run_tournament(tournament_of(spec_path), out)
    assert resumed.resumed == done
    assert resumed.played == reference.total - done
    assert comparable(resumed.rows) == comparable(reference.rows)
    keys = [line.split(",")[1] for line in results.read_text().splitlines()[1:]]
    assert len(keys) == len(set(keys)) == reference.total  # no duplicates, nothing missing


def test_batches_grow_with_short_negotiations_and_shrink_towards_the_end() -> None:
    assert batch_size(1000, 2, None) == 1  # nothing timed yet
    assert batch_size(1000, 2, 0.005) == 10  # ~50 ms of negotiations
    assert batch_size(1000, 2, 0.0001) == 16  # at most
    assert batch_size(1000, 2, 2.0) == 1  # long negotiations go one by one
    assert batch_size(24, 2, 0.005) == 3  # a quarter of each worker's share of what is left
    assert batch_size(5, 2, 0.005) == 1


@pytest.mark.corpus
def test_a_batch_lost_with_its_worker_is_played_again_job_by_job(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = coffee_spec(tmp_path, corpus, "faulty:KillsItsProcess", repetitions=3)
    tournament = tournament_of(spec)
    innocent = [job for job in tournament.jobs if "faulty" not in "".join(job.strategies)]
    killer = next(job for job in tournament.jobs if "faulty" in "".join(job.strategies))
    monkeypatch.setattr(accord.tournament.executors, "batch_size", lambda *_: 2)
    # one worker, batches of two: [a, b] plays; [c, killer] dies with the worker, and then
    # c and the killer are played alone, in that order, on a new worker
    jobs = [*innocent[:3], killer]
    rows = {row["key"]: row for row in ProcessExecutor(1).run(tournament.workload, jobs)}
    assert set(rows) == {job.key for job in jobs}
    assert [rows[job.key]["status"] for job in innocent[:3]] == ["ok"] * 3
    assert rows[killer.key]["status"] == "failed"
    assert "terminated abruptly" in str(rows[killer.key]["error"])


def test_workers_are_forked_only_while_no_other_thread_runs() -> None:
    # forking a process with another thread can copy a lock that thread holds
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait, name="holds-nothing-but-counts")
    helper.start()
    try:
        assert _start_method().get_start_method() == "forkserver"
    finally:
        stop.set()
        helper.join()
    if threading.active_count() == 1:  # other tests may have left a daemon thread behind
        assert _start_method().get_start_method() == "fork"


@pytest.mark.corpus
def test_stop_after_then_resume_gives_the_uninterrupted_results(
    spec_path: Path, reference: TournamentRun, tmp_path: Path
) -> None:
    first = run_tournament(tournament_of(spec_path), tmp_path, stop_after=9)
    assert (first.played, len(first.rows), first.complete) == (9, 9, False)
    second = run_tournament(tournament_of(spec_path), tmp_path)
    assert (second.resumed, second.played, second.complete) == (9, reference.total - 9, True)
    assert comparable(second.rows) == comparable(reference.rows)
    third = run_tournament(tournament_of(spec_path), tmp_path)
    assert third.played == 0


@pytest.mark.corpus
def test_no_plots_draws_none_and_removes_stale_ones(spec_path: Path, tmp_path: Path) -> None:
    first = run_tournament(tournament_of(spec_path), tmp_path, stop_after=4)
    assert [f.name for f in first.figures] == ["utility.png", "agreement.png"]
    command = [sys.executable, "-m", "accord", "tournament", str(spec_path)]
    done = subprocess.run(  # noqa: S603
        [*command, "--out", str(tmp_path), "--no-plots", "--no-progress", "--stop-after", "4"],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    # figures of 4 negotiations next to a summary of 8 would mislead: they are gone
    assert not list(tmp_path.glob("*.png"))
    assert "summary.csv (4 negotiations played now, 4 found done" in done.stdout
    assert (tmp_path / "summary.csv").stat().st_size > 0


@pytest.mark.corpus
def test_a_changed_spec_is_refused_naming_what_changed(
    corpus: Path, spec_path: Path, reference: TournamentRun, tmp_path: Path
) -> None:
    changed = write_spec(tmp_path, corpus, seed=12, repetitions=3)
    with pytest.raises(InputError, match=r"differs in: repetitions \(2 before, 3 now\); seed"):
        run_tournament(tournament_of(changed), reference.out)


def test_a_torn_last_line_is_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    names = columns(2)
    row = ["" for _ in names]
    row[names.index("index")], row[names.index("key")], row[names.index("status")] = "0", "k", "ok"
    path.write_text(",".join(names) + "\n" + ",".join(row) + "\n" + "1,k2,ok,", encoding="utf-8")
    assert list(read_results(path, names, 2)) == ["k"]
    assert path.read_text(encoding="utf-8").endswith(",".join(row) + "\n")


# -- failures ----------------------------------------------------------------------------------


@pytest.mark.corpus
def test_a_failing_strategy_gives_a_fault_row_and_a_crash_a_failed_row(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = coffee_spec(tmp_path, corpus, "faulty:Raises", repetitions=1)
    real = negotiate

    async def crashes_once(scenario: Any, **kwargs: Any) -> Any:
        if [p.strategy.name for p in scenario.parties] == ["linear", "linear"]:
            raise RuntimeError("the bus caught fire")
        return await real(scenario, **kwargs)

    monkeypatch.setattr(accord.tournament.worker, "negotiate", crashes_once)
    done = run_tournament(tournament_of(spec), tmp_path / "out")
    assert done.complete
    by_assignment = {row["assignment"]: row for row in done.rows}
    crashed = by_assignment["linear|linear"]
    assert crashed["status"] == "failed"
    assert crashed["error"] == "RuntimeError: the bus caught fire"
    assert crashed["role1_utility"] is None
    faulted = by_assignment["linear|faulty:Raises"]
    assert (faulted["status"], faulted["reason"]) == ("ok", "strategy_error")
    assert faulted["responsible"] == faulted["role2_party"]
    summaries = {s.strategy: s for s in done.summaries}
    assert summaries["faulty:Raises"].faults == 3  # every negotiation it took part in
    assert summaries["linear"].failed == 2  # both seats of the crashed negotiation
    assert summaries["linear"].faults == 0


def test_retry_failed_plays_the_failed_rows_again_and_replaces_them(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = coffee_spec(tmp_path, corpus, "conceder", repetitions=1)
    real = negotiate

    async def environment_fails(scenario: Any, **kwargs: Any) -> Any:
        if [p.strategy.name for p in scenario.parties] == ["linear", "conceder"]:
            raise PluginError("unknown strategy 'conceder' (not installed on this worker)")
        return await real(scenario, **kwargs)

    monkeypatch.setattr(accord.tournament.worker, "negotiate", environment_fails)
    first = run_tournament(tournament_of(spec), tmp_path / "out")
    assert first.failed == 1
    monkeypatch.setattr(accord.tournament.worker, "negotiate", real)
    resumed = run_tournament(tournament_of(spec), tmp_path / "out")  # a failed row is done
    assert (resumed.played, resumed.failed) == (0, 1)
    retried = run_tournament(tournament_of(spec), tmp_path / "out", retry_failed=True)
    assert (retried.played, retried.failed) == (1, 0)
    assert retried.complete
    row = next(r for r in retried.rows if r["assignment"] == "linear|conceder")
    assert row["status"] == "ok"
    assert row["role1_utility"] is not None
    assert {s.strategy: s.failed for s in retried.summaries} == {"linear": 0, "conceder": 0}


# -- bad specs ---------------------------------------------------------------------------------

GOOD = """\
name: bad
strategies:
  - boulware
  - conceder
scenarios:
  - {path: SCENARIO}
mechanisms:
  - {name: saop, deadline: {rounds: 10}}
repetitions: 1
"""


@pytest.mark.parametrize(
    ("old", "new", "field", "line", "message"),
    [
        ("  - conceder", "  - concedr", "strategies[1].name", 4, "unknown strategy 'concedr'"),
        (
            "  - conceder",
            "  - {name: linear, params: {speed: 2}}",
            "strategies[1].params",
            4,
            "bad parameters",
        ),
        ("repetitions: 1", "repetitions: 0", "repetitions", 9, "greater than or equal to 1"),
        ("repetitions: 1", "repetition: 1", "repetition", 9, "unknown field"),
        ("SCENARIO", "nowhere.yaml", "scenarios[0].path", 6, "no such file or folder"),
        ("  - conceder", "  - boulware", "strategies[1]", 4, "'boulware' is listed twice"),
        ("rounds: 10", "rounds: -1", "mechanisms[0].deadline.rounds", 8, "greater than or"),
        ("name: saop", "name: auction", "mechanisms[0].name", 8, "unknown mechanism"),
        ("name: bad", "name: bad\nname: again", "", 2, "duplicate key 'name'"),
    ],
)
def test_a_bad_spec_names_file_field_and_line(
    tmp_path: Path, *, old: str, new: str, field: str, line: int, message: str
) -> None:
    text = GOOD.replace(old, new).replace("SCENARIO", str(ROOT / "scenarios" / "platform-isv.yaml"))
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TournamentSpecError) as caught:
        load_spec(path)
    error = caught.value
    assert (error.source, error.field, error.line) == (str(path), field, line)
    assert message in error.message
    assert str(error).startswith(f"{path}:{line}: ")


def test_a_valid_spec_parses_with_defaults() -> None:
    spec = parse_spec("strategies: [linear]\nscenarios: [x.yaml]\n")
    assert (spec.repetitions, spec.assignments, spec.seed, spec.sign) == (1, "ordered", 0, False)
    assert [m.title for m in spec.mechanisms] == ["saop-r100"]
    assert spec.strategies[0].title == "linear"


def test_the_cli_reports_a_bad_spec_with_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("strategies: [linear]\nscenarios: [missing.yaml]\n", encoding="utf-8")
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "accord", "tournament", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"COLUMNS": "200"},
    )
    assert done.returncode == 2
    assert f"{path}:2: scenarios[0].path: no such file or folder" in done.stderr


# -- reproducing one negotiation ----------------------------------------------------------------


@pytest.mark.corpus
def test_one_negotiation_is_reproduced_from_its_scenario_and_seed(
    spec_path: Path, reference: TournamentRun
) -> None:
    tournament = tournament_of(spec_path)
    row = next(r for r in reference.rows if r["assignment"] == "random|conceder")
    job: Job = tournament.job(row["key"])
    scenario = parse_scenario(
        yaml.safe_dump(tournament.workload.scenario_for(job).model_dump(mode="json"))
    )
    result = run(scenario).result  # signed, as accord run does
    assert result.seed == row["seed"]
    assert (result.reason, result.rounds) == (row["reason"], row["rounds"])
    assert [p.utility for p in result.parties] == [row["role1_utility"], row["role2_utility"]]


def test_confidence_intervals_are_t_intervals() -> None:
    e = estimate([1.0, 2.0, 3.0])
    assert e.mean == 2.0
    assert e.low is not None
    assert e.high is not None
    assert e.high - 2.0 == pytest.approx(4.302653 * 1.0 / 3**0.5, rel=1e-6)
    assert estimate([5.0]).low is None
    assert estimate([]).mean is None


@pytest.mark.corpus
def test_parquet_has_the_rows_in_plan_order_with_types(reference: TournamentRun) -> None:
    parquet: Any = importlib.import_module("pyarrow.parquet")  # the test extra installs it
    assert reference.parquet
    table = parquet.read_table(reference.out / "results.parquet")
    assert table.column("index").to_pylist() == list(range(reference.total))
    assert str(table.schema.field("error").type) == "string"
    assert str(table.schema.field("role1_utility").type) == "double"


@pytest.mark.corpus
@pytest.mark.mqtt
async def test_over_an_mqtt_broker_the_results_are_those_of_the_memory_bus(
    corpus: Path, tmp_path: Path
) -> None:
    coffee = str(corpus / "genius" / DOMAINS[0])
    spec = write_spec(tmp_path, corpus, strategies=STRATEGIES[:2], scenarios=[coffee])
    tournament = tournament_of(spec)
    memory = run_tournament(tournament, tmp_path / "memory")
    async with embedded_broker() as address:
        executor = SerialExecutor(address.url())
        mqtt = await asyncio.to_thread(
            run_tournament, tournament, tmp_path / "mqtt", executor=executor
        )
    assert mqtt.failed == 0
    assert comparable(mqtt.rows) == comparable(memory.rows)


def test_the_example_spec_seats_every_strategy_equally_with_three_and_four_parties() -> None:
    tournament = tournament_of(ROOT / "scenarios" / "tournaments" / "partnerships.yaml")
    assert len(tournament.jobs) == 3**2 + 3**3 + 3**4
    assert tournament.roles == 4
    for scenario, parties in (("platform-isv", 2), ("urban-redevelopment", 3), ("restoration", 4)):
        jobs = [job for job in tournament.jobs if job.scenario == scenario]
        seats = collections.Counter(
            (s, role) for job in jobs for role, s in enumerate(job.strategies)
        )
        assert len(seats) == 3 * parties
        assert set(seats.values()) == {3 ** (parties - 1)}


@pytest.mark.slow
def test_a_strategy_stuck_where_the_watchdog_cannot_reach_is_ended_with_its_party_named(
    tmp_path: Path,
) -> None:
    """A call that never returns to the interpreter (here it blocks the watchdog's signal)
    has its worker killed by the guard: a failed row naming the party; the rest plays on."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "name": "stuck",
                "seed": 3,
                "strategies": ["linear", "faulty:BlocksTheWatchdog"],
                "scenarios": [str(ROOT / "scenarios" / "platform-isv.yaml")],
                "mechanisms": [{"name": "saop", "deadline": {"rounds": 20, "turn_timeout": 1}}],
                "repetitions": 1,
            }
        )
    )
    tournament = tournament_of(spec)
    began = time.monotonic()
    rows = {row["key"]: row for row in ProcessExecutor(2).run(tournament.workload, tournament.jobs)}
    took = time.monotonic() - began
    assert set(rows) == {job.key for job in tournament.jobs}
    stuck = [job for job in tournament.jobs if "faulty:BlocksTheWatchdog" in job.strategies]
    assert len(stuck) == 3  # in either seat, and against itself
    for job in stuck:
        row = rows[job.key]
        assert row["status"] == "failed"
        assert "StrategyStuck" in str(row["error"])
        seat = job.strategies.index("faulty:BlocksTheWatchdog")
        party = ["platform", "isv"][seat]
        assert f"party {party!r} was" in str(row["error"])
    clean = next(job for job in tournament.jobs if job.strategies == ("linear", "linear"))
    assert rows[clean.key]["status"] == "ok"
    assert took < 60  # each stuck job costs its turn and the guard's grace, not forever
