"""OfferIndex on a large space sorts only the best outcomes, and answers as a full sort does."""

from __future__ import annotations

import numpy as np
import pytest

from accord.agents import OfferIndex
from accord.agents.offer_index import LIST_SEARCH_MAX
from accord.model import BoundProfile, CategoricalIssue, OutcomeSpace, Profile
from accord.model.profile import sort_by_value_then_index


def big_profile(levels: int, seed: int) -> BoundProfile:
    """A profile over 4 categorical issues of 12 values (20,736 outcomes, more than
    ``LIST_SEARCH_MAX``) whose value tables take ``levels`` distinct values: few levels, many
    ties."""
    rng = np.random.default_rng(seed)
    values = tuple(f"v{v}" for v in range(12))
    space = OutcomeSpace([CategoricalIssue(name=f"i{k}", values=values) for k in range(4)])
    tables = {
        f"i{k}": {
            "type": "table",
            "table": {v: float(rng.integers(levels)) / levels for v in values},
        }
        for k in range(4)
    }
    profile = Profile.model_validate(
        {
            "utility": {
                "type": "linear-additive",
                "weights": {f"i{k}": 0.25 for k in range(4)},
                "values": tables,
            }
        }
    )
    return profile.bind(space)


@pytest.mark.parametrize(("levels", "seed"), [(1000, 1), (3, 2), (1, 3)])
def test_a_lazy_index_picks_what_a_full_sort_picks(levels: int, seed: int) -> None:
    bound = big_profile(levels, seed)
    assert bound.space.cardinality > LIST_SEARCH_MAX
    order, utilities = sort_by_value_then_index(bound.all_utilities)
    index = OfferIndex(bound)
    assert len(index) == len(order)
    assert index.best_utility == utilities[-1]
    assert index.worst_utility == utilities[0]
    targets = np.concatenate(([2.0], np.linspace(1.0, -0.5, 301)))  # conceding, past the worst
    for target in targets.tolist():
        position = index.at_least(target)
        expected = min(int(utilities.searchsorted(target - 1e-12)), len(order) - 1)
        assert position == expected, target
        assert index.utility(position) == utilities[expected]
        assert index.outcome(position) == bound.space.outcome_at(int(order[expected]))
    assert index.best() == bound.space.outcome_at(int(order[-1]))
    assert index.order.tolist() == order.tolist()  # the whole order when asked for


def test_the_best_outcomes_are_sorted_first_and_ties_are_kept_whole() -> None:
    bound = big_profile(5, 4)
    order, utilities = sort_by_value_then_index(bound.all_utilities)
    top_order, top = bound.sorted_top(100)
    assert len(top_order) >= 100
    assert len(top_order) < len(order) // 4  # not the whole space
    assert top_order.tolist() == order[-len(top_order) :].tolist()
    assert top.tolist() == utilities[-len(top_order) :].tolist()
    # every outcome as good as the worst one returned is in it (ties by enumeration index)
    assert np.count_nonzero(bound.all_utilities >= top[0]) == len(top_order)
    assert bound.sorted_top(50)[0] is top_order  # the largest asked for is kept
    index = OfferIndex(bound)
    index.outcome(0)  # the worst outcome: sorts the rest
    assert index.order.tolist() == order.tolist()


def test_an_index_under_a_mandate_keeps_only_what_it_allows() -> None:
    bound = big_profile(1000, 5)
    allowed = bound.all_utilities < 0.5
    index = OfferIndex(bound, allowed)
    assert len(index) == int(allowed.sum())
    assert index.best_utility < 0.5
    assert index.utility(index.at_least(0.0)) == index.worst_utility
