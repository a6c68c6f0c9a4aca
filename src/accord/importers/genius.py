"""Import an ANAC GENIUS domain folder as an accord scenario.

A folder holds one domain file (root ``<negotiation_template>``, or a ``<utility_space>`` that
evaluates nothing) and two or more preference profiles (root ``<utility_space>``); other files
(the 2014 ``pareto.xml``, which is CSV) are ignored. Each profile becomes one party.
Utilities are the ones GENIUS computes (see :mod:`accord.importers._genius_profile`); where
accord cannot express them exactly, :class:`~accord.errors.GeniusImportError` names the file,
the element and its line.

NegMAS 0.16's loader computes other numbers from the same files: it does not divide discrete
evaluations by the largest of their issue, computes integer evaluators from 0 instead of the
issue's lower bound, counts an objective's weight on a dummy issue, and sums hyper-rectangle
utilities over open intervals without dividing by ``maxutility``. ``bench/genius_vs_negmas.py``
measures both libraries against each other and against GENIUS's rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from accord.errors import GeniusImportError
from accord.importers._genius_domain import read_domain
from accord.importers._genius_profile import read_profile
from accord.importers._names import party_id
from accord.importers._xml import Node, parse_xml
from accord.model import BindError
from accord.scenarios import Scenario

__all__ = ["genius_scenario"]

_EVALUATES = frozenset({"weight", "utility", "utility_function", "evaluator"})


def genius_scenario(
    folder: Path,
    *,
    strategies: Sequence[str] = ("boulware", "conceder"),
    rounds: int = 180,
) -> dict[str, Any]:
    """The scenario data (for :meth:`Scenario.model_validate
    <accord.scenarios.Scenario.model_validate>`, or to save as YAML) of the GENIUS domain in
    ``folder``: its issues, one party per profile file (in file name order, ids made from the
    file names, ``strategies`` given out in turn) and a stacked alternating offers mechanism
    ending after ``rounds`` rounds. Raises :class:`~accord.errors.GeniusImportError`."""
    folder = Path(folder)
    if isinstance(strategies, str) or not strategies or not all(strategies):
        raise GeniusImportError(
            f"strategies must be a non-empty sequence of names, got {strategies!r}"
        )
    if rounds < 1:
        raise GeniusImportError(f"rounds must be at least 1, got {rounds!r}")
    domain, profiles = _files(folder)
    issues = read_domain(*domain)
    parties = []
    taken: set[str] = set()
    for k, (path, root) in enumerate(profiles):
        parties.append(
            {
                "id": party_id(path.stem, taken),
                "organisation": path.stem,
                "description": f"GENIUS profile {path.name}",
                "strategy": {"name": strategies[k % len(strategies)]},
                "profile": read_profile(path, root, issues),
            }
        )
    data = {
        "name": folder.name,
        "description": (
            f"GENIUS domain {folder.name}: issues from {domain[0].name}, one party per "
            f"profile ({', '.join(path.name for path, _ in profiles)})."
        ),
        "issues": [issue.as_data() for issue in issues],
        "parties": parties,
        "mechanism": {"name": "saop", "deadline": {"rounds": rounds}},
    }
    _check(folder, data)
    return data


def _files(folder: Path) -> tuple[tuple[Path, Node], list[tuple[Path, Node]]]:
    """The domain file and the profile files of ``folder``, each with its parsed root."""
    if not folder.is_dir():
        raise GeniusImportError("not a folder", source=str(folder))
    domains: list[tuple[Path, Node]] = []
    profiles: list[tuple[Path, Node]] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() != ".xml":
            continue
        if path.stem.lower().startswith("pareto"):
            continue  # the 2014 Pareto frontiers: CSV despite the name
        root = parse_xml(path)
        if root.tag == "negotiation_template":
            domains.append((path, root))
        elif root.tag == "utility_space":
            (profiles if _evaluates(root) else domains).append((path, root))
    if len(domains) != 1:
        found = [path.name for path, _ in domains]
        raise GeniusImportError(
            f"expected one domain file (root <negotiation_template>), found {found!r}",
            source=str(folder),
        )
    if len(profiles) < 2:
        raise GeniusImportError(
            "expected at least two profiles (root <utility_space> with weights or "
            f"utilities), found {[path.name for path, _ in profiles]!r}",
            source=str(folder),
        )
    return domains[0], profiles


def _evaluates(root: Node) -> bool:
    """Whether a ``<utility_space>`` is a profile: it weighs or evaluates something."""
    return any(
        node.tag in _EVALUATES or (node.tag == "item" and "evaluation" in node.attrib)
        for node in _walk(root)
    )


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _check(folder: Path, data: dict[str, Any]) -> None:
    """Validate the scenario and bind every profile, so that a result is always usable."""
    try:
        scenario = Scenario.model_validate(data)
        space = scenario.outcome_space()
        for party in scenario.parties:
            party.profile.bind(space)
    except (ValidationError, BindError, ValueError) as exc:
        raise GeniusImportError(
            f"the imported scenario is not valid: {exc}", source=str(folder)
        ) from exc
