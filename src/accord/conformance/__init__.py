"""A conformance kit for agents written by others: a scripted host that plays the protocol
against one foreign agent over a real broker and says, check by check, what it got wrong."""

from accord.conformance.checks import Check, ConformanceReport
from accord.conformance.kit import run_conformance

__all__ = ["Check", "ConformanceReport", "run_conformance"]
