"""The ``accord`` command, run as a user runs it: in a subprocess, reading and writing files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from accord.ledger.verify import verify_log
from accord.lifecycle import Charter
from conftest import EXAMPLES, ROOT, scenario_data

EXAMPLE = next(p for p in EXAMPLES if p.name == "platform-isv.yaml")


def accord(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    return subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_run_writes_transcript_and_result(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = accord("run", EXAMPLE, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "Platform partner programme" in done.stdout
    assert "utility" in done.stdout
    result = json.loads((out / "result.json").read_text())
    lines = (out / "transcript.jsonl").read_text().splitlines()
    assert result["messages"] == len(lines)
    performatives = [json.loads(line)["performative"] for line in lines]
    assert performatives[-3:] == ["result", "reveal", "reveal"]
    assert {p["id"] for p in result["parties"]} == {"platform", "isv"}
    assert sorted(os.listdir(out)) == [
        "charter.json",
        "log.jsonl",
        "result.json",
        "transcript.jsonl",
    ]
    assert not [p for p in os.listdir(tmp_path) if p != "out"]  # no staging left behind
    verified = accord("log", "verify", out)
    assert verified.returncode == 0, verified.stderr
    # the genesis, each envelope of the transcript, then the charter's sign and countersigns
    assert f"valid: {len(lines) + 1 + 3} entries" in verified.stdout
    assert "2 of 2 commitments revealed and matching" in verified.stdout


def test_bus_memory_calls_the_parties_and_logs_what_envelopes_would_carry(tmp_path: Path) -> None:
    """``--bus memory`` runs the parties called directly and logs the run after it;
    ``--envelopes`` sends every message through the in-memory bus: the same messages, in the
    same order, and both logs verify."""
    direct, carried = tmp_path / "direct", tmp_path / "carried"
    assert accord("run", EXAMPLE, "--bus", "memory", "--out", direct).returncode == 0
    done = accord("run", EXAMPLE, "--bus", "memory", "--envelopes", "--out", carried)
    assert done.returncode == 0, done.stderr

    def messages(run: Path) -> list[dict[str, Any]]:
        lines = (run / "transcript.jsonl").read_text().splitlines()
        random = ("sent_ns", "sig", "session")  # and a join's will_nonce: fresh each run
        kept = [{k: v for k, v in json.loads(line).items() if k not in random} for line in lines]
        for message in kept:
            message["body"].pop("will_nonce", None)
        return kept

    assert messages(direct) == messages(carried)
    for run in (direct, carried):
        verified = accord("log", "verify", run)
        assert verified.returncode == 0, verified.stderr
    entries = [json.loads(line) for line in (direct / "log.jsonl").read_text().splitlines()]
    logged = [e for e in entries if "envelope" in e]
    transcript = [
        json.loads(line) for line in (direct / "transcript.jsonl").read_text().splitlines()
    ]
    # each envelope of the direct run is logged as received when it was sent
    assert [e["received_ns"] for e in logged[: len(transcript)]] == [
        e["sent_ns"] for e in transcript
    ]
    refused = accord("run", EXAMPLE, "--envelopes", "--out", tmp_path / "no")
    assert refused.returncode == 2
    assert "--envelopes goes with --bus memory" in refused.stderr + refused.stdout


def test_a_rerun_into_a_folder_with_a_run_is_refused_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert accord("run", EXAMPLE, "--out", out, "--bus", "memory").returncode == 0
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    again = accord("run", EXAMPLE, "--out", out, "--bus", "memory", "--seed", "7")
    assert again.returncode == 2
    assert (
        f"{out} already holds a run (log.jsonl, transcript.jsonl, result.json, charter.json)"
        in (" ".join(again.stderr.split()))
    )
    assert "--force" in again.stderr
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before
    forced = accord(
        "run", EXAMPLE, "--out", out, "--bus", "memory", "--seed", "7", "--sqlite", "--force"
    )
    assert forced.returncode == 0, forced.stderr
    # the earlier run's log does not stay beside the new one
    assert sorted(os.listdir(out)) == [
        "charter.json",
        "log.sqlite",
        "result.json",
        "transcript.jsonl",
    ]
    assert json.loads((out / "result.json").read_text())["seed"] == 7
    charter = json.loads((out / "charter.json").read_text())["charter"]
    assert charter["negotiation_id"].endswith("-7")  # the new run's, in the resumed SQLite log
    assert accord("log", "verify", out).returncode == 0


def test_check_proof_names_a_malformed_key_and_where_the_key_is(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert accord("run", EXAMPLE, "--out", out, "--bus", "memory").returncode == 0
    receipt = tmp_path / "receipt.json"
    proved = accord("log", "prove", out, "--entry", "3")
    receipt.write_text(proved.stdout)
    bad = accord("log", "check-proof", receipt, "--recorder-key", "not-a-key")
    assert bad.returncode == 2
    assert "--recorder-key 'not-a-key' is not a base64 Ed25519 public key" in bad.stderr
    own = accord("log", "check-proof", receipt)
    assert own.returncode == 0
    assert "keys.recorder of the log's genesis line" in " ".join(own.stderr.split())
    genesis = json.loads((out / "log.jsonl").read_text().splitlines()[0])
    trusted = accord("log", "check-proof", receipt, "--recorder-key", genesis["keys"]["recorder"])
    assert trusted.returncode == 0
    assert "signed by the trusted recorder key" in trusted.stdout
    assert "genesis" in " ".join(accord("log", "check-proof", "--help").stdout.split())


def test_run_json_and_seed(tmp_path: Path) -> None:
    done = accord("run", EXAMPLE, "--out", tmp_path / "a", "--json", "--seed", "7")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["seed"] == 7
    assert result["negotiation_id"].endswith("-7")
    assert json.loads((tmp_path / "a" / "result.json").read_text()) == result


def test_default_output_directory_is_under_runs(tmp_path: Path) -> None:
    done = accord("run", EXAMPLE, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "runs" / "platform-partner-programme-42" / "result.json").is_file()


def test_bad_scenario_exits_2_naming_file_field_line_and_writes_nothing(tmp_path: Path) -> None:
    data = scenario_data("linear", "sneaky")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    done = accord("run", path, "--out", out)
    assert done.returncode == 2
    assert f"{path}:" in done.stderr
    assert "parties[1].strategy.name" in done.stderr
    assert "unknown strategy 'sneaky'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_missing_file_exits_2(tmp_path: Path) -> None:
    done = accord("run", tmp_path / "missing.yaml")
    assert done.returncode == 2
    assert "missing.yaml: no such file" in done.stderr


def test_validate(tmp_path: Path) -> None:
    done = accord("validate", EXAMPLE)
    assert done.returncode == 0
    assert "valid" in done.stdout
    assert "41,013 outcomes" in done.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    done = accord("validate", bad)
    assert done.returncode == 2
    assert "issues" in done.stderr


def test_a_faulty_party_still_completes_with_exit_0(tmp_path: Path) -> None:
    data = scenario_data("linear", {"name": "faulty:Raises"})
    path = tmp_path / "faulty.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    done = accord("run", path, "--out", tmp_path / "o", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["reason"], result["responsible"]) == ("strategy_error", "seller")


def test_listings() -> None:
    strategies = accord("strategies")
    assert strategies.returncode == 0
    for name in (
        "boulware",
        "conceder",
        "linear",
        "time-dependent",
        "hardliner",
        "random",
        "tit-for-tat",
    ):
        assert name in strategies.stdout
    assert "builtin" in strategies.stdout
    mechanisms = accord("mechanisms")
    assert mechanisms.returncode == 0
    assert "saop" in mechanisms.stdout


def test_usage_errors_exit_2() -> None:
    assert accord("run").returncode == 2
    assert accord("run", EXAMPLE, "--bogus").returncode == 2


def test_no_bracketed_help_text_is_lost() -> None:
    """Every command's --help keeps the text its options give in brackets (rich markup
    used to swallow '[default: runs/<negotiation id>]' and the like)."""
    import re  # noqa: PLC0415

    import typer.main  # noqa: PLC0415
    from typer.testing import CliRunner  # noqa: PLC0415

    from accord.cli import app  # noqa: PLC0415

    def commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
        """The command and its subcommands, each with the words that reach it."""
        found = [(path, group)]
        for name, sub in getattr(group, "commands", {}).items():
            found += commands(sub, (*path, name))
        return found

    runner = CliRunner()
    checked = 0
    for path, command in commands(typer.main.get_command(app)):
        shown = " ".join(runner.invoke(app, [*path, "--help"]).output.split())
        for param in command.params:
            for bracketed in re.findall(r"\[[^\]]*\]", getattr(param, "help", None) or ""):
                checked += 1
                assert " ".join(bracketed.split()) in shown, (path, param.name, bracketed)
    assert checked >= 5


def test_run_makes_the_agreement_a_signed_charter(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = accord("run", EXAMPLE, "--bus", "memory", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "signed by every party" in done.stdout
    record = json.loads((out / "charter.json").read_text())
    assert record["in_force"] is True
    assert sorted(record["signed"]) == ["isv", "platform"]
    charter = Charter.model_validate(record["charter"])
    assert charter.digest == record["digest"]
    assert charter.terms == json.loads((out / "result.json").read_text())["outcome"]
    assert verify_log(out / "log.jsonl").charter_sessions == [charter.session]
