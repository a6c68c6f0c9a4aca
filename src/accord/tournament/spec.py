"""Tournament specs: which strategies meet on which scenarios under which mechanisms.

A spec is a YAML (or JSON) file::

    name: four strategies on two ANAC domains
    seed: 7
    strategies:
      - boulware
      - {name: time-dependent, params: {e: 0.5}, label: td-0.5}
    scenarios:
      - scenarios/platform-isv.yaml         # a scenario file
      - {path: genius/y2013/Coffee}         # or a GENIUS domain folder
    mechanisms:
      - {name: saop, deadline: {rounds: 60}}
    repetitions: 2
    assignments: ordered                    # or distinct

Relative paths are relative to the spec file. Errors name the file, the field path and the
line, as scenario errors do (the line mapping is the scenario loader's).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from accord.agents import STRATEGIES
from accord.errors import PluginError, ScenarioError, TournamentSpecError
from accord.protocols import MECHANISMS, Deadline

# The scenario loader's YAML line mapping, shared rather than copied (see the module docstring).
from accord.scenarios.loader import (
    _compose,
    _pydantic_problems,
    _reject_duplicate_keys,
    refusal,
)

__all__ = [
    "Assignments",
    "MechanismEntry",
    "ScenarioEntry",
    "StrategyEntry",
    "TournamentSpec",
    "load_spec",
    "parse_spec",
]

Assignments = Literal["ordered", "distinct"]
"""``ordered``: every ordered tuple of strategies, a strategy may meet itself (permutations
with repetition); ``distinct``: ordered tuples of different strategies (without repetition)."""

Label = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[^|\n\r]+$")]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StrategyEntry(_Model):
    """A contestant: a strategy name (or ``package.module:Class``) with its parameters."""

    name: Annotated[str, Field(min_length=1)]
    params: dict[str, Any] = Field(default_factory=dict)
    label: Label | None = None
    """The name in results and tables [default: the name, with the parameters if any]."""

    @property
    def title(self) -> str:
        if self.label is not None:
            return self.label
        if not self.params:
            return self.name
        inner = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.name}({inner})"


class ScenarioEntry(_Model):
    """A scenario file, or a folder holding a GENIUS domain."""

    path: Annotated[str, Field(min_length=1)]
    label: Label | None = None
    """The name in results [default: the file name without extension, or the folder name]."""

    @property
    def title(self) -> str:
        return self.label if self.label is not None else Path(self.path).stem


class MechanismEntry(_Model):
    """A mechanism with its parameters and deadline (the scenario's own is not used)."""

    name: str = "saop"
    params: dict[str, Any] = Field(default_factory=dict)
    deadline: Deadline = Field(default_factory=Deadline)
    label: Label | None = None
    """The name in results [default: name, ``-r<rounds>`` and ``-s<seconds>`` if set]."""

    @property
    def title(self) -> str:
        if self.label is not None:
            return self.label
        title = self.name
        if self.deadline.rounds is not None:
            title += f"-r{self.deadline.rounds}"
        if self.deadline.seconds is not None:
            title += f"-s{self.deadline.seconds:g}"
        return title


class TournamentSpec(_Model):
    """Strategies x scenarios x mechanisms x repetitions, every seat assignment."""

    name: Annotated[str, Field(min_length=1)] = "tournament"
    seed: int = Field(default=0, ge=0, le=2**53 - 1)
    strategies: list[StrategyEntry] = Field(min_length=1)
    scenarios: list[ScenarioEntry] = Field(min_length=1)
    mechanisms: list[MechanismEntry] = Field(default_factory=lambda: [MechanismEntry()])
    repetitions: int = Field(default=1, ge=1)
    assignments: Assignments = "ordered"
    sign: bool = False
    """Sign and verify every envelope, as ``accord run`` does (slower; no log is kept)."""

    @field_validator("strategies", mode="before")
    @classmethod
    def _strategy_names(cls, value: Any) -> Any:
        return [{"name": v} if isinstance(v, str) else v for v in value] if _listy(value) else value

    @field_validator("scenarios", mode="before")
    @classmethod
    def _scenario_paths(cls, value: Any) -> Any:
        return [{"path": v} if isinstance(v, str) else v for v in value] if _listy(value) else value

    @field_validator("mechanisms", mode="before")
    @classmethod
    def _mechanism_names(cls, value: Any) -> Any:
        return [{"name": v} if isinstance(v, str) else v for v in value] if _listy(value) else value


def _listy(value: Any) -> bool:
    return isinstance(value, list)


def load_spec(path: str | Path) -> tuple[TournamentSpec, Path]:
    """Read and check the spec at ``path``; return it with the folder its relative paths
    start from. Raises :class:`~accord.errors.TournamentSpecError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TournamentSpecError("no such file", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TournamentSpecError(f"cannot read the file: {exc}", source=str(path)) from None
    return parse_spec(text, source=str(path), base=path.parent), path.parent


def parse_spec(
    text: str, *, source: str = "<tournament>", base: Path | None = None
) -> TournamentSpec:
    """Validate spec ``text``; with ``base``, also check that every scenario path exists
    (relative to ``base``). Strategies and mechanisms must resolve and accept their
    parameters."""
    try:
        node = _compose(text, source)
        _reject_duplicate_keys(node, source)
    except ScenarioError as exc:
        raise TournamentSpecError(exc.message, source=source, line=exc.line) from None
    try:
        data = json.loads(text) if source.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise TournamentSpecError(f"not valid JSON or YAML: {exc}", source=source) from None
    if not isinstance(data, dict):
        raise TournamentSpecError(
            f"a tournament spec must be a mapping of fields, got {type(data).__name__}",
            source=source,
        )
    try:
        spec = TournamentSpec.model_validate(data)
    except ValidationError as exc:
        raise refusal(_pydantic_problems(exc), node, source, TournamentSpecError) from None
    problems = _problems(spec, base)
    if problems:
        located = [(message, where) for where, message in problems]
        raise refusal(located, node, source, TournamentSpecError)
    return spec


Loc = Sequence[str | int]


def _problems(spec: TournamentSpec, base: Path | None) -> list[tuple[Loc, str]]:
    """Cross-field problems, each with the path of the field at fault."""
    problems: list[tuple[Loc, str]] = []
    titles = {
        "strategies": [e.title for e in spec.strategies],
        "scenarios": [e.title for e in spec.scenarios],
        "mechanisms": [e.title for e in spec.mechanisms],
    }
    for field, listed in titles.items():
        seen: dict[str, int] = {}
        for k, title in enumerate(listed):
            if title in seen:
                message = (
                    f"{title!r} is listed twice (as number {seen[title] + 1} and {k + 1}); "
                    "give one a different label"
                )
                problems.append(((field, k), message))
            seen.setdefault(title, k)
    for k, strategy in enumerate(spec.strategies):
        try:
            STRATEGIES.create(strategy.name, strategy.params)
        except PluginError as exc:
            field = "params" if strategy.params and "bad parameters" in str(exc) else "name"
            problems.append((("strategies", k, field), str(exc)))
    for k, mechanism in enumerate(spec.mechanisms):
        try:
            MECHANISMS.create(mechanism.name, mechanism.params)
        except PluginError as exc:
            field = "params" if mechanism.params and "bad parameters" in str(exc) else "name"
            problems.append((("mechanisms", k, field), str(exc)))
    if base is not None:
        for k, scenario in enumerate(spec.scenarios):
            where = resolve(base, scenario.path)
            if not where.exists():
                problems.append(
                    (("scenarios", k, "path"), f"no such file or folder: {scenario.path!r}")
                )
    return problems


def resolve(base: Path, path: str) -> Path:
    """``path`` as written in a spec, relative to the spec's folder ``base``."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else base / candidate
