"""``tournament.json``: what a results folder was made from, so that a resumed run can refuse
a spec that changed.

It holds the spec (as validated, with paths as written), a digest of each scenario's issues
and profiles, the results columns and the SHA-256 of all of it. Resuming compares them field
by field and names every difference.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, JsonValue

from accord import __version__
from accord.errors import InputError
from accord.result import atomic_write
from accord.tournament.spec import TournamentSpec

__all__ = ["MANIFEST", "Manifest", "check_manifest", "differences"]

MANIFEST = "tournament.json"


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = 1
    accord: str = __version__
    spec_hash: str
    spec: dict[str, JsonValue]
    scenarios: dict[str, str]
    """SHA-256 of each scenario's issues and profiles, by label."""
    columns: list[str]
    jobs: int

    @classmethod
    def of(
        cls, spec: TournamentSpec, scenarios: dict[str, str], columns: list[str], jobs: int
    ) -> Manifest:
        data = spec.model_dump(mode="json")
        canonical = json.dumps(
            {"spec": data, "scenarios": scenarios}, sort_keys=True, separators=(",", ":")
        )
        return cls(
            spec_hash=hashlib.sha256(canonical.encode()).hexdigest(),
            spec=data,
            scenarios=scenarios,
            columns=columns,
            jobs=jobs,
        )


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def differences(old: Manifest, new: Manifest) -> list[str]:
    """What differs between two manifests, one phrase per difference."""
    found = [
        f"{name} ({_short(old.spec.get(name))} before, {_short(new.spec.get(name))} now)"
        for name in sorted(set(old.spec) | set(new.spec))
        if old.spec.get(name) != new.spec.get(name)
    ]
    found += [
        f"the issues or profiles of scenario {label!r}"
        for label in sorted(set(old.scenarios) & set(new.scenarios))
        if old.scenarios[label] != new.scenarios[label]
    ]
    if not found and old.columns != new.columns:
        found.append("the results columns (written by another accord version)")
    return found


def check_manifest(out: Path, manifest: Manifest) -> bool:
    """Write ``manifest`` into ``out`` if it has none; return ``True`` if it had one for the
    same spec (a resumed run). Raises :class:`~accord.errors.InputError` if the one there is
    for another spec, naming what differs."""
    path = out / MANIFEST
    if not path.exists():
        if (out / "results.csv").exists():
            raise InputError(
                f"{out} has a results.csv but no {MANIFEST}; it was not written by accord "
                "tournament: use another --out"
            )
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(path, manifest.model_dump_json(indent=2) + "\n")
        return False
    try:
        old = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"{path} is not a tournament manifest: {exc}") from None
    if old.spec_hash == manifest.spec_hash and old.columns == manifest.columns:
        return True
    changes = differences(old, manifest)
    raise InputError(
        f"{out} holds a tournament of another spec (hash {old.spec_hash[:12]}, now "
        f"{manifest.spec_hash[:12]}); it differs in: {'; '.join(changes) or 'its hash'}. "
        "Use another --out, or the spec it was made from"
    )
