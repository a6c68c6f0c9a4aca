"""The ``import:`` key of a scenario file: issues and parties from a GENIUS or GeniusWeb folder.

```yaml
name: Party domain, hardliner vs conceder      # optional: the folder's name otherwise
import:
  format: geniusweb                            # or genius
  path: ../../shared/corpus/geniusweb/Party    # relative to this file's folder
  strategies: [hardliner, conceder]            # given out to the profiles in turn
  rounds: 60                                   # the deadline of the imported mechanism
seed: 4
```

The folder is imported when the file is loaded (``accord.importers``), so the scenario always
reflects the folder. ``issues`` and ``parties`` come from the import and may not be given
beside it; ``name``, ``description``, ``seed`` and ``max_outcomes`` given beside it replace the
imported ones; ``mechanism`` is merged into the imported one key by key (``name``, ``params``,
``deadline``). Problems are reported at the ``import`` field they come from: a folder that
cannot be imported at ``import.path``, an unknown strategy at its entry of
``import.strategies``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.errors import GeniusImportError, GeniusWebImportError
from accord.scenarios.checks import Problem

__all__ = ["IMPORT_KEY", "ImportSpec", "apply_import", "relocate"]

IMPORT_KEY = "import"
_FROM_IMPORT = ("issues", "parties")
_REPLACED = ("name", "description", "seed", "max_outcomes")

Loc = tuple[str | int, ...]


class ImportSpec(BaseModel):
    """Where the issues and parties of a scenario come from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["genius", "geniusweb"]
    path: Annotated[str, Field(min_length=1)]
    strategies: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=lambda: ["boulware", "conceder"], min_length=1
    )
    rounds: int = Field(default=180, ge=1)

    def folder(self, base_dir: Path) -> Path:
        """The folder, a relative path taken from ``base_dir`` (the scenario file's folder)."""
        path = Path(self.path).expanduser()
        return path if path.is_absolute() else base_dir / path


def apply_import(data: dict[str, Any], *, base_dir: Path) -> tuple[dict[str, Any], Problem | None]:
    """``data`` with its ``import`` key replaced by what it imports, and ``None``; or ``data``
    unchanged and the first problem found."""
    from accord.importers import genius_scenario, geniusweb_scenario  # noqa: PLC0415  # cycle

    raw = data[IMPORT_KEY]
    if not isinstance(raw, dict):
        return data, Problem((IMPORT_KEY,), "expected a mapping with format and path")
    for key in _FROM_IMPORT:
        if key in data:
            return data, Problem(
                (key,), f"{key} come from the import; give them or the import key, not both"
            )
    try:
        spec = ImportSpec.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        message = err["msg"]
        if err["type"] not in {"missing", "extra_forbidden"}:
            message += f", got {err.get('input')!r}"
        if err["type"] == "extra_forbidden":
            message = "unknown field (not allowed here)"
        return data, Problem((IMPORT_KEY, *err["loc"]), message)
    importer = genius_scenario if spec.format == "genius" else geniusweb_scenario
    try:
        imported = importer(spec.folder(base_dir), strategies=spec.strategies, rounds=spec.rounds)
    except (GeniusImportError, GeniusWebImportError) as exc:
        return data, Problem((IMPORT_KEY, "path"), f"the {spec.format} import failed: {exc}")
    merged = imported | {key: data[key] for key in _REPLACED if key in data}
    if "mechanism" in data:
        mechanism = data["mechanism"]
        merged["mechanism"] = (
            imported["mechanism"] | mechanism if isinstance(mechanism, dict) else mechanism
        )
    for key, value in data.items():
        if key not in merged and key != IMPORT_KEY:
            merged[key] = value  # unknown fields: the schema reports them
    return merged, None


def relocate(loc: Loc, data: dict[str, Any]) -> Loc:
    """Where in the file a problem at ``loc`` of an imported scenario comes from: a party's
    strategy from its entry of ``import.strategies``, anything else about the imported issues
    and parties from ``import.path``."""
    if IMPORT_KEY not in data or not loc or loc[0] not in _FROM_IMPORT:
        return loc
    strategies = data[IMPORT_KEY].get("strategies") if isinstance(data[IMPORT_KEY], dict) else None
    if (
        loc[0] == "parties"
        and len(loc) > 2
        and loc[2] == "strategy"
        and isinstance(loc[1], int)
        and isinstance(strategies, list)
        and strategies
    ):
        return (IMPORT_KEY, "strategies", loc[1] % len(strategies))
    return (IMPORT_KEY, "path")
