"""Checks of a scenario that span several fields, each problem with its field path.

They run after the structure is valid: issue names are unique, party ids are unique, every
profile fits the issues, every strategy and the mechanism can be found and built with their
parameters, and every strategy can answer every request kind the mechanism sends.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.errors import OutcomeError, PluginError
from accord.lifecycle.kpis import COLLECTIVE
from accord.model import BindError, CategoricalIssue, OutcomeSpace
from accord.scenarios.schema import Scenario
from accord.wire import HOST

__all__ = ["Problem", "check_scenario"]

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    loc: Loc
    message: str


def check_scenario(scenario: Scenario) -> list[Problem]:
    """Every cross-field problem of ``scenario`` (empty when it can run)."""
    from accord.agents import STRATEGIES  # noqa: PLC0415  # registries import the scenario model
    from accord.protocols import MECHANISMS  # noqa: PLC0415

    problems: list[Problem] = []
    names = [issue.name for issue in scenario.issues]
    for k, name in enumerate(names):
        if name in names[:k]:
            problems.append(Problem(("issues", k, "name"), f"duplicate issue name {name!r}"))
    ids = [party.id for party in scenario.parties]
    for k, party_id in enumerate(ids):
        if party_id in ids[:k]:
            problems.append(Problem(("parties", k, "id"), f"duplicate party id {party_id!r}"))
    if problems:
        return problems

    problems.extend(_kpi_problems(scenario))
    problems.extend(_update_problems(scenario))
    space = OutcomeSpace(scenario.issues, max_outcomes=scenario.max_outcomes)
    problems.extend(_renegotiation_problems(scenario, space))
    requests: frozenset[str] = frozenset()
    try:
        mechanism = MECHANISMS.create(scenario.mechanism.name, scenario.mechanism.params)
        requests = mechanism.requests
    except PluginError as exc:
        problems.append(Problem(("mechanism", "name"), str(exc)))

    for k, party in enumerate(scenario.parties):
        at: Loc = ("parties", k)
        try:
            party.profile.bind(space)
        except BindError as exc:
            problems.append(Problem((*at, "profile", "utility", *exc.loc), str(exc)))
        except (ValueError, OutcomeError) as exc:
            problems.append(Problem((*at, "profile"), str(exc)))
        problems.extend(_mandate_problems(scenario, k))
        problems.extend(_portfolio_problems(scenario, k))
        try:
            strategy = STRATEGIES.create(party.strategy.name, party.strategy.params)
        except PluginError as exc:
            field = "params" if "bad parameters" in str(exc) else "name"
            problems.append(Problem((*at, "strategy", field), f"{exc} (party {party.id!r})"))
            continue
        missing = sorted(r for r in requests if not callable(getattr(strategy, r, None)))
        if missing:
            problems.append(
                Problem(
                    (*at, "strategy", "name"),
                    f"strategy {party.strategy.name!r} of party {party.id!r} cannot answer the "
                    f"{missing!r} requests that mechanism {scenario.mechanism.name!r} sends",
                )
            )
    return problems


def _mandate_problems(scenario: Scenario, k: int) -> list[Problem]:
    """A mandate's issue limits must name issues of the scenario and fit their kind; a
    mandate that wants approvals needs an approver that can be built."""
    from accord.mandate import APPROVERS  # noqa: PLC0415  # as the registries above

    party = scenario.parties[k]
    at: Loc = ("parties", k)
    problems: list[Problem] = []
    issues = {issue.name: issue for issue in scenario.issues}
    mandate = party.mandate
    for name, limit in (mandate.issues if mandate else {}).items():
        where: Loc = (*at, "mandate", "issues", name)
        issue = issues.get(name)
        if issue is None:
            problems.append(Problem(where, f"no issue named {name!r}; issues: {sorted(issues)}"))
        elif isinstance(issue, CategoricalIssue):
            if limit.numeric:
                problems.append(
                    Problem(where, f"issue {name!r} is categorical: use allowed/forbidden")
                )
            unknown = sorted((set(limit.allowed or ()) | set(limit.forbidden)) - set(issue.values))
            if unknown:
                problems.append(Problem(where, f"{unknown!r} are not values of issue {name!r}"))
        elif limit.allowed is not None or limit.forbidden:
            problems.append(Problem(where, f"issue {name!r} is numeric: use min/max"))
    if party.approver is not None:
        try:
            APPROVERS.create(party.approver.name, party.approver.params)
        except PluginError as exc:
            field = "params" if "bad parameters" in str(exc) else "name"
            problems.append(Problem((*at, "approver", field), str(exc)))
    elif mandate is not None and mandate.requires_approval:
        problems.append(
            Problem(
                (*at, "mandate", "approval"),
                f"the mandate of party {party.id!r} needs approvals but the party names no "
                "approver (approver: {name: terminal} asks a person at the terminal)",
            )
        )
    return problems


def _kpi_problems(scenario: Scenario) -> list[Problem]:
    """KPI names are unique; scope, owner and reporters are parties (``collective`` and
    ``host`` where allowed); a ``term`` is a numeric issue; a KPI without a target has one."""
    problems: list[Problem] = []
    parties = [party.id for party in scenario.parties]
    issues = {issue.name: issue for issue in scenario.issues}
    names: list[str] = []
    for k, kpi in enumerate(scenario.kpis):
        at: Loc = ("kpis", k)
        if kpi.name in names:
            problems.append(Problem((*at, "name"), f"duplicate KPI name {kpi.name!r}"))
        names.append(kpi.name)
        if kpi.scope not in (*parties, COLLECTIVE):
            problems.append(
                Problem(
                    (*at, "scope"),
                    f"scope {kpi.scope!r} is neither a party ({parties}) nor {COLLECTIVE!r}",
                )
            )
        if kpi.owner not in parties:
            problems.append(
                Problem((*at, "owner"), f"owner {kpi.owner!r} is not a party ({parties})")
            )
        for j, reporter in enumerate(kpi.reported_by):
            if reporter not in (*parties, HOST):
                problems.append(
                    Problem(
                        (*at, "reported_by", j),
                        f"reporter {reporter!r} is neither a party ({parties}) nor {HOST!r} "
                        "(the charter's keeper)",
                    )
                )
        if kpi.term is not None:
            issue = issues.get(kpi.term)
            if issue is None:
                problems.append(
                    Problem((*at, "term"), f"no issue named {kpi.term!r}; issues: {sorted(issues)}")
                )
            elif isinstance(issue, CategoricalIssue) and kpi.target is None:
                problems.append(
                    Problem(
                        (*at, "term"),
                        f"issue {kpi.term!r} is categorical: its agreed value cannot be the "
                        f"target of KPI {kpi.name!r}; give a target",
                    )
                )
        elif kpi.target is None:
            problems.append(
                Problem(
                    (*at, "target"),
                    f"KPI {kpi.name!r} has neither a target nor a term whose agreed value is one",
                )
            )
    return problems


def _update_problems(scenario: Scenario) -> list[Problem]:
    """The charter's profile update rule can be found and built with its parameters, and
    what it scales are KPIs with targets of their own."""
    from accord.lifecycle.updates import UPDATES  # noqa: PLC0415  # as the registries above

    if scenario.charter is None:
        return []
    problems = []
    kpis = {kpi.name: kpi for kpi in scenario.kpis}
    for name in scenario.charter.scale:
        kpi = kpis.get(name)
        if kpi is None or kpi.target is None:
            what = "no KPI" if kpi is None else "a KPI whose target is an agreed term"
            problems.append(
                Problem(
                    ("charter", "scale", name),
                    f"{name!r} is {what}: scale multiplies a KPI's own target and threshold",
                )
            )
    spec = scenario.charter.update
    try:
        UPDATES.create(spec.name, spec.params)
    except PluginError as exc:
        field = "params" if "bad parameters" in str(exc) else "name"
        problems.append(Problem(("charter", "update", field), str(exc)))
    return problems


def _renegotiation_problems(scenario: Scenario, space: OutcomeSpace) -> list[Problem]:
    """The status quo is an outcome; the renegotiation's mechanism can be built, its
    strategies are of parties, can be built and can answer that mechanism's requests."""
    from accord.agents import STRATEGIES  # noqa: PLC0415  # as the registries above
    from accord.protocols import MECHANISMS  # noqa: PLC0415

    problems = []
    if scenario.status_quo is not None and scenario.status_quo not in space:
        problems.append(Problem(("status_quo",), "the status quo is not an outcome of the issues"))
    spec = scenario.renegotiation
    if spec is None:
        return problems
    at: Loc = ("renegotiation", "mechanism")
    mechanism_spec = spec.mechanism or scenario.mechanism
    try:
        requests = MECHANISMS.create(mechanism_spec.name, mechanism_spec.params).requests
    except PluginError as exc:
        field = "params" if "bad parameters" in str(exc) else "name"
        return [*problems, Problem((*at, field), str(exc))]
    ids = [p.id for p in scenario.parties]
    for party in scenario.parties:
        strategy_spec = spec.strategies.get(party.id, party.strategy)
        where: Loc = ("renegotiation", "strategies", party.id)
        try:
            strategy = STRATEGIES.create(strategy_spec.name, strategy_spec.params)
        except PluginError as exc:
            if party.id in spec.strategies:
                problems.append(Problem((*where, "name"), str(exc)))
            continue
        missing = sorted(r for r in requests if not callable(getattr(strategy, r, None)))
        if missing:
            problems.append(
                Problem(
                    where if party.id in spec.strategies else at,
                    f"strategy {strategy_spec.name!r} of party {party.id!r} cannot answer the "
                    f"{missing!r} requests that a renegotiation under "
                    f"{mechanism_spec.name!r} sends",
                )
            )
    problems += [
        Problem(("renegotiation", "strategies", name), f"{name!r} is not a party ({ids})")
        for name in spec.strategies
        if name not in ids
    ]
    return problems


def _portfolio_problems(scenario: Scenario, k: int) -> list[Problem]:
    """A portfolio rule names a categorical issue of the scenario and values of it."""
    portfolio = scenario.parties[k].portfolio
    issues = {issue.name: issue for issue in scenario.issues}
    problems = []
    for j, rule in enumerate(portfolio.rules if portfolio else []):
        at: Loc = ("parties", k, "portfolio", "rules", j)
        issue = issues.get(rule.issue)
        if not isinstance(issue, CategoricalIssue):
            what = "no issue" if issue is None else "not a categorical issue"
            problems.append(
                Problem(
                    (*at, "issue"),
                    f"{rule.issue!r} is {what} of the scenario: a portfolio "
                    "rule bounds the values of a categorical issue",
                )
            )
            continue
        unknown = [v for v in rule.values if v not in issue.values]
        if unknown:
            problems.append(
                Problem((*at, "values"), f"{unknown!r} are not values of issue {rule.issue!r}")
            )
    return problems
