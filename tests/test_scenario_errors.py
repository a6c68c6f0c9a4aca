"""Bad scenario files are refused with the file, the field path and the line; nothing runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord import ScenarioError, load_scenario
from conftest import EXAMPLES, scenario_data

EXAMPLE = next(p for p in EXAMPLES if p.name == "platform-isv.yaml")


def write(tmp_path: Path, data: dict[str, Any], name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    text = (
        json.dumps(data, indent=2)
        if name.endswith(".json")
        else yaml.safe_dump(data, sort_keys=False)
    )
    path.write_text(text)
    return path


def line_of(path: Path, needle: str, after: str = "") -> int:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


def refused(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def test_unknown_strategy(tmp_path: Path) -> None:
    data = scenario_data("linear", "sneaky")
    path = write(tmp_path, data)
    error = refused(path)
    assert error.field == "parties[1].strategy.name"
    assert error.line == line_of(path, "name: sneaky")
    assert "unknown strategy 'sneaky'" in str(error)
    assert str(error).startswith(f"{path}:{error.line}: parties[1].strategy.name: ")


def test_unknown_issue_in_a_profile(tmp_path: Path) -> None:
    data = scenario_data()
    utility = data["parties"][1]["profile"]["utility"]
    utility["weights"]["size"] = utility["weights"].pop("colour")
    utility["values"]["size"] = utility["values"].pop("colour")
    path = write(tmp_path, data)
    error = refused(path)
    assert error.field == "parties[1].profile.utility.weights.size"
    assert error.line == line_of(path, "size:", after="Seller plc")
    assert "unknown issue 'size'" in str(error)


def test_weights_that_do_not_sum_to_one(tmp_path: Path) -> None:
    data = scenario_data()
    data["parties"][0]["profile"]["utility"]["weights"]["price"] = 0.5
    path = write(tmp_path, data)
    error = refused(path)
    assert error.field == "parties[0].profile.utility"
    assert "weights must sum to 1, got 0.9" in str(error)
    assert error.line == line_of(path, "type: linear-additive")


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        (
            lambda d: d["parties"][0]["profile"].update(reservation=1.5),
            "parties[0].profile.reservation",
            "less than or equal to 1, got 1.5",
        ),
        (
            lambda d: d["parties"][0]["profile"]["utility"]["values"]["colour"]["table"].update(
                red=2
            ),
            "parties[0].profile.utility.values.colour.table.red",
            "got 2",
        ),
        (lambda d: d["issues"][0].update(min=20), "issues[0]", "max must be >= min"),
        (
            lambda d: d["mechanism"]["deadline"].update(rounds=0),
            "mechanism.deadline.rounds",
            "greater than or equal to 1",
        ),
        (
            lambda d: d["parties"][0]["profile"]["utility"]["values"]["colour"]["table"].update(
                pink=0.5
            ),
            "parties[0].profile.utility.values.colour",
            "'pink'",
        ),
    ],
    ids=["reservation", "table-value", "issue-range", "rounds", "table-label"],
)
def test_values_out_of_range(tmp_path: Path, edit: Any, field: str, message: str) -> None:
    data = scenario_data()
    edit(data)
    error = refused(write(tmp_path, data))
    assert error.field == field
    assert message in str(error)
    assert error.line is not None


def test_duplicate_party_id(tmp_path: Path) -> None:
    data = scenario_data()
    data["parties"][1]["id"] = "buyer"
    path = write(tmp_path, data)
    error = refused(path)
    assert error.field == "parties[1].id"
    assert "duplicate party id 'buyer'" in str(error)
    assert error.line == line_of(path, "id: buyer", after="Buyer Ltd")


def test_reserved_party_id(tmp_path: Path) -> None:
    data = scenario_data()
    data["parties"][0]["id"] = "host"
    error = refused(write(tmp_path, data))
    assert error.field == "parties[0].id"
    assert "reserved" in str(error)


def test_unknown_field_and_missing_field(tmp_path: Path) -> None:
    data = scenario_data()
    data["parties"][0]["budget"] = 5
    error = refused(write(tmp_path, data))
    assert error.field == "parties[0].budget"
    assert "unknown field" in str(error)
    data = scenario_data()
    del data["parties"][0]["organisation"]
    error = refused(write(tmp_path, data))
    assert error.field == "parties[0].organisation"
    assert "Field required" in str(error)


def test_missing_file(tmp_path: Path) -> None:
    error = refused(tmp_path / "nope.yaml")
    assert str(error) == f"{tmp_path / 'nope.yaml'}: no such file"


def test_broken_yaml_and_json_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nissues: [\n  {name: a\nparties: 3\n")
    assert refused(path).line is not None
    path = tmp_path / "broken.json"
    path.write_text('{\n  "name": "x",\n  "issues": [,]\n}\n')
    error = refused(path)
    assert error.line == 3
    assert "not valid JSON" in str(error)


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dupe.yaml"
    text = EXAMPLE.read_text().replace("seed: 42\n", "seed: 42\nseed: 43\n")
    path.write_text(text)
    error = refused(path)
    assert "duplicate key 'seed'" in str(error)
    assert error.line == line_of(path, "seed: 43")


def test_json_scenarios_work_and_report_lines(tmp_path: Path) -> None:
    data = scenario_data()
    assert load_scenario(write(tmp_path, data, "ok.json")).name == "Test deal"
    data["parties"][1]["strategy"]["name"] = "nobody"
    path = write(tmp_path, data, "bad.json")
    error = refused(path)
    assert error.line == line_of(path, '"nobody"')


def test_a_strategy_that_cannot_answer_the_mechanism(tmp_path: Path) -> None:
    data = scenario_data("linear", "faulty:NoRespond")
    error = refused(write(tmp_path, data))
    assert error.field == "parties[1].strategy.name"
    assert "cannot answer the ['respond'] requests" in str(error)


def test_bad_strategy_parameters(tmp_path: Path) -> None:
    data = scenario_data("linear", {"name": "time-dependent", "params": {"e": -1}})
    error = refused(write(tmp_path, data))
    assert error.field == "parties[1].strategy.params"
    assert "e must be > 0" in str(error)
    data = scenario_data("linear", {"name": "hardliner", "params": {"speed": 3}})
    error = refused(write(tmp_path, data))
    assert "bad parameters {'speed': 3} for strategy 'hardliner'" in str(error)


def test_unknown_mechanism(tmp_path: Path) -> None:
    data = scenario_data()
    data["mechanism"]["name"] = "auction"
    error = refused(write(tmp_path, data))
    assert error.field == "mechanism.name"
    assert "unknown mechanism 'auction'; known mechanisms: coalition, contract-net" in str(error)


def test_an_empty_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    with pytest.raises(ScenarioError, match="the file is empty: a scenario needs at least"):
        load_scenario(path)
    path.write_text("- just\n- a list\n")
    with pytest.raises(ScenarioError, match=r"must be a mapping of fields, got a list$"):
        load_scenario(path)


def test_every_problem_of_a_file_is_named_with_its_line(tmp_path: Path) -> None:
    data = scenario_data()
    data["issues"][0]["name"] = 5
    data["mechanism"]["deadline"] = {"rounds": -1}
    data["bogus"] = True
    path = tmp_path / "many.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    fields = [problem.field for problem in caught.value.problems]
    assert fields == ["issues[0].name", "mechanism.deadline.rounds", "bogus"]
    assert all(problem.line is not None for problem in caught.value.problems)
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"{path}:") for line in lines)
    done = subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"error: {line}" for line in lines]
