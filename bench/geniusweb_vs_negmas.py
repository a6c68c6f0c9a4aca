"""accord's GeniusWeb importer against NegMAS 0.16's loader and against the JSON, on a corpus.

For every domain folder under ``--corpus`` (folders holding ``*.json`` files), the script
loads the domain with :func:`accord.importers.geniusweb_scenario` and with NegMAS's
``negmas.inout.load_geniusweb_domain_from_folder``, takes every outcome of accord's outcome
space (or ``--outcomes`` random ones when it has more) and, for every profile, compares

* **NegMAS**: accord's utility against NegMAS's, as each library computes it;
* **by hand**: accord's utility against the profile's JSON evaluated directly, in decimals, by
  this script (``sum(weight * utility)`` over the issues, as GeniusWeb's
  ``LinearAdditiveUtilitySpace`` does), independent of accord's importer;

and the reservation values (the utility of the reservation bid) the same three ways. Every
(folder, profile) with a mismatch is printed with its count, largest difference and an
example, then a summary. Folders either library refuses are listed with the reason.

``--probe`` also writes two small folders that use the parts of the format the corpus does not
(a number range with ``numberutils``; the ``DiscreteValueSetUtilities`` spelling) and reports
what each library makes of them.

Run it under a Python that has both NegMAS 0.16 and accord's dependencies (the benchmark
virtualenv of ``bench/README.md``), from the repository root; the script puts the repository's
``src`` first on ``sys.path``, so the accord it tests is the checkout's::

    .venv-bench/bin/python bench/geniusweb_vs_negmas.py --corpus ../shared/corpus/geniusweb --probe
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from accord.errors import GeniusWebImportError
from accord.importers import geniusweb_scenario
from accord.model import OutcomeSpace
from accord.scenarios import Scenario


@dataclass
class Agreement:
    """How far accord and one reference agree."""

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
    compared_folders: int = 0
    profiles: int = 0
    outcomes: int = 0
    negmas: Agreement = field(default_factory=Agreement)
    by_hand: Agreement = field(default_factory=Agreement)
    reservations_negmas: Agreement = field(default_factory=Agreement)
    reservations_by_hand: Agreement = field(default_factory=Agreement)


class HandUtility:
    """A LinearAdditiveUtilitySpace profile evaluated straight from its JSON, in decimals."""

    def __init__(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal, parse_int=Decimal)
        space = data["LinearAdditiveUtilitySpace"]
        self.weights: dict[str, Decimal] = space["issueWeights"]
        self.utilities: dict[str, dict[str, Any]] = space["issueUtilities"]
        bid = (space.get("reservationBid") or {}).get("issuevalues", {})
        self.reservation = self(bid)

    def value(self, issue: str, value: Any) -> Decimal:
        ((kind, body),) = self.utilities[issue].items()
        if kind in ("discreteutils", "DiscreteValueSetUtilities"):
            return Decimal(body["valueUtilities"].get(value, 0))
        low, high = body["lowValue"], body["highValue"]
        x = Decimal(str(value))
        if not low <= x <= high:
            return Decimal(0)
        u = body["lowUtility"] + (body["highUtility"] - body["lowUtility"]) * (x - low) / (
            high - low
        )
        return u.quantize(Decimal("1.00000000"))

    def __call__(self, bid: dict[str, Any]) -> float:
        return float(sum(self.weights[i] * self.value(i, v) for i, v in bid.items()))


def outcomes_of(space: OutcomeSpace, limit: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    if space.cardinality <= limit:
        return [space.outcome_at(k) for k in range(space.cardinality)]
    return [space.outcome_at(int(k)) for k in rng.integers(space.cardinality, size=limit)]


def load_both(folder: Path, name: str, tally: Tally) -> tuple[Scenario, Any] | None:
    """The folder loaded by accord and by NegMAS; ``None`` (and a note) when one refuses."""
    from negmas.inout import load_geniusweb_domain_from_folder  # noqa: PLC0415

    try:
        scenario = Scenario.model_validate(geniusweb_scenario(folder))
    except GeniusWebImportError as exc:
        tally.accord_refused[name] = str(exc).replace(str(folder.parent) + "/", "")
        scenario = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = load_geniusweb_domain_from_folder(folder, ignore_discount=True)
    except Exception as exc:  # noqa: BLE001  # any NegMAS failure is a figure to report
        tally.negmas_refused[name] = f"{type(exc).__name__}: {exc}"
        return None
    return None if scenario is None else (scenario, theirs)


def differences(
    ours: np.ndarray, reference: np.ndarray, tolerance: float
) -> tuple[int, float, int | None]:
    diff = np.abs(ours - reference)
    off = np.flatnonzero(~(diff <= tolerance))
    worst = float(np.nanmax(diff)) if len(diff) else 0.0
    return len(off), worst, (int(off[0]) if len(off) else None)


def compare(folder: Path, name: str, args: argparse.Namespace, tally: Tally) -> None:
    both = load_both(folder, name, tally)
    if both is None:
        return
    scenario, theirs = both
    space = scenario.outcome_space()
    web_names = {issue.name: issue.description or issue.name for issue in space.issues}
    outcomes = outcomes_of(space, args.outcomes, np.random.default_rng(args.seed))
    bids = [{web_names[k]: v for k, v in outcome.items()} for outcome in outcomes]
    their_names = [issue.name for issue in theirs.outcome_space.issues]
    tuples = [tuple(bid[n] for n in their_names) for bid in bids]
    rows = np.array([space.encode(o) for o in outcomes])
    ufuns = {Path(str(ufun.path)).stem: ufun for ufun in theirs.ufuns}
    tally.compared_folders += 1
    for party in scenario.parties:
        ufun = ufuns[party.organisation]
        hand = HandUtility(folder / f"{party.organisation}.json")
        tally.profiles += 1
        tally.outcomes += len(outcomes)
        ours = party.profile.bind(space).utility(rows)
        references = {
            "NegMAS": (np.array([float(ufun(t)) for t in tuples]), tally.negmas),
            "by hand": (np.array([hand(bid) for bid in bids]), tally.by_hand),
        }
        for label, (reference, agreement) in references.items():
            off, worst, first = differences(ours, reference, args.tolerance)
            agreement.add(off, worst)
            if first is not None:
                print(
                    f"{name} {party.id} [{label}]: {off}/{len(ours)} differ, largest "
                    f"{worst:.3g}; e.g. accord {ours[first]:.6g} vs {reference[first]:.6g} "
                    f"at {bids[first]}"
                )
        mine = party.profile.reservation
        for label, value, agreement in (
            ("NegMAS", float(ufun.reserved_value), tally.reservations_negmas),
            ("by hand", hand.reservation, tally.reservations_by_hand),
        ):
            gap = abs(mine - value)
            agreement.add(int(gap > args.tolerance), gap)
            if gap > args.tolerance:
                print(f"{name} {party.id}: reservation {mine!r} vs {label} {value!r}")
        print(
            f"{name} {party.id}: {len(outcomes)} outcomes, reservation accord {mine!r}, "
            f"NegMAS {float(ufun.reserved_value)!r}, by hand {hand.reservation!r}"
        )


PROBE_DOMAIN: dict[str, Any] = {
    "name": "probe",
    "issuesValues": {
        "colour": {"values": ["red", "blue"]},
        "size": {"range": {"low": 1, "high": 5, "step": 1}},
    },
}


def probe_profile(discrete: str, number: str, *, with_range: bool) -> dict[str, Any]:
    utilities: dict[str, Any] = {
        "colour": {discrete: {"valueUtilities": {"red": 1.0, "blue": 0.5}}},
    }
    if with_range:
        utilities["size"] = {
            number: {"lowValue": 1, "lowUtility": 0, "highValue": 5, "highUtility": 1}
        }
    domain = (
        PROBE_DOMAIN
        if with_range
        else {"name": "probe", "issuesValues": {"colour": PROBE_DOMAIN["issuesValues"]["colour"]}}
    )
    weights = {"colour": 0.5, "size": 0.5} if with_range else {"colour": 1}
    return {
        "LinearAdditiveUtilitySpace": {
            "issueUtilities": utilities,
            "issueWeights": weights,
            "domain": domain,
            "reservationBid": {"issuevalues": {"colour": "blue"}},
        }
    }


def probe() -> None:
    """What each library makes of the parts of the format the corpus does not use."""
    from negmas.inout import load_geniusweb_domain_from_folder  # noqa: PLC0415

    cases = {
        "number range, numberutils": ("discreteutils", "numberutils", True),
        "DiscreteValueSetUtilities spelling": ("DiscreteValueSetUtilities", "", False),
    }
    print("\n== probe: parts of the format the corpus does not use ==")
    for label, (discrete, number, with_range) in cases.items():
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            profile = probe_profile(discrete, number, with_range=with_range)
            domain = profile["LinearAdditiveUtilitySpace"]["domain"]
            (folder / "probe.json").write_text(json.dumps(domain))
            for stem in ("a", "b"):
                (folder / f"{stem}.json").write_text(json.dumps(profile))
            outcome = {"colour": "blue", "size": 3} if with_range else {"colour": "blue"}
            try:
                scenario = Scenario.model_validate(geniusweb_scenario(folder))
                bound = scenario.parties[0].profile.bind(scenario.outcome_space())
                ours = f"utility {bound.of(outcome):.6g}, reservation {bound.reservation:.6g}"
            except GeniusWebImportError as exc:
                ours = f"refused: {exc}"
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    theirs = load_geniusweb_domain_from_folder(folder)
                ufun = theirs.ufuns[0]
                value = ufun(tuple(outcome.values()))
                theirs_text = f"utility {value!r}, reservation {ufun.reserved_value!r}"
            except Exception as exc:  # noqa: BLE001  # a NegMAS failure is the finding
                theirs_text = f"fails: {type(exc).__name__}: {exc}"
            print(f"{label} at {outcome}:\n  accord {ours}\n  NegMAS {theirs_text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, required=True, help="the geniusweb corpus folder")
    parser.add_argument(
        "--outcomes", type=int, default=100_000, help="compare every outcome up to this many"
    )
    parser.add_argument("--tolerance", type=float, default=1e-12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--probe", action="store_true", help="also probe ranges and spellings")
    args = parser.parse_args()
    import negmas  # noqa: PLC0415  # imported here so --help works without it

    folders = sorted({path.parent for path in args.corpus.rglob("*.json")})
    tally = Tally(folders=len(folders))
    started = time.perf_counter()
    for folder in folders:
        compare(folder, str(folder.relative_to(args.corpus)), args, tally)
    elapsed = time.perf_counter() - started

    print(
        f"\n== summary (NegMAS {negmas.__version__}, every outcome up to {args.outcomes:,} "
        f"per domain, tolerance {args.tolerance:g}, {elapsed:.1f} s) =="
    )
    print(
        f"folders: {tally.folders}; accord refused {len(tally.accord_refused)}, NegMAS "
        f"refused {len(tally.negmas_refused)}; compared {tally.compared_folders}"
    )
    for label, refused in (("accord", tally.accord_refused), ("NegMAS", tally.negmas_refused)):
        for name, reason in refused.items():
            print(f"  {label} refused {name}: {reason}")
    print(f"profiles compared: {tally.profiles}; utilities compared: {tally.outcomes}")
    print(tally.negmas.line("vs NegMAS ", tally.profiles, tally.outcomes))
    print(tally.by_hand.line("vs by hand", tally.profiles, tally.outcomes))
    for label, agreement in (
        ("NegMAS", tally.reservations_negmas),
        ("by hand", tally.reservations_by_hand),
    ):
        print(
            f"reservation values vs {label}: {tally.profiles - agreement.profiles_off}/"
            f"{tally.profiles} agree (largest difference {agreement.worst:.3g})"
        )
    if args.probe:
        probe()


if __name__ == "__main__":
    main()
