"""``accord audit``: planted unfair negotiations, violations and tampering are flagged with the
right exit code and named; bad input is a clear error; the HTML report renders in a real
headless browser."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord import Scenario, load_scenario
from accord.audit import DEFAULT_POLICY, audit, load_transcript
from accord.ledger.commitment import commit
from accord.ledger.storage import JsonlStorage
from accord.model import Profile
from accord.result import write_outputs
from accord.runner import negotiate
from conftest import EXAMPLES, ROOT, make_scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def accord(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests"))  # the faulty strategies
    return subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=ROOT,
    )


def recorded(scenario: Scenario, out: Path, *, reveal: bool = True) -> Path:
    """A run directory as ``accord run`` writes it (log, transcript, result)."""
    out.mkdir(parents=True, exist_ok=True)
    negotiation = negotiate(scenario, log=JsonlStorage(out / "log.jsonl"), reveal=reveal)
    done = asyncio.run(negotiation)
    write_outputs(out, done.result, done.transcript)
    return out


def report_of(run: Path, *extra: str | Path) -> tuple[int, dict[str, Any]]:
    done = accord("audit", run, "--format", "json", *extra)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_examples_are_fair_under_the_default_policy(path: Path, tmp_path: Path) -> None:
    run = recorded(load_scenario(path), tmp_path / "run")
    transcript = load_transcript(run)
    report = audit(transcript, DEFAULT_POLICY)
    assert report.integrity.ok
    assert report.profiles_from == "revealed"
    assert report.verdict.status == "fair", report.verdict.breaches
    assert report.process.same_information
    assert set(report.outcome.parties) == {p.id for p in load_scenario(path).parties}


def test_a_party_accepting_below_its_reservation_is_flagged(tmp_path: Path) -> None:
    scenario = make_scenario("linear", "faulty:AcceptsAnything")
    run = recorded(scenario, tmp_path / "run")
    code, report = report_of(run)
    assert code == 3
    seller = report["outcome"]["parties"]["seller"]
    assert seller["utility"] < seller["reservation"]
    assert not report["outcome"]["individually_rational"]
    rules = {b["rule"]: b["detail"] for b in report["verdict"]["breaches"]}
    assert "seller ends with utility" in rules["require_individual_rationality"]


def test_exploiting_a_conceding_opponent_is_flagged(tmp_path: Path) -> None:
    scenario = make_scenario("hardliner", "conceder")
    run = recorded(scenario, tmp_path / "run")
    code, report = report_of(run)
    assert code == 3
    assert report["process"]["never_conceded"] == ["buyer"]
    assert report["process"]["parties"]["seller"]["concession"] > 0
    rules = {b["rule"]: b["detail"] for b in report["verdict"]["breaches"]}
    assert rules["forbid_one_sided_concession"] == "buyer never conceded while seller did"
    markdown = accord("audit", run).stdout
    assert "never conceded while others did: **buyer**" in markdown


def test_a_protocol_violation_is_flagged_and_names_the_violator(tmp_path: Path) -> None:
    run = recorded(make_scenario("linear", "faulty:OffersOutside"), tmp_path / "run")
    code, report = report_of(run)
    assert code == 3
    assert report["reason"] == "protocol_violation"
    assert report["process"]["parties"]["seller"]["violations"]
    rules = {b["rule"]: b["detail"] for b in report["verdict"]["breaches"]}
    assert "seller" in rules["max_protocol_violations"]


def test_a_tampered_log_is_invalid_whatever_the_policy(tmp_path: Path) -> None:
    run = recorded(load_scenario(EXAMPLES[0]), tmp_path / "run")
    log = run / "log.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    target = next(i for i, line in enumerate(lines) if '"performative":"offer"' in line)
    lines[target] = lines[target].replace('"round":', '"round":1', 1)  # round n -> 1n
    log.write_text("".join(lines))
    code, report = report_of(run)
    assert code == 1
    assert report["verdict"]["status"] == "invalid-log"
    assert f"line {target + 1}" in report["integrity"]["first_problem"]
    markdown = accord("audit", run)
    assert markdown.returncode == 1
    assert "INVALID LOG" in markdown.stdout


def test_a_log_cut_before_the_reveals_is_invalid_not_bad_input(tmp_path: Path) -> None:
    """Without the reveals the audit has no profiles, but the log is what is wrong (cut,
    no final checkpoint): exit 1 with the line, as accord log verify says, not exit 2 asking
    for a reveal file."""
    run = recorded(load_scenario(EXAMPLES[0]), tmp_path / "run")
    log = run / "log.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:30]))
    done = accord("audit", run)
    assert done.returncode == 1, done.stderr
    assert "the log is invalid: line 30:" in done.stderr
    assert "it cannot be audited" in done.stderr
    assert accord("log", "verify", log).returncode == 1


def test_a_policy_file_sets_the_thresholds(tmp_path: Path) -> None:
    run = recorded(make_scenario("hardliner", "conceder"), tmp_path / "run")
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text("forbid_one_sided_concession: false\nmax_gini: null\n")
    code, report = report_of(run, "--policy", lenient)
    assert code == 0, report["verdict"]
    strict = tmp_path / "strict.yaml"
    strict.write_text("require_agreement: true\nforbid_one_sided_concession: false\n")
    code, report = report_of(run, "--policy", strict)
    assert code == 3
    assert [b["rule"] for b in report["verdict"]["breaches"]] == ["require_agreement"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("max_gini: 0.5\nmax_gini_typo: 3\nmax_pareto_distance: -1\n")
    done = accord("audit", run, "--policy", bad)
    assert done.returncode == 2
    # every problem, with its line, in plain words (not pydantic's "Extra inputs ...")
    assert "bad.yaml:2: max_gini_typo: unknown field (not allowed here)" in done.stderr
    assert "bad.yaml:3: max_pareto_distance: Input should be greater than or equal to 0" in (
        done.stderr
    )
    assert "Extra inputs" not in done.stderr


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    missing = accord("audit", tmp_path / "nowhere")
    assert missing.returncode == 2
    assert "nowhere: no such file or directory" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = accord("audit", tmp_path / "empty")
    assert empty.returncode == 2
    assert "no log.jsonl or log.sqlite" in empty.stderr
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "log.jsonl").write_bytes(b"\x00\xff not a log\n")
    unreadable = accord("audit", garbage)
    assert unreadable.returncode in {1, 2}
    assert "Traceback" not in unreadable.stderr
    assert "log" in unreadable.stderr


def test_unrevealed_profiles_need_a_scenario(tmp_path: Path) -> None:
    scenario_path = tmp_path / "deal.yaml"
    scenario = make_scenario("linear", "conceder")
    scenario_path.write_text(yaml.safe_dump(scenario.model_dump(mode="json")))
    run = recorded(scenario, tmp_path / "run", reveal=False)
    done = accord("audit", run)
    assert done.returncode == 2
    assert "party 'buyer' did not reveal its profile (it committed to one)" in done.stderr
    code, report = report_of(run, "--scenario", scenario_path)
    assert code == 0
    assert report["profiles_from"] == "scenario"


def test_a_reveal_file_that_does_not_open_the_commitment_is_refused(
    tmp_path: Path,
) -> None:
    scenario = make_scenario("linear", "conceder")
    run = recorded(scenario, tmp_path / "run", reveal=False)
    data = scenario.party("buyer").profile.model_dump(mode="json")
    data["reservation"] = 0.9  # not the profile the buyer committed to
    _, fake = commit("buyer", Profile.model_validate(data))
    reveal = tmp_path / "buyer.reveal.json"
    reveal.write_text(fake.model_dump_json())
    done = accord("audit", run, "--reveal", reveal)
    assert done.returncode == 2
    assert "does not match its commitment" in done.stderr


def test_the_html_report_renders_in_a_headless_browser(tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed")
    run = recorded(load_scenario(EXAMPLES[0]), tmp_path / "run")
    page = tmp_path / "audit.html"
    done = accord("audit", run, "--format", "html", "--out", page)
    assert done.returncode == 0, done.stderr
    browser = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu"]
    dom = subprocess.run(  # noqa: S603  # the system's browser
        [*browser, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert 'data-figures="2"' in dom  # both embedded figures decoded by the browser
    assert "FAIR: the policy holds" in dom
    embedded = dom.split('<script type="application/json" id="report">')[1].split("</script>")[0]
    assert json.loads(embedded)["verdict"]["status"] == "fair"
    shot = tmp_path / "shot.png"
    subprocess.run(  # noqa: S603
        [*browser, f"--screenshot={shot}", "--window-size=1000,1600", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


def test_the_checked_in_report_schema_is_current() -> None:
    from accord.audit.schema import audit_schema  # noqa: PLC0415

    checked_in = json.loads((ROOT / "docs" / "audit.schema.json").read_text())
    assert checked_in == json.loads(json.dumps(audit_schema())), (
        "docs/audit.schema.json is stale: python -m accord.audit.schema > docs/audit.schema.json"
    )


def test_the_documented_default_policy_is_the_default() -> None:
    text = (ROOT / "docs" / "audit.md").read_text()
    (block,) = re.findall(r"The default:\n\n```yaml\n(.*?)```", text, flags=re.DOTALL)
    assert yaml.safe_load(block) == DEFAULT_POLICY.model_dump()


# -- one report model, every format ------------------------------------------------------------


def _plain(text: str) -> str:
    return text.replace("**", "").replace("`", "")


def test_markdown_and_html_render_every_section_of_the_one_model(tmp_path: Path) -> None:
    from accord.audit.html import render_html  # noqa: PLC0415
    from accord.audit.markdown import render_markdown  # noqa: PLC0415
    from accord.audit.sections import Table, sections  # noqa: PLC0415

    run = recorded(make_scenario("linear", "faulty:OffersOutside"), tmp_path / "run")
    report = audit(load_transcript(run), DEFAULT_POLICY)
    model = sections(report)
    titles = [s.title for s in model]
    assert titles[:5] == ["Verdict", "Integrity", "Outcome", "Process", "Violations"]
    assert titles[-2:] == ["Domain", "Policy"]
    markdown, page = render_markdown(report), render_html(report)
    html_text = re.sub(r"<[^>]+>", "", page).replace("&#x27;", "'").replace("&quot;", '"')
    for section in model:
        assert f"## {section.title}\n" in markdown
        if section.title != "Verdict":
            assert f'<h2 id="{section.title.lower()}">{section.title}</h2>' in page
        for part in section.parts:  # section by section, every line of it, in both
            texts = (
                [part]
                if isinstance(part, str)
                else [c for row in part.rows for c in row]
                if isinstance(part, Table)
                else part
            )
            for text in texts:
                assert text in markdown, (section.title, text)
                assert _plain(text).replace("&", "&amp;") in html_text.replace("&", "&amp;"), (
                    section.title,
                    text,
                )
    violations = next(s for s in model if s.title == "Violations").parts[0]
    assert isinstance(violations, list)
    assert violations[0].startswith("**seller**: protocol_violation: invalid_offer")
    assert "`max_gini`: 0.6" in markdown  # the policy applied, rule by rule


def test_an_ending_by_a_fault_is_named_in_a_fair_verdict(tmp_path: Path) -> None:
    run = recorded(make_scenario("linear", {"name": "faulty:Raises"}), tmp_path / "run")
    code, report = report_of(run)
    assert (code, report["verdict"]["status"]) == (0, "fair")
    (warning,) = report["verdict"]["warnings"]
    assert warning.startswith("the negotiation ended by strategy_error of seller: exception:")
    assert "warning: the negotiation ended by strategy_error" in accord("audit", run).stdout


def test_gains_far_apart_carry_a_warning_with_the_default_policy(tmp_path: Path) -> None:
    run = recorded(load_scenario(ROOT / "scenarios" / "platform-isv.yaml"), tmp_path / "run")
    code, report = report_of(run)
    assert report["outcome"]["min_max_ratio"] < 0.25  # the platform gains 5x what the ISV does
    assert code == 0
    (warning,) = report["verdict"]["warnings"]
    assert "times what another does" in warning
    assert "max_gini 0.6" in warning


def test_a_tampered_log_counts_the_checkpoints_it_has_and_those_that_verify(
    tmp_path: Path,
) -> None:
    run = recorded(load_scenario(EXAMPLES[0]), tmp_path / "run")
    log = run / "log.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    found = sum('"checkpoint"' in line for line in lines)
    target = next(i for i, line in enumerate(lines) if '"kind":"checkpoint"' in line)
    lines[target] = lines[target].replace('"time_ns":"', '"time_ns":"1', 1)  # unsigned now
    log.write_text("".join(lines))
    _, report = report_of(run)
    assert report["integrity"]["checkpoints_found"] == found >= 1
    assert report["integrity"]["checkpoints"] < found
    markdown = accord("audit", run).stdout
    assert f"{found} checkpoints, {report['integrity']['checkpoints']} of them verified" in (
        markdown
    )
