"""Every shell and Python block of README.md and docs/ runs, as a new user would run it.

Each document's blocks run in order in a workspace of their own laid out as a fresh clone is
(``scenarios/``, ``examples/``, ``docs/``, ``bench/`` of this checkout, and ``../shared/corpus``
beside it, pointing at ``ACCORD_CORPUS``), so one block may use what an earlier one wrote. A
``sh``/``bash``/``console`` block's commands (in ``console``, the lines after ``$ ``) must
each exit 0; a ``python`` block must run. What a block does instead is declared in an HTML
comment on the line before its fence, invisible in the rendered page:

* ``<!-- doc-test: file NAME -->``: the block is a file the text asks the reader to save;
  it is written as ``NAME`` and not run.
* ``<!-- doc-test: where TOKEN=VALUE ... -->``: placeholders of the block, replaced before
  it runs (``SCENARIO=scenarios/platform-isv.yaml``).
* ``<!-- doc-test: exits 0 3 -->``: the exit codes its commands may end with (an audit's
  verdict ``breached`` is exit 3, and a fine result of a command).
* ``<!-- doc-test: skip: REASON -->``: not run, for the reason given (it installs into the
  environment, needs a machine or a cluster the test has not, or is a synopsis).

Every fenced block names its language, so none escapes these rules unseen: output and
diagrams are ``text``, data ``yaml``/``json``/``toml``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = {"sh", "bash", "console", "shell"}
RUN = SHELL | {"python"}
DATA = {"text", "yaml", "json", "toml"}
_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```\n", re.DOTALL | re.MULTILINE)
_NOTE = re.compile(r"<!-- doc-test: (?P<what>\w+)(?::? (?P<rest>.*?))? -->\n*$")


@dataclass(frozen=True)
class Block:
    doc: str
    line: int
    lang: str
    body: str
    what: str | None
    rest: str

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1] + "\n"
        note = _NOTE.search(before)
        found.append(
            Block(
                doc=str(path.relative_to(ROOT)),
                line=text[: match.start()].count("\n") + 1,
                lang=match["lang"],
                body=match["body"],
                what=None if note is None else note["what"],
                rest="" if note is None or note["rest"] is None else note["rest"],
            )
        )
    return found


def workspace(tmp_path: Path, corpus: Path) -> Path:
    """A fresh clone's layout: the repository's example folders, the corpus beside it."""
    repo = tmp_path / "accord"
    repo.mkdir()
    for name in ("scenarios", "examples", "docs", "bench"):
        shutil.copytree(
            ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "corpus").symlink_to(corpus)
    return repo


def commands(block: Block) -> list[str]:
    body = block.body
    for pair in shlex.split(block.rest) if block.what == "where" else []:
        token, _, value = pair.partition("=")
        body = body.replace(token, value)
    lines = body.splitlines()
    if block.lang == "console":
        return [line[2:] for line in lines if line.startswith("$ ")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))  # continued lines
    return [line for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def run_block(block: Block, repo: Path) -> None:
    allowed = {int(code) for code in block.rest.split()} if block.what == "exits" else {0}
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "COLUMNS": "200",
    }
    if block.lang == "python":
        script = [sys.executable, "-c", block.body]
        done = subprocess.run(  # noqa: S603  # our own docs
            script, cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, f"{block.where}: python block failed:\n{done.stderr}"
        return
    for command in commands(block):
        done = subprocess.run(  # noqa: S603  # our own docs
            ["bash", "-c", command],  # noqa: S607  # bash from PATH, as a reader's shell
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode in allowed, (
            f"{block.where}: `{command}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )


def test_every_block_says_what_it_is() -> None:
    """No fenced block without a language; every run-able one that is not run says why."""
    problems = []
    for doc in DOCS:
        for block in blocks(doc):
            if not block.lang:
                problems.append(f"{block.where}: a block without a language")
            elif block.lang not in RUN | DATA:
                problems.append(f"{block.where}: unknown language {block.lang!r}")
            if block.what == "skip" and not block.rest.strip():
                problems.append(f"{block.where}: skipped without a reason")
            if block.what not in (None, "skip", "file", "where", "exits"):
                problems.append(f"{block.where}: unknown doc-test note {block.what!r}")
    assert problems == []


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_the_blocks_of_a_document_run(doc: Path, tmp_path: Path, corpus: Path) -> None:
    repo = workspace(tmp_path, corpus)
    ran = 0
    for block in blocks(doc):
        if block.what == "skip":
            continue
        if block.what == "file":
            (repo / block.rest.strip()).write_text(block.body, encoding="utf-8")
            continue
        if block.lang in RUN:
            run_block(block, repo)
            ran += 1
    assert ran or not any(b.lang in RUN and b.what != "skip" for b in blocks(doc))
