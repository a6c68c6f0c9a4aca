"""After the agreement: charters, KPI reports, monitoring (docs/lifecycle.md)."""

from accord.lifecycle.charter import DAY_NS, Charter, CharterKpi, charter_for, parse_charter
from accord.lifecycle.kpis import COLLECTIVE, CharterSpec, KpiSpec
from accord.lifecycle.member import AgreedTerms, CharterPolicy, answer_sign, report, report_seq
from accord.lifecycle.monitor import Monitor, Observation, Verdict
from accord.lifecycle.sealing import Sealing, seal

__all__ = [
    "COLLECTIVE",
    "DAY_NS",
    "AgreedTerms",
    "Charter",
    "CharterKpi",
    "CharterPolicy",
    "CharterSpec",
    "KpiSpec",
    "Monitor",
    "Observation",
    "Sealing",
    "Verdict",
    "answer_sign",
    "charter_for",
    "parse_charter",
    "report",
    "report_seq",
    "seal",
]
