"""The GeniusWeb importer: the corpus, utilities computed by hand from the JSON, refusals, and
scenario files that import a folder."""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from accord.errors import GeniusWebImportError, InputError, ScenarioError
from accord.importers import geniusweb_scenario
from accord.model import BoundProfile
from accord.runner import negotiate
from accord.scenarios import Scenario, load_scenario
from conftest import ROOT


def load(folder: Path, **kwargs: Any) -> tuple[Scenario, dict[str, BoundProfile]]:
    """The imported scenario, validated, and its profiles bound, by party id."""
    scenario = Scenario.model_validate(geniusweb_scenario(folder, **kwargs))
    space = scenario.outcome_space()
    return scenario, {party.id: party.profile.bind(space) for party in scenario.parties}


@pytest.fixture(scope="module")
def geniusweb(corpus: Path) -> Path:
    return corpus / "geniusweb"


# -- the corpus --------------------------------------------------------------------------------

REFUSED: dict[str, str] = {}
"""Corpus folders the importer refuses, with the reason (docs/research.md lists them): none."""


@pytest.mark.corpus
def test_every_corpus_folder_loads_or_is_refused_for_its_documented_reason(
    geniusweb: Path,
) -> None:
    folders = sorted(path for path in geniusweb.iterdir() if path.is_dir())
    assert [f.name for f in folders] == ["Fitness", "FlightBooking", "JapnTrip", "Party"]
    for folder in folders:
        if folder.name in REFUSED:
            with pytest.raises(GeniusWebImportError, match=REFUSED[folder.name]):
                geniusweb_scenario(folder)
            continue
        scenario, bound = load(folder)
        assert len(bound) == len(scenario.parties) == 2
        profiles = sorted(p.name for p in folder.glob("*.json"))[1:]  # after the domain file
        assert [party.organisation for party in scenario.parties] == [
            Path(name).stem for name in profiles
        ]
        for party in scenario.parties:
            assert 0 < party.profile.reservation < 1


def weighted(profile: dict[str, Any], bid: dict[str, Any]) -> float:
    """A bid's utility computed straight from a profile's JSON: sum of weight * utility."""
    space = profile["LinearAdditiveUtilitySpace"]
    return float(
        sum(
            space["issueWeights"][issue]
            * space["issueUtilities"][issue]["discreteutils"]["valueUtilities"][value]
            for issue, value in bid.items()
        )
    )


@pytest.mark.corpus
def test_party_utilities_by_hand(geniusweb: Path) -> None:
    scenario, bound = load(geniusweb / "Party")
    assert [i.name for i in scenario.issues] == [
        "Food",
        "Drinks",
        "Location",
        "Invitations",
        "Music",
        "Cleanup",
    ]
    # party1.json: weights 0.19, 0.28, 0.19, 0.05, 0.19, 0.10
    bid = {"Food": "Catering", "Drinks": "Beer Only", "Location": "Ballroom"}
    bid |= {"Invitations": "Photo", "Music": "DJ", "Cleanup": "Hired Help"}
    expected = 0.19 * 0.25 + 0.28 * 0.98 + 0.19 * 0.77 + 0.05 * 0.74 + 0.19 * 0.99 + 0.10 * 0.31
    assert bound["party1"].of(bid) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.7243, abs=1e-12)
    # the reservation bid: Handmade Food, Handmade Cocktails, Party Tent, Custom Printed, Band,
    # Special Equiment
    reservation = 0.19 * 0.51 + 0.28 * 0.672 + 0.19 * 0.52 + 0.05 * 0.48 + 0.19 * 0.35 + 0.1 * 0.32
    assert bound["party1"].profile.reservation == pytest.approx(reservation, abs=1e-12)
    assert reservation == pytest.approx(0.50636, abs=1e-12)
    # party2.json, the same bid: weights 0.095, 0.228, 0.109, 0.214, 0.108, 0.246
    expected = 0.095 * 0.97 + 0.228 * 0.22 + 0.109 * 0.09 + 0.214 * 0.24 + 0.108 * 0.32
    expected += 0.246 * 0.21
    assert bound["party2"].of(bid) == pytest.approx(expected, abs=1e-12)


@pytest.mark.corpus
def test_every_corpus_profile_agrees_with_the_json_on_every_outcome(geniusweb: Path) -> None:
    for folder in sorted(path for path in geniusweb.iterdir() if path.is_dir()):
        scenario, bound = load(folder)
        space = scenario.outcome_space()
        names = {issue.name: issue.description or issue.name for issue in scenario.issues}
        outcomes = [space.outcome_at(k) for k in range(space.cardinality)]
        for party in scenario.parties:
            profile = json.loads((folder / f"{party.organisation}.json").read_text())
            reservation = profile["LinearAdditiveUtilitySpace"]["reservationBid"]["issuevalues"]
            assert party.profile.reservation == pytest.approx(
                weighted(profile, reservation), abs=1e-12
            )
            for outcome in outcomes:
                bid = {names[k]: v for k, v in outcome.items()}
                assert bound[party.id].of(outcome) == pytest.approx(
                    weighted(profile, bid), abs=1e-12
                ), (folder.name, party.id, outcome)


@pytest.mark.corpus
def test_names_with_spaces_and_numeric_labels(geniusweb: Path) -> None:
    scenario, bound = load(geniusweb / "FlightBooking", strategies=["linear"], rounds=9)
    assert [(i.name, i.description) for i in scenario.issues] == [
        ("price", ""),
        ("departure_airport", "departure airport"),
        ("departure_date", "departure date"),
    ]
    assert {p.strategy.name for p in scenario.parties} == {"linear"}
    assert scenario.mechanism.deadline.rounds == 9
    # flightbooking2.json: 0.7 * 200000yen (0.75) + 0.15 * Narita (0.665) + 0.15 * 4 sept. (0.333)
    outcome = {"price": "200000yen", "departure_airport": "Narita", "departure_date": "4 sept."}
    assert bound["flightbooking2"].of(outcome) == pytest.approx(
        0.7 * 0.75 + 0.15 * 0.665 + 0.15 * 0.333, abs=1e-12
    )
    japan, bound = load(geniusweb / "JapnTrip")
    assert japan.issues[1].values == ("900", "1800", "300", "100")  # type: ignore[union-attr]
    # japantrip1.json's reservation bid: Hokkaido, 300, 6, Shopping
    assert bound["japantrip1"].profile.reservation == pytest.approx(
        0.57 * 0.2 + 0.09 * 0.2 + 0.17 * 0.1 + 0.17 * 0.3, abs=1e-12
    )


# -- folders written here ----------------------------------------------------------------------

DOMAIN: dict[str, Any] = {
    "name": "deal",
    "issuesValues": {
        "colour (paint)": {"values": ["red", "blue", "green"]},
        "size": {"range": {"low": 1, "high": 5, "step": 1}},
        "price": {"range": {"low": 0.5, "high": 2.0, "step": 0.5}},
    },
}


def profile_json(
    *,
    weights: tuple[float, float, float] = (0.5, 0.25, 0.25),
    spelling: tuple[str, str] = ("discreteutils", "numberutils"),
    reservation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    discrete, number = spelling
    space: dict[str, Any] = {
        "name": "buyer",
        "issueUtilities": {
            "colour (paint)": {
                discrete: {"valueUtilities": {"red": 1.0, "blue": 0.4, "green": 0.0}}
            },
            "size": {
                number: {"lowValue": 1, "lowUtility": 0.2, "highValue": 5, "highUtility": 1.0}
            },
            "price": {
                number: {"lowValue": 0.5, "lowUtility": 1, "highValue": 2.0, "highUtility": 0}
            },
        },
        "issueWeights": dict(zip(DOMAIN["issuesValues"], weights, strict=True)),
        "domain": copy.deepcopy(DOMAIN),
    }
    if reservation is not None:
        space["reservationBid"] = {"issuevalues": reservation}
    return {"LinearAdditiveUtilitySpace": space}


def folder(tmp_path: Path, files: dict[str, Any]) -> Path:
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_ranges_both_spellings_and_a_partial_reservation_bid(tmp_path: Path) -> None:
    files = {
        "deal.json": DOMAIN,
        "a.json": profile_json(reservation={"colour (paint)": "blue", "size": 3}),
        "b.json": profile_json(spelling=("DiscreteValueSetUtilities", "NumberValueSetUtilities")),
        "notes.json": {"comment": "not a domain or a profile: ignored"},
    }
    scenario, bound = load(folder(tmp_path, files))
    colour, size, price = scenario.issues
    assert (colour.type, colour.name, colour.description) == (
        "categorical",
        "colour_paint",
        "colour (paint)",
    )
    assert (size.type, size.min, size.max) == ("integer", 1, 5)  # type: ignore[union-attr]
    assert price.type == "continuous"
    assert (price.min, price.max, price.grid) == (0.5, 2.0, 4)
    assert [party.id for party in scenario.parties] == ["a", "b"]
    for size_value, price_value, colour_value in [
        (1, 0.5, "red"),
        (3, 1.5, "blue"),
        (5, 2.0, "green"),
    ]:
        by_hand = (
            0.5 * {"red": 1.0, "blue": 0.4, "green": 0.0}[colour_value]
            + 0.25 * (0.2 + 0.8 * (size_value - 1) / 4)
            + 0.25 * (1 - (price_value - 0.5) / 1.5)
        )
        outcome = {"colour_paint": colour_value, "size": size_value, "price": price_value}
        assert bound["a"].of(outcome) == pytest.approx(by_hand, abs=1e-12)
        assert bound["b"].of(outcome) == pytest.approx(by_hand, abs=1e-12)
    # the reservation bid leaves price out, which counts 0 (GeniusWeb's partial bids)
    assert bound["a"].profile.reservation == pytest.approx(0.5 * 0.4 + 0.25 * 0.6, abs=1e-12)
    assert bound["b"].profile.reservation == 0.0


def test_a_range_whose_steps_stop_below_high(tmp_path: Path) -> None:
    domain = {"issuesValues": {"x": {"range": {"low": 0, "high": 1, "step": 0.3}}}}
    space = {
        "issueUtilities": {
            "x": {"numberutils": {"lowValue": 0, "lowUtility": 0, "highValue": 1, "highUtility": 1}}
        },
        "issueWeights": {"x": 1},
    }
    files = {"d.json": domain, "a.json": {"LinearAdditiveUtilitySpace": space}}
    scenario, bound = load(folder(tmp_path, files | {"b.json": files["a.json"]}))
    (issue,) = scenario.issues
    # 0, 0.3, 0.6, 0.9: the line still runs from (0, 0) to (1, 1)
    assert (issue.min, issue.max, issue.grid) == (0.0, 0.9, 4)  # type: ignore[union-attr]
    for x in (0.0, 0.3, 0.6, 0.9):
        assert bound["a"].of({"x": x}) == pytest.approx(x, abs=1e-12)


def broken(path: tuple[str | int, ...], value: Any, *, delete: bool = False) -> dict[str, Any]:
    """A valid profile with the value at ``path`` replaced (or deleted)."""
    data = profile_json(reservation={"size": 2})
    holder: Any = data
    for key in path[:-1]:
        holder = holder[key]
    if delete:
        del holder[path[-1]]
    else:
        holder[path[-1]] = value
    return data


LAUS = ("LinearAdditiveUtilitySpace",)


@pytest.mark.parametrize(
    ("profile", "message", "where"),
    [
        (
            broken((*LAUS, "issueWeights", "size"), 0.5),
            r"the weights sum to 1\.25; GeniusWeb requires them to sum to exactly 1",
            "$.LinearAdditiveUtilitySpace.issueWeights",
        ),
        (
            broken((*LAUS, "issueWeights"), None, delete=True),
            r"the key 'issueWeights' is missing",
            "$.LinearAdditiveUtilitySpace",
        ),
        (
            broken(
                (
                    *LAUS,
                    "issueUtilities",
                    "colour (paint)",
                    "discreteutils",
                    "valueUtilities",
                    "red",
                ),
                1.5,
            ),
            r"expected a number in \[0, 1\], found 1\.5",
            (
                '$.LinearAdditiveUtilitySpace.issueUtilities["colour (paint)"].discreteutils'
                ".valueUtilities.red"
            ),
        ),
        (
            broken(
                (
                    *LAUS,
                    "issueUtilities",
                    "colour (paint)",
                    "discreteutils",
                    "valueUtilities",
                    "green",
                ),
                None,
                delete=True,
            ),
            r"no utility for the values \['green'\]",
            (
                '$.LinearAdditiveUtilitySpace.issueUtilities["colour (paint)"].discreteutils'
                ".valueUtilities"
            ),
        ),
        (
            broken((*LAUS, "issueUtilities", "size", "numberutils", "highValue"), 4),
            r"highValue must be the range's high 5, found 4",
            "$.LinearAdditiveUtilitySpace.issueUtilities.size.numberutils.highValue",
        ),
        (
            broken((*LAUS, "issueUtilities", "size"), {"piecewise": {}}),
            r"expected an object with one key, one of \['discreteutils'",
            "$.LinearAdditiveUtilitySpace.issueUtilities.size",
        ),
        (
            broken((*LAUS, "reservationBid", "issuevalues", "size"), 2.5),
            r"expected a number 1 \+ k \* 1 up to 5, found 2\.5",
            "$.LinearAdditiveUtilitySpace.reservationBid.issuevalues.size",
        ),
        (
            broken((*LAUS, "reservationBid", "issuevalues", "colour (paint)"), "purple"),
            r"expected one of \['red', 'blue', 'green'\], found 'purple'",
            '$.LinearAdditiveUtilitySpace.reservationBid.issuevalues["colour (paint)"]',
        ),
        (
            broken((*LAUS, "domain", "issuesValues", "size", "range", "high"), 6),
            r"the profile's domain 'deal' differs from the folder's domain 'deal'",
            "$.LinearAdditiveUtilitySpace.domain",
        ),
        (
            broken((*LAUS, "discount"), 0.9),
            r"unknown key 'discount'",
            "$.LinearAdditiveUtilitySpace.discount",
        ),
        (
            {"SumOfGroupsUtilitySpace": {}},
            (
                r"a SumOfGroupsUtilitySpace profile; accord imports LinearAdditiveUtilitySpace "
                r"profiles only"
            ),
            "$",
        ),
    ],
)
def test_refusals_name_the_file_and_the_json_path(
    tmp_path: Path, profile: dict[str, Any], message: str, where: str
) -> None:
    path = folder(tmp_path, {"d.json": DOMAIN, "a.json": profile, "b.json": profile_json()})
    with pytest.raises(GeniusWebImportError, match=message) as caught:
        geniusweb_scenario(path)
    assert isinstance(caught.value, InputError)
    assert caught.value.source == str(path / "a.json")
    assert caught.value.path == where
    assert str(caught.value).startswith(f"{path / 'a.json'}: {where}: ")


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (
            '{\n  "name": "deal",\n  "issuesValues": {\n    "x": {"values": ["a",]}\n}}',
            "not valid JSON",
            4,
        ),
        (
            '{"name": "deal", "name": "other", "issuesValues": {}}',
            "'name' is given more than once",
            None,
        ),
        (
            '{"issuesValues": {"x": {"range": {"low": 0, "high": NaN, "step": 1}}}}',
            "NaN, which JSON does not allow",
            None,
        ),
        ('{"issuesValues": {"x": {"values": ["a", "a"]}}}', r"the value 'a' is listed twice", None),
        ('{"issuesValues": {"x": {"values": []}}}', "at least one value", None),
        ('{"issuesValues": {"x": {"range": {"low": 0, "high": 1}}}}', "'step' is missing", None),
        ('{"issuesValues": {"x": {"values": ["a"], "range": {}}}}', "one key, 'values' or", None),
        (
            '{"issuesValues": {"x": {"values": "a"}}}',
            "expected an array, found the string 'a'",
            None,
        ),
    ],
)
def test_a_bad_domain_file_names_file_and_line_or_path(
    tmp_path: Path, text: str, message: str, line: int | None
) -> None:
    path = folder(tmp_path, {"d.json": text, "a.json": profile_json(), "b.json": profile_json()})
    with pytest.raises(GeniusWebImportError, match=message) as caught:
        geniusweb_scenario(path)
    assert caught.value.source == str(path / "d.json")
    assert caught.value.line == line
    if line is None:
        assert caught.value.path.startswith("$")


def test_a_folder_needs_one_domain_and_two_profiles(tmp_path: Path) -> None:
    with pytest.raises(GeniusWebImportError, match="at least two profiles"):
        geniusweb_scenario(folder(tmp_path, {"d.json": DOMAIN, "a.json": profile_json()}))
    (tmp_path / "e.json").write_text(json.dumps(DOMAIN))
    with pytest.raises(GeniusWebImportError, match=r"one domain file .* \['d\.json', 'e\.json'\]"):
        geniusweb_scenario(tmp_path)
    with pytest.raises(GeniusWebImportError, match="not a folder"):
        geniusweb_scenario(tmp_path / "d.json")
    with pytest.raises(GeniusWebImportError, match="strategies"):
        geniusweb_scenario(tmp_path, strategies="boulware")


# -- scenario files with an import key ---------------------------------------------------------


def relative_path(target: Path, start: Path) -> str:
    return os.path.relpath(target.resolve(), start)


@pytest.mark.corpus
async def test_a_scenario_file_importing_a_corpus_folder_negotiates(
    corpus: Path, tmp_path: Path
) -> None:
    (tmp_path / "exp").mkdir()
    scenario_file = tmp_path / "exp" / "party.yaml"
    relative = relative_path(corpus / "geniusweb" / "Party", scenario_file.parent)
    scenario_file.write_text(
        "name: Party, hardliner vs conceder\n"
        "import:\n"
        "  format: geniusweb\n"
        f"  path: {relative}\n"
        "  strategies: [hardliner, conceder]\n"
        "  rounds: 40\n"
        "seed: 4\n"
    )
    scenario = load_scenario(scenario_file)
    assert scenario.name == "Party, hardliner vs conceder"
    assert scenario.seed == 4
    assert [(p.id, p.strategy.name) for p in scenario.parties] == [
        ("party1", "hardliner"),
        ("party2", "conceder"),
    ]
    assert scenario.mechanism.deadline.rounds == 40
    assert scenario.parties[0].profile.reservation == pytest.approx(0.50636, abs=1e-12)
    result = (await negotiate(scenario)).result
    assert result.reason in {"agreement", "deadline"}
    assert result.rounds <= 40


@pytest.mark.corpus
def test_a_scenario_file_importing_a_genius_folder(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "coffee.yaml"
    path.write_text(
        "import: {format: genius, path: "
        f"{corpus.resolve() / 'genius' / 'y2013' / 'Coffee'}}}\n"
        "mechanism: {deadline: {seconds: 5}}\n"
    )
    scenario = load_scenario(path)
    assert scenario.name == "Coffee"
    assert [p.strategy.name for p in scenario.parties] == ["boulware", "conceder"]
    # the mechanism is merged key by key: the deadline given replaces the imported one
    assert (scenario.mechanism.deadline.rounds, scenario.mechanism.deadline.seconds) == (100, 5)


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (
            "name: x\nimport:\n  format: geniusweb\n  path: d\n  strategies: [linear, sneaky]\n",
            5,
            "import.strategies[1]",
            "unknown strategy 'sneaky'",
        ),
        ("name: x\nimport:\n  format: xml\n  path: d\n", 3, "import.format", "'genius' or"),
        (
            "name: x\nimport:\n  format: genius\n  path: d\n",
            4,
            "import.path",
            "genius import failed",
        ),
        ("name: x\nimport:\n  format: geniusweb\n", 3, "import.path", "Field required"),
        (
            "import:\n  format: geniusweb\n  path: d\nissues: []\n",
            4,
            "issues",
            "issues come from the import",
        ),
        (
            "import:\n  format: geniusweb\n  path: d\n  rounds: 0\n",
            4,
            "import.rounds",
            "greater than or equal to 1",
        ),
    ],
)
def test_import_problems_name_the_scenario_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str, message: str
) -> None:
    (tmp_path / "d").mkdir()
    folder(tmp_path / "d", {"d.json": DOMAIN, "a.json": profile_json(), "b.json": profile_json()})
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=message) as caught:
        load_scenario(path)
    assert (caught.value.source, caught.value.line, caught.value.field) == (str(path), line, field)


def test_a_relative_import_path_is_taken_from_the_scenario_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "domains").mkdir()
    files = {"d.json": DOMAIN, "a.json": profile_json(), "b.json": profile_json()}
    folder(tmp_path / "domains", files)
    (tmp_path / "exp").mkdir()
    path = tmp_path / "exp" / "s.json"
    path.write_text(json.dumps({"import": {"format": "geniusweb", "path": "../domains"}}))
    monkeypatch.chdir(tmp_path / "domains")  # not the folder relative paths start from
    scenario = load_scenario(path)
    assert scenario.name == "domains"
    assert [issue.name for issue in scenario.issues] == ["colour_paint", "size", "price"]


def test_the_import_example_in_the_scenario_doc_loads(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "scenarios.md").read_text()
    (example,) = re.findall(
        r"## Importing a domain folder\n.*?```yaml\n(.*?)```", text, flags=re.DOTALL
    )
    (tmp_path / "domains" / "Party").mkdir(parents=True)
    files = {"d.json": DOMAIN, "a.json": profile_json(), "b.json": profile_json()}
    folder(tmp_path / "domains" / "Party", files)
    (tmp_path / "exp").mkdir()
    path = tmp_path / "exp" / "party.yaml"
    path.write_text(example)
    scenario = load_scenario(path)
    assert scenario.name == "Party, hardliner vs conceder"
    assert [p.strategy.name for p in scenario.parties] == ["hardliner", "conceder"]
    assert scenario.mechanism.deadline.turn_timeout == 2
