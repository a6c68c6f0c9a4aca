"""Import a GeniusWeb domain folder (JSON) as an accord scenario.

A folder holds one domain file (a JSON object with ``issuesValues``) and two or more profiles
(a JSON object with the one key ``LinearAdditiveUtilitySpace``); each profile becomes one
party, its reservation bid's utility the party's reservation value. Other JSON files are
ignored, except profiles of another kind (``SumOfGroupsUtilitySpace``, partial orderings, ...),
which are refused. What is read and how utilities are computed:
:mod:`accord.importers._geniusweb_domain` and :mod:`accord.importers._geniusweb_profile`.
Every refusal is a :class:`~accord.errors.GeniusWebImportError` naming the file and the JSON
path of the problem.

NegMAS 0.16 (``negmas.inout.load_geniusweb_domain_from_folder``) reads discrete domains and
``discreteutils`` only: it fails on number ranges and reads any other spelling of the value
utilities as empty tables. ``bench/geniusweb_vs_negmas.py`` compares both on a corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from accord.errors import GeniusWebImportError
from accord.importers._geniusweb_domain import read_domain
from accord.importers._geniusweb_profile import PROFILE_KEY, read_profile
from accord.importers._json import Where, parse_json
from accord.importers._names import party_id
from accord.model import BindError
from accord.scenarios import Scenario

__all__ = ["geniusweb_scenario"]


def geniusweb_scenario(
    folder: Path,
    *,
    strategies: Sequence[str] = ("boulware", "conceder"),
    rounds: int = 180,
) -> dict[str, Any]:
    """The scenario data (for :meth:`Scenario.model_validate
    <accord.scenarios.Scenario.model_validate>`, or to save as YAML) of the GeniusWeb domain
    in ``folder``: its issues, one party per profile file (in file name order, ids made from
    the file names, ``strategies`` given out in turn) and a stacked alternating offers
    mechanism ending after ``rounds`` rounds. Raises
    :class:`~accord.errors.GeniusWebImportError`."""
    folder = Path(folder)
    if isinstance(strategies, str) or not strategies or not all(strategies):
        raise GeniusWebImportError(
            f"strategies must be a non-empty sequence of names, got {strategies!r}"
        )
    if rounds < 1:
        raise GeniusWebImportError(f"rounds must be at least 1, got {rounds!r}")
    domain, profiles = _files(folder)
    domain_name, issues = read_domain(domain)
    parties = []
    taken: set[str] = set()
    for k, where in enumerate(profiles):
        profile, name = read_profile(where, issues, domain_name)
        parties.append(
            {
                "id": party_id(where.file.stem, taken),
                "organisation": where.file.stem,
                "description": f"GeniusWeb profile {where.file.name}"
                + (f" ({name})" if name and name != where.file.stem else ""),
                "strategy": {"name": strategies[k % len(strategies)]},
                "profile": profile,
            }
        )
    data = {
        "name": folder.name,
        "description": (
            f"GeniusWeb domain {domain_name or folder.name}: issues from {domain.file.name}, "
            f"one party per profile ({', '.join(where.file.name for where in profiles)})."
        ),
        "issues": [issue.as_data() for issue in issues],
        "parties": parties,
        "mechanism": {"name": "saop", "deadline": {"rounds": rounds}},
    }
    _check(folder, data)
    return data


def _files(folder: Path) -> tuple[Where, list[Where]]:
    """The domain file and the profile files of ``folder``, each parsed."""
    if not folder.is_dir():
        raise GeniusWebImportError("not a folder", source=str(folder))
    domains: list[Where] = []
    profiles: list[Where] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() != ".json":
            continue
        where = Where(path, parse_json(path))
        if not isinstance(where.value, dict):
            continue  # not a GeniusWeb domain or profile
        if "issuesValues" in where.value:
            domains.append(where)
        elif len(where.value) == 1 and _is_profile(next(iter(where.value))):
            kind = next(iter(where.value))
            if kind != PROFILE_KEY:
                raise where.fail(f"a {kind} profile; accord imports {PROFILE_KEY} profiles only")
            profiles.append(where)
    if len(domains) != 1:
        found = [where.file.name for where in domains]
        raise GeniusWebImportError(
            f"expected one domain file (a JSON object with 'issuesValues'), found {found!r}",
            source=str(folder),
        )
    if len(profiles) < 2:
        raise GeniusWebImportError(
            f"expected at least two profiles (a JSON object with the key {PROFILE_KEY!r}), "
            f"found {[where.file.name for where in profiles]!r}",
            source=str(folder),
        )
    return domains[0], profiles


def _is_profile(key: str) -> bool:
    """Whether ``key``, the one key of a JSON object, names a GeniusWeb profile type."""
    return key.endswith(("UtilitySpace", "Ordering", "Profile"))


def _check(folder: Path, data: dict[str, Any]) -> None:
    """Validate the scenario and bind every profile, so that a result is always usable."""
    try:
        scenario = Scenario.model_validate(data)
        space = scenario.outcome_space()
        for party in scenario.parties:
            party.profile.bind(space)
    except (ValidationError, BindError, ValueError) as exc:
        raise GeniusWebImportError(
            f"the imported scenario is not valid: {exc}", source=str(folder)
        ) from exc
