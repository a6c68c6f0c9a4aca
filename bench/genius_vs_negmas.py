"""accord's GENIUS importer against NegMAS 0.16's loader, utility by utility, on a corpus.

For every domain folder under ``--corpus`` (folders holding ``*.xml`` files), the script loads
the domain with :func:`accord.importers.genius_scenario` and with NegMAS's
``negmas.inout.load_genius_domain_from_folder`` (``ignore_discount=True``: both sides compare
undiscounted utilities), draws ``--outcomes`` random outcomes from accord's outcome space and,
for every profile, compares two things with tolerance ``--tolerance``:

* **as loaded**: accord's utility against NegMAS's, as each library computes it;
* **GENIUS rules**: accord's utility against GENIUS's rules applied to what NegMAS parsed
  (NegMAS's own value functions, weights, boxes and box utilities): a discrete evaluation
  divided by the issue's largest one, an integer evaluator's line taken from the issue's lower
  bound and clipped to ``[0, 1]``, an objective's weight ignored, boxes as closed intervals,
  their sum divided by ``maxutility`` (read from the profile file: NegMAS drops it) and capped
  at 1. Agreement here means both libraries read the same numbers from every file, and the
  "as loaded" differences are the semantic differences listed in the summary.

It also compares reservation values. Every (folder, profile, comparison) with a mismatch is
printed with its count, largest difference and an example (``--verbose``: every outcome), then a
summary. Folders either library refuses are listed with the reason.

Run it under a Python that has both NegMAS 0.16 and accord's dependencies (the benchmark
virtualenv of ``bench/README.md``), from the repository root; the script puts the repository's
``src`` first on ``sys.path``, so the accord it tests is the checkout's::

    python3 -m venv .venv-bench && .venv-bench/bin/pip install -e '.[bench]'
    .venv-bench/bin/python bench/genius_vs_negmas.py --corpus ../shared/corpus/genius
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from accord.errors import GeniusImportError
from accord.importers import genius_scenario
from accord.model import CategoricalIssue, IntegerIssue, OutcomeSpace
from accord.scenarios import Scenario


@dataclass
class Agreement:
    """How far accord and one reading of NegMAS's profiles agree."""

    profiles_off: int = 0
    outcomes_off: int = 0
    worst: float = 0.0

    def add(self, off: int, worst: float) -> None:
        self.profiles_off += bool(off)
        self.outcomes_off += off
        self.worst = max(self.worst, worst)

    def line(self, label: str, profiles: int, outcomes: int) -> str:
        return (
            f"{label}: {profiles - self.profiles_off}/{profiles} profiles agree; "
            f"{self.outcomes_off}/{outcomes} utilities differ (largest {self.worst:.3g})"
        )


@dataclass
class Tally:
    """Counts over the whole corpus."""

    folders: int = 0
    accord_refused: dict[str, str] = field(default_factory=dict)
    negmas_refused: dict[str, str] = field(default_factory=dict)
    structure: dict[str, str] = field(default_factory=dict)
    compared_folders: int = 0
    profiles: int = 0
    outcomes: int = 0
    reservations_off: int = 0
    loaded: Agreement = field(default_factory=Agreement)
    rules: Agreement = field(default_factory=Agreement)
    causes: Counter[str] = field(default_factory=Counter)


def _java_round(x: float) -> int:
    return math.floor(x + 0.5)


def genius_rules(ufun: Any, issues: list[Any], max_utility: float | None) -> Any:
    """A function of a NegMAS outcome: GENIUS's utility computed from NegMAS's parse."""
    from negmas.outcomes.issue_ops import DUMMY_ISSUE_NAME  # noqa: PLC0415
    from negmas.preferences import HyperRectangleUtilityFunction  # noqa: PLC0415
    from negmas.preferences.value_fun import TableFun  # noqa: PLC0415

    if isinstance(ufun, HyperRectangleUtilityFunction):
        if max_utility is None:
            raise ValueError("a hyper-rectangle profile without maxutility")
        boxes = list(zip(ufun.outcome_ranges, ufun.mappings, ufun.weights, strict=True))

        def rectangles(outcome: tuple[Any, ...]) -> float:
            total = float(ufun.bias)
            for ranges, worth, weight in boxes:
                if all(lo <= outcome[k] <= hi for k, (lo, hi) in ranges.items()):
                    total += weight * worth
            return min(1.0, total / max_utility)

        return rectangles

    parts = []
    for k, (issue, weight, fun) in enumerate(zip(issues, ufun.weights, ufun.values, strict=True)):
        if issue.name == DUMMY_ISSUE_NAME:
            continue  # stands for an objective: GENIUS sums over issues only
        if isinstance(fun, TableFun):
            top = max(fun.mapping.values())
            if _java_round(top) > 1:
                table = {v: _java_round(e) / _java_round(top) for v, e in fun.mapping.items()}
            else:
                table = dict(fun.mapping)
            parts.append((k, weight, table.__getitem__))
        else:
            low = issue.min_value

            def line(x: Any, fun: Any = fun, low: Any = low) -> float:
                return min(1.0, max(0.0, float(fun(x - low))))

            parts.append((k, weight, line))

    def additive(outcome: tuple[Any, ...]) -> float:
        return min(1.0, float(sum(weight * f(outcome[k]) for k, weight, f in parts)))

    return additive


def cause_of(ufun: Any, issues: list[Any]) -> str:
    """Why NegMAS's utilities differ from GENIUS's for this profile, in a few words."""
    from negmas.outcomes.issue_ops import DUMMY_ISSUE_NAME  # noqa: PLC0415
    from negmas.preferences import HyperRectangleUtilityFunction  # noqa: PLC0415
    from negmas.preferences.value_fun import TableFun  # noqa: PLC0415

    if isinstance(ufun, HyperRectangleUtilityFunction):
        return "hyper-rectangles: raw sum, not divided by maxutility; open intervals"
    reasons = []
    for issue, fun in zip(issues, ufun.values, strict=True):
        if issue.name == DUMMY_ISSUE_NAME:
            reasons.append("an objective's weight counted on a dummy issue")
        elif isinstance(fun, TableFun):
            if max(fun.mapping.values()) != 1.0:
                reasons.append("discrete evaluations not divided by the largest")
        elif issue.min_value != 0:
            reasons.append("integer evaluator not taken from the lower bound")
    return "; ".join(sorted(set(reasons))) or "other"


def max_utilities(folder: Path) -> dict[str, float]:
    """``maxutility`` of every hyper-rectangle profile in ``folder``, by file stem."""
    found = {}
    for path in folder.glob("*.xml"):
        if path.stem.lower().startswith("pareto"):
            continue
        root = ET.parse(path).getroot()  # noqa: S314  # the corpus's own files, no DTDs
        for node in root.iter("utility"):
            if "maxutility" in node.attrib:
                found[path.stem] = float(node.attrib["maxutility"])
    return found


def draw(space: OutcomeSpace, n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    outcomes = []
    for _ in range(n):
        outcome: dict[str, Any] = {}
        for issue in space.issues:
            if isinstance(issue, CategoricalIssue):
                outcome[issue.name] = issue.values[int(rng.integers(len(issue.values)))]
            elif isinstance(issue, IntegerIssue):
                outcome[issue.name] = int(rng.integers(issue.min, issue.max + 1))
            else:
                outcome[issue.name] = float(rng.uniform(issue.min, issue.max))
        outcomes.append(outcome)
    return outcomes


def load_both(folder: Path, name: str, tally: Tally) -> tuple[Scenario, Any] | None:
    """The folder loaded by accord and by NegMAS; ``None`` (and a note) when one refuses."""
    from negmas.inout import load_genius_domain_from_folder  # noqa: PLC0415

    try:
        scenario = Scenario.model_validate(genius_scenario(folder))
    except GeniusImportError as exc:
        tally.accord_refused[name] = str(exc).replace(str(folder.parent) + "/", "")
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = load_genius_domain_from_folder(folder, ignore_discount=True)
    except Exception as exc:  # noqa: BLE001  # any NegMAS failure is a figure to report
        tally.negmas_refused[name] = f"{type(exc).__name__}: {exc}"
        return None
    return scenario, theirs


def as_negmas(
    space: OutcomeSpace, their_issues: list[Any], outcomes: list[dict[str, Any]]
) -> list[tuple[Any, ...]] | None:
    """The outcomes as NegMAS tuples (issues in the same order, NegMAS's dummy issues, which
    stand for gaps in the issue numbers, at their one value); ``None`` if the issues differ."""
    from negmas.outcomes.issue_ops import DUMMY_ISSUE_NAME  # noqa: PLC0415

    real = [k for k, issue in enumerate(their_issues) if issue.name != DUMMY_ISSUE_NAME]
    names = [issue.description or issue.name for issue in space.issues]
    if [their_issues[k].name for k in real] != names:
        return None
    tuples = []
    for outcome in outcomes:
        row = [issue.min_value for issue in their_issues]
        for k, issue in zip(real, space.issues, strict=True):
            row[k] = outcome[issue.name]
        tuples.append(tuple(row))
    return tuples


def tell(
    label: str,
    where: str,
    ours: Any,
    reference: Any,
    *,
    tuples: list[Any],
    args: argparse.Namespace,
) -> tuple[int, float]:
    """Print the outcomes on which ``ours`` and ``reference`` differ; their count and the
    largest difference."""
    diff = np.abs(ours - reference)
    off = np.flatnonzero(~(diff <= args.tolerance))
    worst = float(np.nanmax(diff)) if len(diff) else 0.0
    if len(off):
        k = int(off[0])
        print(
            f"{where} [{label}]: {len(off)}/{len(diff)} differ, largest {worst:.3g}; "
            f"e.g. accord {ours[k]:.6g} vs {reference[k]:.6g} at {tuples[k]}"
        )
        if args.verbose:
            for k in off[1:].tolist():
                print(f"    accord {ours[k]:.12g} vs {reference[k]:.12g} at {tuples[k]}")
    return len(off), worst


def compare(folder: Path, name: str, args: argparse.Namespace, tally: Tally) -> None:
    both = load_both(folder, name, tally)
    if both is None:
        return
    scenario, theirs = both
    space = scenario.outcome_space()
    their_issues = list(theirs.outcome_space.issues)
    outcomes = draw(space, args.outcomes, np.random.default_rng(args.seed))
    tuples = as_negmas(space, their_issues, outcomes)
    if tuples is None:
        tally.structure[name] = f"issues differ: {[i.name for i in their_issues]}"
        return
    rows = np.array([space.encode(o) for o in outcomes])
    tops = max_utilities(folder)
    ufuns = {ufun.name: ufun for ufun in theirs.ufuns}
    tally.compared_folders += 1
    for party in scenario.parties:
        ufun = ufuns.get(party.organisation)
        if ufun is None:
            tally.structure[f"{name}/{party.organisation}"] = "NegMAS has no such profile"
            continue
        tally.profiles += 1
        tally.outcomes += len(outcomes)
        where = f"{name} {party.id}"
        if abs(party.profile.reservation - float(ufun.reserved_value)) > args.tolerance:
            tally.reservations_off += 1
            print(f"{where}: reservation {party.profile.reservation} vs {ufun.reserved_value}")
        ours = party.profile.bind(space).utility(rows)
        loaded = np.array([float(ufun(t)) for t in tuples])
        rules = genius_rules(ufun, their_issues, tops.get(party.organisation))
        adjusted = np.array([rules(t) for t in tuples])
        off, worst = tell("as loaded", where, ours, loaded, tuples=tuples, args=args)
        tally.loaded.add(off, worst)
        if off:
            tally.causes[cause_of(ufun, their_issues)] += 1
        tally.rules.add(*tell("GENIUS rules", where, ours, adjusted, tuples=tuples, args=args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, required=True, help="the genius corpus folder")
    parser.add_argument("--outcomes", type=int, default=200, help="random outcomes per domain")
    parser.add_argument("--tolerance", type=float, default=1e-9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="print every differing outcome")
    args = parser.parse_args()
    import negmas  # noqa: PLC0415  # imported here so --help works without it

    folders = sorted({path.parent for path in args.corpus.rglob("*.xml")})
    tally = Tally(folders=len(folders))
    started = time.perf_counter()
    for folder in folders:
        compare(folder, str(folder.relative_to(args.corpus)), args, tally)
    elapsed = time.perf_counter() - started

    print(
        f"\n== summary (NegMAS {negmas.__version__}, {args.outcomes} outcomes per domain, "
        f"tolerance {args.tolerance:g}, seed {args.seed}, {elapsed:.1f} s) =="
    )
    print(
        f"folders: {tally.folders}; accord refused {len(tally.accord_refused)}, NegMAS "
        f"refused {len(tally.negmas_refused)}, structure differs {len(tally.structure)}; "
        f"compared {tally.compared_folders}"
    )
    for label, refused in (("accord", tally.accord_refused), ("NegMAS", tally.negmas_refused)):
        for name, reason in refused.items():
            print(f"  {label} refused {name}: {reason}")
    for name, reason in tally.structure.items():
        print(f"  structure {name}: {reason}")
    print(f"profiles compared: {tally.profiles}; utilities compared: {tally.outcomes}")
    print(tally.loaded.line("as loaded   ", tally.profiles, tally.outcomes))
    for cause, count in tally.causes.most_common():
        print(f"    {count:4d} profiles: {cause}")
    print(tally.rules.line("GENIUS rules", tally.profiles, tally.outcomes))
    print(f"reservation values differing: {tally.reservations_off}")


if __name__ == "__main__":
    main()
