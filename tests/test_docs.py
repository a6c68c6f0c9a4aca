"""The code in the README and the docs runs as printed."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

from accord.runner import negotiate
from conftest import ROOT, make_scenario


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.DOTALL)


async def test_the_strategy_in_the_architecture_doc_negotiates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (code,) = [b for b in python_blocks(ROOT / "docs" / "architecture.md") if "class HalfWay" in b]
    module = types.ModuleType("halfway_doc")
    exec(compile(code, "docs/architecture.md", "exec"), module.__dict__)  # noqa: S102  # our own doc
    monkeypatch.setitem(sys.modules, "halfway_doc", module)
    result = (await negotiate(make_scenario("halfway_doc:HalfWay", "conceder"))).result
    assert result.reason == "agreement"
    assert result.violations == []


def test_the_readme_python_example_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (code,) = python_blocks(ROOT / "README.md")
    assert len(code.strip().splitlines()) <= 12
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102  # our own README
    out = capsys.readouterr().out
    assert "utility" in out
    assert "envelopes, first: open" in out


async def test_the_example_in_the_scenario_doc_runs(tmp_path: Path) -> None:
    from accord import load_scenario  # noqa: PLC0415

    text = (ROOT / "docs" / "scenarios.md").read_text()
    (example,) = re.findall(r"## A small example\n\n```yaml\n(.*?)```", text, flags=re.DOTALL)
    path = tmp_path / "deal.yaml"
    path.write_text(example)
    result = (await negotiate(load_scenario(path))).result
    assert result.reason in {"agreement", "deadline"}
    assert result.negotiation_id == "supply-deal-3"


async def test_the_strategy_tutorial_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import tomllib  # noqa: PLC0415
    from importlib.metadata import EntryPoint  # noqa: PLC0415

    from accord import load_scenario  # noqa: PLC0415

    text = (ROOT / "docs" / "strategies.md").read_text()
    strategy, test = python_blocks(ROOT / "docs" / "strategies.md")
    module = types.ModuleType("patient")
    exec(compile(strategy, "docs/strategies.md", "exec"), module.__dict__)  # noqa: S102  # our doc
    monkeypatch.setitem(sys.modules, "patient", module)

    (deal,) = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    (tmp_path / "deal.yaml").write_text(deal)
    result = (await negotiate(load_scenario(tmp_path / "deal.yaml"))).result
    assert result.reason == "agreement"
    assert result.negotiation_id == "patient-deal-1"
    buyer = result.parties[0]
    assert buyer.strategy == "patient:Patient"
    assert buyer.utility >= 0.4  # its floor

    tests: dict[str, object] = {}
    exec(compile(test, "docs/strategies.md", "exec"), tests)  # noqa: S102  # our own doc
    test_function = tests["test_patient_plays_fair_against_the_builtins"]
    assert callable(test_function)
    test_function()  # plays in a helper thread: this test runs an event loop

    (toml,) = re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)
    entry_points = tomllib.loads(toml)["project"]["entry-points"]["accord.strategies"]
    assert EntryPoint("patient", entry_points["patient"], "accord.strategies").load() is (
        module.Patient
    )
    example = ROOT / "examples" / "accord-example-strategy" / "pyproject.toml"
    assert (
        "split-the-difference"
        in (tomllib.loads(example.read_text())["project"]["entry-points"]["accord.strategies"])
    )
