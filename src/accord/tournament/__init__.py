"""Tournaments: strategies x scenarios x mechanisms x repetitions, every seat assignment,
results one row per negotiation, resumable, summarised per strategy with confidence
intervals (``accord tournament``)."""

from accord.tournament.executors import Executor, ProcessExecutor, SerialExecutor, default_workers
from accord.tournament.plan import Job, derive_seed, plan
from accord.tournament.spec import (
    MechanismEntry,
    ScenarioEntry,
    StrategyEntry,
    TournamentSpec,
    load_spec,
    parse_spec,
)
from accord.tournament.summary import Estimate, StrategySummary, summarise
from accord.tournament.tournament import Tournament, TournamentRun, run_tournament
from accord.tournament.worker import Player, play

__all__ = [
    "Estimate",
    "Executor",
    "Job",
    "MechanismEntry",
    "Player",
    "ProcessExecutor",
    "ScenarioEntry",
    "SerialExecutor",
    "StrategyEntry",
    "StrategySummary",
    "Tournament",
    "TournamentRun",
    "TournamentSpec",
    "default_workers",
    "derive_seed",
    "load_spec",
    "parse_spec",
    "plan",
    "play",
    "run_tournament",
    "summarise",
]
