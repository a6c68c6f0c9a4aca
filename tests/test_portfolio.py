"""An organisation's portfolio: its charters read from verified logs, the exposure per
partner, and a rule across charters that its agent's runtime enforces like a mandate."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from accord import ScenarioError, load_scenario
from accord.audit import audit, load_transcript
from accord.audit.policy import AuditPolicy
from conftest import run_accord
from test_lifecycle import pilot_with

RULE = {"issue": "exclusivity", "values": ["category", "full"], "at_most": 1}


def marketplace(tmp_path: Path, name: str, change: Any = None) -> Path:
    def changed(data: dict[str, Any]) -> None:
        data["category"] = "marketplace"
        if change is not None:
            change(data)

    return pilot_with(tmp_path, changed, name)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Nimbus Cloud's first marketplace charter, with category exclusivity."""
    folder = tmp_path_factory.mktemp("portfolio")
    out = folder / "runs" / "ledgerly"
    done = run_accord("run", marketplace(folder, "first"), "--bus", "memory", "--out", out)
    assert done.returncode == 0, done.stderr
    record = json.loads((out / "charter.json").read_text())
    assert record["charter"]["terms"]["exclusivity"] == "category"
    assert record["charter"]["category"] == "marketplace"
    return out


def _second(tmp_path: Path, first_run: Path, **rule: Any) -> Path:
    def change(data: dict[str, Any]) -> None:
        data["name"] = "Platform partner programme, second ISV"
        data["parties"][0]["portfolio"] = {"runs": [str(first_run)], "rules": [{**RULE, **rule}]}

    return marketplace(tmp_path, "second", change)


def test_a_rule_across_charters_tightens_the_mandate(tmp_path: Path, first_run: Path) -> None:
    scenario = load_scenario(_second(tmp_path, first_run))
    platform = scenario.party("platform")
    assert platform.mandate is not None
    assert platform.mandate.issues["exclusivity"].forbidden == ("category", "full")
    assert scenario.party("isv").mandate is None  # the ISV named no portfolio
    looser = load_scenario(_second(tmp_path, first_run, at_most=2))
    assert looser.party("platform").mandate is None  # one charter held, two allowed


def test_another_category_does_not_count(tmp_path: Path, first_run: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["category"] = "co-selling"
        data["parties"][0]["portfolio"] = {"runs": [str(first_run)], "rules": [RULE]}

    scenario = load_scenario(marketplace(tmp_path, "other", change))
    assert scenario.party("platform").mandate is None


def test_the_runtime_enforces_it_and_the_audit_checks_it(tmp_path: Path, first_run: Path) -> None:
    out = tmp_path / "second"
    done = run_accord("run", _second(tmp_path, first_run), "--bus", "memory", "--out", out)
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "result.json").read_text())
    assert result["outcome"]["exclusivity"] == "none"  # the first run agreed "category"
    offered = [
        json.loads(line)["body"]["outcome"]["exclusivity"]
        for line in (out / "transcript.jsonl").read_text().splitlines()
        if json.loads(line)["performative"] == "offer" and json.loads(line)["sender"] == "platform"
    ]
    assert offered
    assert set(offered) == {"none"}  # the runtime keeps its strategy within the mandate
    report = audit(load_transcript(out), AuditPolicy())
    platform = report.mandates["platform"]
    assert platform.revealed
    assert platform.within is True
    assert platform.checked >= len(offered)  # its offers (and an acceptance, if it made one)


def test_the_portfolio_view(tmp_path: Path, first_run: Path) -> None:
    second = tmp_path / "second"
    assert (
        run_accord(
            "run", _second(tmp_path, first_run), "--bus", "memory", "--out", second
        ).returncode
        == 0
    )
    shown = run_accord("portfolio", "Nimbus Cloud", first_run, second, "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["exposure"] == {
        "Ledgerly Software": {"charters": 2, "in_force": 2, "open_breaches": 0}
    }
    assert [c["category"] for c in data["charters"]] == ["marketplace", "marketplace"]
    assert {k["name"] for k in data["charters"][0]["kpis"]} == {
        "joint_customers",
        "certification_pass_rate",
        "revenue_share_paid",
    }
    table = run_accord("portfolio", "Nimbus Cloud", first_run, second)
    assert "exposure per partner" in table.stdout
    stranger = run_accord("portfolio", "Acme", first_run)
    assert stranger.returncode == 2
    assert "'Acme' is not among its organisations" in stranger.stderr


def test_a_bad_portfolio_is_named_with_its_field(tmp_path: Path, first_run: Path) -> None:
    def missing(data: dict[str, Any]) -> None:
        data["parties"][0]["portfolio"] = {"runs": ["runs/nowhere"], "rules": [RULE]}

    with pytest.raises(ScenarioError) as info:
        load_scenario(marketplace(tmp_path, "missing", missing))
    assert info.value.field == "parties[0].portfolio.runs"
    assert "portfolio run" in str(info.value)
    assert info.value.line is not None

    def numeric(data: dict[str, Any]) -> None:
        data["parties"][0]["portfolio"] = {
            "runs": [str(first_run)],
            "rules": [{"issue": "revenue_share", "values": ["10"], "at_most": 1}],
        }

    with pytest.raises(ScenarioError) as info:
        load_scenario(marketplace(tmp_path, "numeric", numeric))
    assert info.value.field == "parties[0].portfolio.rules[0].issue"
    assert "not a categorical issue" in str(info.value)

    tampered = tmp_path / "tampered"
    subprocess.run(["cp", "-r", str(first_run), str(tampered)], check=True)  # noqa: S603, S607
    lines = (tampered / "log.jsonl").read_text().splitlines()
    lines[5] = lines[5].replace('"round":', '"round":9', 1)
    (tampered / "log.jsonl").write_text("\n".join(lines) + "\n")

    def forged(data: dict[str, Any]) -> None:
        data["parties"][0]["portfolio"] = {"runs": [str(tampered)], "rules": [RULE]}

    with pytest.raises(ScenarioError, match="its log does not verify"):
        load_scenario(marketplace(tmp_path, "forged", forged))
