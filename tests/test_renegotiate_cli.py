"""``accord renegotiate``: a run's charter renegotiated from the command line, with every party
in the process or each in its own ``accord agent``."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from accord.ledger.verify import verify_log
from conftest import run_accord
from test_lifecycle import PILOT


def _run(tmp_path: Path) -> tuple[Path, Path]:
    keys, run = tmp_path / "keys", tmp_path / "run"
    for name in ("platform", "isv", "host", "recorder"):
        assert run_accord("keys", "new", name, "--out", keys).returncode == 0
    seed = str(secrets.randbelow(2**40))
    made = run_accord("run", PILOT, "--keys", keys, "--out", run, "--bus", "memory", "--seed", seed)
    assert made.returncode == 0, made.stderr
    return keys, run


def test_a_review_renegotiates_the_charter_in_force(tmp_path: Path) -> None:
    keys, run = _run(tmp_path)
    common: list[str | Path] = [run, PILOT, "--keys", keys, "--bus", "memory"]
    early = run_accord("renegotiate", *common, "--trigger", "review")
    assert early.returncode == 2
    assert "is not due for review for" in early.stderr
    assert not (run / "revision-2").exists()
    breach = run_accord("renegotiate", *common, "--trigger", "breach")
    assert breach.returncode == 2
    assert "no breach alert" in breach.stderr
    done = run_accord("renegotiate", *common, "--trigger", "review", "--day", "181")
    assert done.returncode == 0, done.stderr
    assert "version 2: charter" in done.stdout
    record = json.loads((run / "charter.json").read_text())
    assert record["charter"]["version"] == 2
    assert record["charter"]["revision"]["trigger"] == "review"
    assert verify_log(run / "log.jsonl").charter_sessions[1] == record["session"]
    assert verify_log(run / "revision-2" / "log.jsonl").ok
    # --day counts from the start of the version in force: version 2 has its own review date
    again = run_accord("renegotiate", *common, "--trigger", "review", "--day", "10")
    assert again.returncode == 2
    assert "not due for review for 170.0 days" in again.stderr
    assert not (run / "revision-3").exists()


@pytest.mark.mqtt
@pytest.mark.slow
def test_host_only_with_each_party_in_its_own_agent(tmp_path: Path, mosquitto_url: str) -> None:
    keys, run = _run(tmp_path)
    command = [sys.executable, "-m", "accord", "renegotiate", str(run), str(PILOT)]
    command += ["--keys", str(keys), "--trigger", "review", "--day", "181"]
    host = subprocess.Popen(  # noqa: S603  # our own command
        [*command, "--broker", mosquitto_url, "--host-only"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    agents = []
    try:
        assert host.stdout is not None
        assert "start each party's agent" in host.stdout.readline()
        for _ in range(2):
            command = host.stdout.readline().split()
            assert command[:2] == ["accord", "agent"]
            agents.append(
                subprocess.Popen(  # noqa: S603  # the command the host printed
                    [sys.executable, "-m", "accord", *command[1:]],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        shown, errors = host.communicate(timeout=120)
    finally:
        for agent in agents:
            agent.wait(timeout=60)
    assert host.returncode == 0, errors
    assert "version 2: charter" in shown
    assert "signed by every party" in shown
    assert [a.returncode for a in agents] == [0, 0]
    assert json.loads((run / "charter.json").read_text())["charter"]["version"] == 2
    assert verify_log(run / "log.jsonl").ok
