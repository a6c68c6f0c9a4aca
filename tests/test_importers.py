"""The GENIUS importer: the whole corpus, utilities checked by hand, and refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.errors import GeniusImportError, InputError
from accord.importers import genius_scenario
from accord.model import BoundProfile
from accord.scenarios import Scenario
from conftest import ROOT


def load(folder: Path, **kwargs: Any) -> tuple[Scenario, dict[str, BoundProfile]]:
    """The imported scenario, validated, and its profiles bound, by party id."""
    scenario = Scenario.model_validate(genius_scenario(folder, **kwargs))
    space = scenario.outcome_space()
    return scenario, {party.id: party.profile.bind(space) for party in scenario.parties}


@pytest.fixture(scope="module")
def genius(corpus: Path) -> Path:
    return corpus / "genius"


# -- the corpus --------------------------------------------------------------------------------


@pytest.mark.corpus
def test_every_corpus_folder_loads_or_is_refused_with_file_and_line(genius: Path) -> None:
    folders = sorted({path.parent for path in genius.rglob("*.xml")})
    assert len(folders) >= 100
    loaded: list[str] = []
    refused: dict[str, GeniusImportError] = {}
    for folder in folders:
        name = str(folder.relative_to(genius))
        try:
            scenario, bound = load(folder)
        except GeniusImportError as exc:
            refused[name] = exc
            continue
        assert len(bound) == len(scenario.parties) >= 2
        loaded.append(name)
    report = [f"{len(loaded)}/{len(folders)} GENIUS folders load; refused:"]
    report += [f"  {name}: {exc}" for name, exc in refused.items()]
    print("\n" + "\n".join(report))  # noqa: T201  # the refusals and their reasons, with -s
    assert len(loaded) >= 0.9 * len(folders), report
    for error in refused.values():  # each names its file and line
        assert error.source is not None
        assert error.source.endswith(".xml")
        assert error.line is not None
    # the refusals known today: weights summing above 1, which GENIUS caps at 1
    assert all("GENIUS caps utilities at 1" in str(e) for e in refused.values()), report
    # ... in exactly the folders docs/research.md lists
    assert {name: Path(str(e.source)).name for name, e in refused.items()} == {
        "y2011/Laptop": "laptop_buyer_utility.xml",
        "y2012/LaptopA": "Laptop-A-prof1.xml",
        "y2012/LaptopB": "Laptop-B-prof1.xml",
        "y2012/LaptopC": "Laptop-C-prof1.xml",
        "y2013/Laptop": "Laptop-C-prof1.xml",
        "y2015/group5-car_domain": "car-Profile8.xml",
        "y2016/SYAgent": "JapanTrip_util1.xml",
    }, report


@pytest.mark.corpus
def test_a_discrete_domain_by_hand(genius: Path) -> None:
    scenario, bound = load(genius / "y2013" / "Coffee")
    assert [party.id for party in scenario.parties] == ["Coffee_util1", "Coffee_util2"]
    assert [party.strategy.name for party in scenario.parties] == ["boulware", "conceder"]
    assert scenario.mechanism.deadline.rounds == 180
    assert [issue.name for issue in scenario.issues] == ["Bean", "Sugar", "Milk"]
    profile = bound["Coffee_util1"]
    # Coffee_util1.xml: weights 0.126..., 0.576..., 0.297...; evaluations divided by the
    # largest of their issue (Bean: Java 70 of 100; Sugar: little 25 of 100; Milk: much 100)
    w_bean, w_sugar, w_milk = 0.12625020088419145, 0.5767057469602923, 0.2970440521555162
    java_little_much = {"Bean": "Java", "Sugar": "little", "Milk": "much"}
    expected = w_bean * 70 / 100 + w_sugar * 25 / 100 + w_milk * 100 / 100
    assert profile.of(java_little_much) == pytest.approx(expected, abs=1e-12)
    assert profile.of({"Bean": "Uganda", "Sugar": "no", "Milk": "no"}) == pytest.approx(
        w_bean * 40 / 100 + w_sugar * 1 / 100 + w_milk * 1 / 100, abs=1e-12
    )
    assert profile.profile.reservation == 0.2
    assert profile.profile.discount == 0.5


@pytest.mark.corpus
def test_an_integer_evaluator_starts_at_the_lower_bound(genius: Path) -> None:
    scenario, bound = load(genius / "y2015" / "group9-vacation")
    issue = scenario.issues[2]
    assert (issue.name, issue.description) == ("Duration_weeks", "Duration (weeks)")
    # Vacation_util2.xml: Duration (weeks) in [1, 4], slope -1/6, offset 1: GENIUS computes
    # 1 - (x - 1) / 6, so 1 week is worth 1 and 4 weeks 0.5 (not 1 - x / 6)
    profile = bound["Vacation_util2"]
    best = {"Location": "Rome", "Travel": "Train", "Activities": "Beach", "Sleeping": "Camping"}
    w_duration = 0.22742759974114368
    one, four = profile.of(best | {"Duration_weeks": 1}), profile.of(best | {"Duration_weeks": 4})
    assert one == pytest.approx(1.0, abs=1e-12)
    assert one - four == pytest.approx(w_duration * 0.5, abs=1e-12)


@pytest.mark.corpus
def test_a_hyper_rectangle_domain_by_hand(genius: Path) -> None:
    scenario, bound = load(genius / "y2014" / "10issues")
    assert [issue.name for issue in scenario.issues][:2] == ["c1-i10", "c1-i9"]
    outcome = {"c1-i10": 8, "c1-i9": 9, "c1-i8": 9, "c1-i7": 7, "c1-i6": 8, "c1-i5": 9}
    outcome |= {"c1-i4": 8, "c1-i3": 8, "c1-i2": 7, "c1-i1": 8}
    # profile-1.xml: the outcome lies in two rectangles only, utility 21 (line 65: issue 4,
    # c1-i7, in [7, 9]; issue 9, c1-i2, in [6, 9]; issue 10, c1-i1, in [0, 8]; closed
    # intervals, so c1-i7 = 7 counts) and utility 9 (line 98: c1-i2 in [0, 8]); GENIUS
    # divides the sum by maxutility="662"
    assert bound["profile-1"].of(outcome) == pytest.approx((21 + 9) / 662, abs=1e-15)
    assert bound["profile-1"].utility.space.cardinality == 10**10


# -- small folders written here ----------------------------------------------------------------

DOMAIN = """<negotiation_template><utility_space><objective index="0" name="deal">
  <issue index="1" name="Colour (paint)" type="discrete">
    <item index="1" value="red"/><item index="2" value="blue"/><item index="3" value="red"/>
  </issue>
  <issue index="2" name="Size" type="integer" lowerbound="1" upperbound="10"/>
</objective></utility_space></negotiation_template>
"""


def profile(weights: tuple[float, float], *, red: str = "3", extra: str = "") -> str:
    return f"""<utility_space><objective index="0" name="deal">
  <issue index="1" name="Colour (paint)" type="discrete">
    <item index="1" value="red" evaluation="{red}"/><item index="2" value="blue" evaluation="6"/>
  </issue>
  <issue index="2" name="Size" type="integer" lowerbound="1" upperbound="10">
    <evaluator ftype="linear" slope="0.25" offset="0.5"/>
  </issue>
  <weight index="1" value="{weights[0]}"/><weight index="2" value="{weights[1]}"/>
</objective>{extra}</utility_space>
"""


def folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_a_written_folder_loads_with_clipped_lines_and_sanitised_names(tmp_path: Path) -> None:
    files = {
        "deal-domain.xml": DOMAIN,
        "buyer (A).xml": profile((0.5, 0.5), extra='<reservation value="0.25"/>'),
        "host.xml": profile((0.5, 0.5), extra='<discount_factor value="0.0"/>'),
        "seller.xml": profile((0.5, 0.5)),
        "pareto.xml": "0.5, 0.5\n",
    }
    scenario, bound = load(folder(tmp_path, files), strategies=["linear"], rounds=7)
    assert [party.id for party in scenario.parties] == ["buyer-A", "host-party", "seller"]
    assert {party.strategy.name for party in scenario.parties} == {"linear"}
    assert scenario.mechanism.deadline.rounds == 7
    assert [issue.name for issue in scenario.issues] == ["Colour_paint", "Size"]
    assert scenario.issues[0].values == ("red", "blue")  # type: ignore[union-attr]
    buyer = bound["buyer-A"]
    assert buyer.profile.reservation == 0.25
    assert bound["host-party"].profile.discount == 1.0  # GENIUS reads 0 as no discount
    # red is 3 of 6; Size is 0.5 + 0.25 * (x - 1), capped at 1 from x = 3 on
    for size, value in [(1, 0.5), (2, 0.75), (3, 1.0), (10, 1.0)]:
        assert buyer.of({"Colour_paint": "red", "Size": size}) == pytest.approx(
            0.5 * 0.5 + 0.5 * value, abs=1e-12
        )


def test_weights_below_one_keep_their_utilities(tmp_path: Path) -> None:
    files = {"d.xml": DOMAIN, "a.xml": profile((0.2, 0.3)), "b.xml": profile((0.5, 0.5))}
    scenario, bound = load(folder(tmp_path, files))
    utility = scenario.parties[0].profile.utility
    assert sum(utility.weights.values()) == pytest.approx(1.0)  # type: ignore[union-attr]
    for colour, size in [("red", 1), ("blue", 2), ("blue", 10)]:
        evaluation = {"red": 0.5, "blue": 1.0}[colour]
        line = min(1.0, 0.5 + 0.25 * (size - 1))
        assert bound["a"].of({"Colour_paint": colour, "Size": size}) == pytest.approx(
            0.2 * evaluation + 0.3 * line, abs=1e-12
        )


@pytest.mark.parametrize(
    ("files", "message", "where"),
    [
        (
            {"a.xml": profile((0.7, 0.5))},
            r"weights sum to 1\.2 .* GENIUS caps utilities at 1",
            "a.xml:1: <objective name='deal'>",
        ),
        (
            {"a.xml": profile((0.5, 0.5), red="-1")},
            r"evaluations must be >= 0",
            "a.xml:3: <item index='1'>",
        ),
        (
            {
                "a.xml": profile((0.5, 0.5)).replace(
                    '<item index="1" value="red" evaluation="3"/>', ""
                )
            },
            r"no evaluation for the values \['red'\]",
            "a.xml:2: <issue name='Colour (paint)'>",
        ),
        (
            {"a.xml": '<!DOCTYPE x [<!ENTITY e "e">]>\n<utility_space/>'},
            r"document type declaration",
            "a.xml:1",
        ),
        ({"a.xml": "<utility_space><weight"}, r"not well-formed XML", "a.xml:1"),
    ],
)
def test_refusals_name_the_file_element_and_line(
    tmp_path: Path, files: dict[str, str], message: str, where: str
) -> None:
    path = folder(tmp_path, {"d.xml": DOMAIN, "b.xml": profile((0.5, 0.5)), **files})
    with pytest.raises(GeniusImportError, match=message) as caught:
        genius_scenario(path)
    assert isinstance(caught.value, InputError)
    assert str(caught.value).startswith(str(path / where))


def test_a_folder_needs_one_domain_and_two_profiles(tmp_path: Path) -> None:
    with pytest.raises(GeniusImportError, match="at least two profiles"):
        genius_scenario(folder(tmp_path, {"d.xml": DOMAIN, "a.xml": profile((0.5, 0.5))}))
    (tmp_path / "e.xml").write_text(DOMAIN)
    with pytest.raises(GeniusImportError, match=r"one domain file .* \['d\.xml', 'e\.xml'\]"):
        genius_scenario(tmp_path)
    with pytest.raises(GeniusImportError, match="strategies"):
        genius_scenario(tmp_path, strategies=[])


def test_real_issues_and_their_evaluators(tmp_path: Path) -> None:
    domain = """<negotiation_template><utility_space><objective index="0" name="r">
      <issue index="1" name="price" type="real"><range lowerbound="0" upperbound="10"/></issue>
    </objective></utility_space></negotiation_template>"""
    ufun = """<utility_space><objective index="0" name="r">
      <issue index="1" name="price" type="real"><range lowerbound="0" upperbound="10"/>
        <evaluator ftype="{ftype}" parameter0="{p0}" parameter1="{p1}" parameter2="{p2}"/>
      </issue><weight index="1" value="1"/></objective></utility_space>"""
    files = {
        "d.xml": domain,
        "lin.xml": ufun.format(ftype="linear", p0="-0.5", p1="0.25", p2="0"),
        "tri.xml": ufun.format(ftype="triangular", p0="2", p1="8", p2="4"),
    }
    scenario, bound = load(folder(tmp_path, files))
    assert scenario.issues[0].type == "continuous"
    # linear: -0.5 + 0.25 x clipped to [0, 1]; triangular: 0 at 2, 1 at 4, 0 at 8
    for x, lin, tri in [(0.0, 0.0, 0.0), (3.0, 0.25, 0.5), (6.0, 1.0, 0.5), (9.0, 1.0, 0.0)]:
        assert bound["lin"].of({"price": x}) == pytest.approx(lin, abs=1e-12)
        assert bound["tri"].of({"price": x}) == pytest.approx(tri, abs=1e-12)


# -- accord import, as a user runs it ----------------------------------------------------------


def accord(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests")},
        timeout=120,
        check=False,
    )


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("kind", "domain", "expected"),
    [
        ("geniusweb", Path("geniusweb") / "Party", (["party1", "party2"], 0.50636)),
        ("genius", Path("genius") / "y2013" / "Coffee", (["Coffee_util1", "Coffee_util2"], 0.2)),
    ],
)
def test_accord_import_writes_a_scenario_that_validates_and_negotiates(
    corpus: Path,
    tmp_path: Path,
    kind: str,
    domain: Path,
    expected: tuple[list[str], float],
) -> None:
    parties, reservation = expected
    path = tmp_path / "scenarios" / "imported.yaml"
    done = accord(
        "import",
        kind,
        corpus / domain,
        "-o",
        path,
        "--strategies",
        "linear,conceder",
        "--rounds",
        "50",
    )
    assert done.returncode == 0, done.stderr
    assert f"wrote {path}: 2 parties" in done.stdout
    data = yaml.safe_load(path.read_text())
    assert [party["id"] for party in data["parties"]] == parties
    assert [party["strategy"]["name"] for party in data["parties"]] == ["linear", "conceder"]
    assert data["parties"][0]["profile"]["reservation"] == pytest.approx(reservation, abs=1e-12)
    assert data["mechanism"]["deadline"]["rounds"] == 50
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary file left
    validated = accord("validate", path)
    assert validated.returncode == 0, validated.stderr
    assert "valid: 2 parties" in validated.stdout
    out = tmp_path / "run"
    ran = accord("run", path, "--bus", "memory", "--out", out)
    assert ran.returncode == 0, ran.stderr
    result = json.loads((out / "result.json").read_text())
    assert [party["id"] for party in result["parties"]] == parties
    assert result["reason"] in {"agreement", "deadline"}
    assert 1 <= result["rounds"] <= 50
    assert result["parties"][0]["reservation"] == pytest.approx(reservation, abs=1e-12)


@pytest.mark.corpus
def test_accord_import_without_out_prints_the_scenario(corpus: Path) -> None:
    done = accord("import", "geniusweb", corpus / "geniusweb" / "FlightBooking")
    assert done.returncode == 0, done.stderr
    data = yaml.safe_load(done.stdout)
    assert Scenario.model_validate(data).name == "FlightBooking"
    assert done.stdout.startswith("# GeniusWeb domain FlightBooking")


@pytest.mark.corpus
def test_accord_import_of_a_refused_folder_exits_2_and_writes_nothing(
    corpus: Path, tmp_path: Path
) -> None:
    path = tmp_path / "laptop.yaml"
    done = accord("import", "genius", corpus / "genius" / "y2011" / "Laptop", "-o", path)
    assert done.returncode == 2
    assert "laptop_buyer_utility.xml:3: <objective name='LaptopDomain'>" in done.stderr
    assert "GENIUS caps utilities at 1" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not path.exists()
    done = accord("import", "geniusweb", tmp_path, "--strategies", "linear,,", "-o", path)
    assert done.returncode == 2
    assert "--strategies must be names separated by commas" in done.stderr
