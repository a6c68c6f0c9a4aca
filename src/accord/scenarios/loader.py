"""Loading scenario files (YAML or JSON) with errors that name the file, field and line.

The file is parsed once into data and once into a YAML node tree (JSON is YAML), so that a
field path from pydantic or from :mod:`accord.scenarios.checks` can be mapped back to the line
it came from. Duplicate keys, which YAML would silently collapse, are reported too. A file with
an ``import`` key takes its issues and parties from a GENIUS or GeniusWeb folder
(:mod:`accord.scenarios.imports`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from accord.errors import InputError, ScenarioError
from accord.logs import get_logger
from accord.scenarios.checks import check_scenario
from accord.scenarios.imports import IMPORT_KEY, apply_import, relocate
from accord.scenarios.schema import Scenario

__all__ = ["load_scenario", "parse_scenario", "refusal"]

Loc = Sequence[str | int]

log = get_logger("accord.scenarios")


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and check the scenario at ``path``; raises :class:`ScenarioError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("no such file", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read the file: {exc}", source=str(path)) from None
    return parse_scenario(text, source=str(path), base_dir=path.parent)


def parse_scenario(
    text: str, *, source: str = "<scenario>", base_dir: Path | None = None
) -> Scenario:
    """Validate and check scenario ``text`` (YAML or JSON); the relative path of an
    ``import`` is taken from ``base_dir`` (default: the current directory)."""
    node = _compose(text, source)
    data = _load_data(text, source)
    if data is None:
        raise ScenarioError(
            "the file is empty: a scenario needs at least name, issues, parties and mechanism",
            source=source,
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            f"a scenario must be a mapping of fields, got {_kind(data)}", source=source
        )
    _reject_duplicate_keys(node, source)
    written = data
    if IMPORT_KEY in data:
        data, problem = apply_import(data, base_dir=base_dir or Path())
        if problem is not None:
            raise ScenarioError(
                problem.message,
                source=source,
                field=_field(node, problem.loc),
                line=_line(node, problem.loc),
            )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise refusal(
            _pydantic_problems(exc, lambda loc: relocate(loc, written)), node, source
        ) from None
    problems = check_scenario(scenario)
    if problems:
        raise refusal([(p.message, relocate(p.loc, written)) for p in problems], node, source)
    return _with_portfolios(scenario, base_dir or Path(), node, source)


def _with_portfolios(
    scenario: Scenario, base_dir: Path, node: yaml.Node | None, source: str
) -> Scenario:
    """``scenario`` with every party's mandate tightened by its portfolio's rules
    (:mod:`accord.lifecycle.portfolio`), read from the runs it names."""
    if not any(party.portfolio for party in scenario.parties):
        return scenario
    from accord.lifecycle.portfolio import holdings, portfolio_mandate  # noqa: PLC0415

    parties = []
    for k, party in enumerate(scenario.parties):
        if party.portfolio is None:
            parties.append(party)
            continue
        runs = [base_dir / run for run in party.portfolio.runs]
        try:
            held = holdings(runs, party.organisation)
        except InputError as exc:
            raise refusal([(str(exc), ("parties", k, "portfolio", "runs"))], node, source) from None
        mandate, reasons = portfolio_mandate(
            party.mandate, party.portfolio.rules, held, scenario.category
        )
        for reason in reasons:
            log.info("portfolio_rule_binds", party=party.id, reason=reason)
        parties.append(party.model_copy(update={"mandate": mandate}))
    return scenario.model_copy(update={"parties": parties})


def refusal(
    problems: Sequence[tuple[str, Sequence[str | int]]],
    node: yaml.Node | None,
    source: str,
    kind: type[ScenarioError] = ScenarioError,
) -> ScenarioError:
    """One error for every ``(message, location)`` problem of a file, each with its field
    path and line (found in ``node``); the first raised, the rest in ``others``."""
    first, *others = (
        kind(message, source=source, field=_field(node, loc), line=_line(node, loc))
        for message, loc in problems
    )
    first.others = tuple(others)
    return first


def _pydantic_problems(
    exc: ValidationError,
    where: Callable[[tuple[str | int, ...]], Sequence[str | int]] = tuple,
) -> list[tuple[str, Sequence[str | int]]]:
    """Every problem pydantic found, in plain words, at its location (mapped by ``where``)."""
    return [
        (_message(err["msg"], err.get("input"), err["type"]), where(tuple(err["loc"])))
        for err in exc.errors()
    ]


def _kind(value: object) -> str:
    """What a value is, in the file's terms (YAML/JSON), not Python's."""
    names = {str: "a string", int: "a number", float: "a number", bool: "true/false"}
    return "a list" if isinstance(value, list) else names.get(type(value), type(value).__name__)


def _compose(text: str, source: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        if source.endswith(".json"):
            return None  # JSON that YAML cannot read (tabs): data still loads, without lines
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"not valid YAML: {problem}", source=source, line=line) from None


def _load_data(text: str, source: str) -> Any:
    if source.endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError(
                f"not valid JSON: {exc.msg}", source=source, line=exc.lineno
            ) from None
    return yaml.safe_load(text)


def _message(msg: str, value: object, kind: str) -> str:
    msg = msg.removeprefix("Value error, ")
    if kind in {"missing", "extra_forbidden"} or isinstance(value, dict | list):
        return msg if kind != "extra_forbidden" else "unknown field (not allowed here)"
    return f"{msg}, got {value!r}"


def _walk(node: yaml.Node | None, loc: Loc) -> tuple[list[str | int], yaml.Node | None]:
    """Follow ``loc`` through the node tree; return the path to show and the deepest node
    found. Pydantic puts the tag of a discriminated union into its paths (``linear-additive``
    after ``utility``); a part that equals the mapping's ``type`` is such a tag and is left
    out. A part the file does not have (a missing field) is kept in the path."""
    path: list[str | int] = []
    tagged = False
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            keys = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
            tag = keys.get("type")
            if isinstance(tag, yaml.ScalarNode) and tag.value == part and not tagged:
                tagged = True  # the union tag; the next part is the field inside
                continue
            tagged = False
            path.append(part)
            if str(part) in keys:
                node = keys[str(part)]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            path.append(part)
            node = node.value[part]
        else:
            path.append(part)
    return path, node


def _field(node: yaml.Node | None, loc: Loc) -> str:
    """A dotted path like ``parties[1].profile.reservation``."""
    path = _walk(node, loc)[0] if node is not None else list(loc)
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line(node: yaml.Node | None, loc: Loc) -> int | None:
    if node is None:
        return None
    _, found = _walk(node, loc)
    return found.start_mark.line + 1 if found is not None else None


def _reject_duplicate_keys(node: yaml.Node | None, source: str) -> None:
    stack: list[yaml.Node] = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        raise ScenarioError(
                            f"duplicate key {key.value!r}",
                            source=source,
                            line=key.start_mark.line + 1,
                        )
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
