"""The example plug-in package really installs and runs, and bad plug-ins do not break the rest.

The package in ``examples/accord-example-strategy`` is built into a wheel and installed with
pip into a folder of its own; ``accord`` then runs in subprocesses with that folder on
``PYTHONPATH``, so ``importlib.metadata`` finds the distribution and its entry point exactly as
it would in a user's environment. The bad plug-ins are distributions written by hand: one whose
module raises on import, one that claims a built-in's name.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.slow

PACKAGE = ROOT / "examples" / "accord-example-strategy"
SCENARIO = PACKAGE / "scenario.yaml"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the example distribution, built and installed by pip."""
    target = tmp_path_factory.mktemp("site")
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    done = subprocess.run(  # noqa: S603  # pip, on our own example package
        [sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check",
         "--quiet", *isolation, "--target", str(target), str(PACKAGE)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (target / "accord_example_strategy-0.1.0.dist-info" / "entry_points.txt").is_file()
    return target


@pytest.fixture(scope="module")
def bad_plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with two installed distributions that are broken in different ways."""
    target = tmp_path_factory.mktemp("bad")
    (target / "broken_plugin.py").write_text('raise RuntimeError("the licence server is down")\n')
    (target / "clashing_plugin.py").write_text(
        "from accord.agents import Conceder as MyConceder\n\n__all__ = ['MyConceder']\n"
    )
    entry_points = {
        "broken-plugin": "[accord.strategies]\nbroken = broken_plugin:Broken\n\n"
        "[accord.mechanisms]\nbroken-mechanism = broken_plugin:Mechanism\n",
        "clashing-plugin": "[accord.strategies]\nconceder = clashing_plugin:MyConceder\n",
        "twin-a": "[accord.strategies]\ntwin = clashing_plugin:MyConceder\n",
        "twin-b": "[accord.strategies]\ntwin = clashing_plugin:MyConceder\n",
    }
    for name, text in entry_points.items():
        info = target / f"{name.replace('-', '_')}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(text)
    return target


def accord(*args: str | Path, path: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m accord ARGS`` with only ``path`` added to the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in path)
    env["COLUMNS"] = "300"  # rich wraps tables and messages at 80 columns without a terminal
    return subprocess.run(  # noqa: S603  # our own command
        [sys.executable, "-m", "accord", *map(str, args)],
        capture_output=True, text=True, timeout=120, env=env, cwd=cwd, check=False,
    )  # fmt: skip


def one_line(text: str) -> str:
    return " ".join(text.split())


def scenario_with(tmp_path: Path, strategy: str) -> Path:
    """The example scenario with the hospitals playing ``strategy``."""
    data = yaml.safe_load(SCENARIO.read_text())
    data["parties"][0]["strategy"] = {"name": strategy}
    path = tmp_path / f"{strategy}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_installed_plugin_is_listed_with_its_distribution(
    installed: Path, tmp_path: Path
) -> None:
    done = accord("strategies", path=[installed], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("split-the-difference ")]
    assert line.rstrip().endswith("entry point (accord-example-strategy)")
    assert "meets the opponents halfway" in line
    assert "unusable" not in done.stderr


def test_the_installed_plugin_negotiates_its_scenario(installed: Path, tmp_path: Path) -> None:
    done = accord(
        "run", SCENARIO, "--bus", "memory", "--out", tmp_path / "out", "--json",
        path=[installed], cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["reason"] == "agreement"
    assert result["violations"] == []
    startup = next(p for p in result["parties"] if p["id"] == "startup")
    assert startup["strategy"] == "split-the-difference"
    assert startup["utility"] > startup["reservation"]
    assert (tmp_path / "out" / "result.json").is_file()


def test_the_package_passes_its_own_tests(installed: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(installed))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, timeout=120, env=env, cwd=PACKAGE, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


def test_a_plugin_that_fails_to_import_is_reported_and_the_rest_keep_working(
    installed: Path, bad_plugins: Path, tmp_path: Path
) -> None:
    path = [installed, bad_plugins]
    listed = accord("strategies", path=path, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    names = {line.split()[0] for line in listed.stdout.splitlines()[1:] if line.strip()}
    assert {"split-the-difference", "boulware", "micro"} <= names
    assert "broken" not in names
    stderr = one_line(listed.stderr)
    assert (
        "unusable strategy 'broken': strategy 'broken' from entry point (broken-plugin) "
        "failed to import: RuntimeError('the licence server is down')"
    ) in stderr

    mechanisms = accord("mechanisms", path=path, cwd=tmp_path)
    assert mechanisms.returncode == 0, mechanisms.stderr
    assert "saop" in mechanisms.stdout
    assert "unusable mechanism 'broken-mechanism'" in one_line(mechanisms.stderr)

    run = accord("run", SCENARIO, "--bus", "memory", "--out", tmp_path / "ok", "--json",
                 path=path, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["reason"] == "agreement"

    refused = accord("run", scenario_with(tmp_path, "broken"), "--bus", "memory",
                     path=path, cwd=tmp_path)  # fmt: skip
    assert refused.returncode == 2
    assert (
        "parties[0].strategy.name: strategy 'broken' from entry point (broken-plugin) failed "
        "to import: RuntimeError('the licence server is down')"
    ) in one_line(refused.stderr)


def test_a_plugin_named_like_a_builtin_leaves_the_builtin_and_is_named_by_its_package(
    installed: Path, bad_plugins: Path, tmp_path: Path
) -> None:
    both = [installed, bad_plugins]  # the example scenario's other party is the installed one
    listed = accord("strategies", path=[bad_plugins], cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:] if line.strip()}
    assert rows["conceder"].rstrip().endswith("builtin")  # the plain name stays the built-in
    assert rows["clashing-plugin:conceder"].rstrip().endswith("entry point (clashing-plugin)")
    notice = (
        "strategy name 'conceder' is accord's built-in and also a plug-in of clashing-plugin; "
        "'conceder' means the built-in, clashing-plugin:conceder the plug-in"
    )
    assert notice in one_line(listed.stderr)

    # the example tournament and every scenario naming 'conceder' keep working, warned once
    plain = accord("run", scenario_with(tmp_path, "conceder"), "--bus", "memory", "--json",
                   "--out", tmp_path / "plain", path=both, cwd=tmp_path)  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    assert one_line(plain.stderr).count("plugin_name_is_a_builtin") == 1
    assert "clashing-plugin:conceder" in one_line(plain.stderr)
    qualified = accord("run", scenario_with(tmp_path, "clashing-plugin:conceder"), "--bus",
                       "memory", "--json", "--out", tmp_path / "plug-in", path=both,
                       cwd=tmp_path)  # fmt: skip
    assert qualified.returncode == 0, qualified.stderr
    hospital = json.loads(qualified.stdout)["parties"][0]
    assert hospital["strategy"] == "clashing-plugin:conceder"
    builtin = accord("run", scenario_with(tmp_path, "builtin:conceder"), "--bus", "memory",
                     "--out", tmp_path / "builtin", path=both, cwd=tmp_path)  # fmt: skip
    assert builtin.returncode == 0, builtin.stderr
    assert "plugin_name_is_a_builtin" not in builtin.stderr


def test_a_name_two_plugins_define_is_refused_with_how_to_name_each(
    installed: Path, bad_plugins: Path, tmp_path: Path
) -> None:
    both = [installed, bad_plugins]  # the example scenario's other party is the installed one
    listed = accord("strategies", path=[bad_plugins], cwd=tmp_path)
    names = {line.split()[0] for line in listed.stdout.splitlines()[1:] if line.strip()}
    assert "twin" not in names  # neither one silently wins
    assert {"twin-a:twin", "twin-b:twin"} <= names
    collision = (
        "strategy name 'twin' is defined by several plug-ins (entry point (twin-a), entry point "
        "(twin-b)); name the one you mean: twin-a:twin or twin-b:twin"
    )
    assert f"unusable strategy 'twin': {collision}" in one_line(listed.stderr)
    refused = accord("run", scenario_with(tmp_path, "twin"), "--bus", "memory",
                     path=[bad_plugins], cwd=tmp_path)  # fmt: skip
    assert refused.returncode == 2
    assert f"parties[0].strategy.name: {collision}" in one_line(refused.stderr)
    chosen = accord("run", scenario_with(tmp_path, "twin-b:twin"), "--bus", "memory",
                    "--out", tmp_path / "b", path=both,
                    cwd=tmp_path)  # fmt: skip
    assert chosen.returncode == 0, chosen.stderr
