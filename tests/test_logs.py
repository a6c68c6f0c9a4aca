"""accord as a library logs through the standard library, never to stdout; the CLI chooses."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import structlog
import yaml
from structlog.testing import capture_logs

from accord.runner import negotiate
from conftest import ROOT, make_scenario, scenario_data
from test_cli import accord

PROGRAM = """
from accord import load_scenario, run
negotiation = run(load_scenario({path!r}), seed=7)
print("mine:", negotiation.result.reason)
"""


def _python(code: str, *, env_path: Path = ROOT / "tests") -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own program
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(env_path), "PATH": ""},
        timeout=120,
        check=False,
    )


def test_a_program_using_accord_has_stdout_to_itself() -> None:
    done = _python(PROGRAM.format(path=str(ROOT / "scenarios" / "platform-isv.yaml")))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "mine: agreement\n"
    assert done.stderr == ""  # a clean run logs nothing above info


def test_warnings_go_to_stderr_and_info_through_the_applications_logging() -> None:
    data = scenario_data("linear", {"name": "faulty:Raises"})
    code = f"""
import logging, sys
from accord import Scenario, run
run(Scenario.model_validate({data!r}))
print("first run done")
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="LOGGED %(name)s %(message)s")
run(Scenario.model_validate({data!r}))
"""
    done = _python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "first run done\n"
    first, _, second = done.stderr.partition("LOGGED")
    assert "strategy_raised" in first  # a warning with nothing configured: stderr
    assert "negotiation_result" not in first  # info is quiet by default
    assert "LOGGED accord.runner" in "LOGGED" + second  # the application's own handler
    assert "negotiation_result" in second


async def test_a_raising_counter_offer_names_propose_and_carries_its_traceback() -> None:
    scenario = make_scenario("linear", {"name": "faulty:Raises"})
    configured = structlog.get_config()  # a CLI test in this process may have set a level
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with capture_logs() as logs:
            result = (await negotiate(scenario)).result
    finally:
        structlog.configure(**configured)
    raised = next(e for e in logs if e["event"] == "strategy_raised")
    assert (raised["request"], raised["method"]) == ("respond", "propose")
    assert result.detail.startswith("exception: RuntimeError: boom in propose\n")
    assert "Traceback (most recent call last):" in result.detail
    assert 'File "faulty.py", line' in result.detail  # the file's name, not the machine's path
    assert "in propose" in result.detail
    assert "runtime.py" not in result.detail  # accord's own frames are left out
    assert str(ROOT) not in result.detail
    traced = next(e for e in logs if e["event"] == "strategy_traceback")
    assert traced["log_level"] == "debug"
    assert "faulty.py" in traced["traceback"]


def test_accord_run_shows_the_traceback_with_verbose(tmp_path: Path) -> None:
    path = tmp_path / "raises.yaml"
    path.write_text(yaml.safe_dump(scenario_data("linear", {"name": "faulty:Raises"})))
    quiet = accord("run", path, "--out", tmp_path / "q")
    assert quiet.returncode == 0, quiet.stderr
    assert "exception: RuntimeError: boom in propose" in quiet.stdout
    assert "Traceback" not in quiet.stdout
    assert "accord -v run shows it" in quiet.stdout
    loud = accord("-v", "run", path, "--out", tmp_path / "v")
    assert loud.returncode == 0, loud.stderr
    assert 'File "faulty.py", line' in loud.stdout
    written = json.loads((tmp_path / "q" / "result.json").read_text())
    assert "Traceback (most recent call last):" in written["detail"]
