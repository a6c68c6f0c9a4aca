"""The domain model: issues, outcome spaces, value and utility functions, profiles."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from accord.errors import OutcomeError, OutcomeSpaceTooLarge
from accord.model import (
    BindError,
    CategoricalIssue,
    ContinuousIssue,
    HyperRectangleUtility,
    IntegerIssue,
    LinearAdditiveUtility,
    OutcomeSpace,
    Profile,
)


def space() -> OutcomeSpace:
    return OutcomeSpace(
        [
            CategoricalIssue(name="colour", values=("red", "green", "blue")),
            IntegerIssue(name="price", min=10, max=13),
            ContinuousIssue(name="term", min=0.0, max=2.0, grid=3),
        ]
    )


def test_enumeration_is_an_index_matrix_in_row_major_order() -> None:
    s = space()
    idx = s.enumerate()
    assert idx.shape == (36, 3)
    assert idx.dtype == np.int32
    assert idx[:4].tolist() == [[0, 0, 0], [0, 0, 1], [0, 0, 2], [0, 1, 0]]
    assert len({tuple(r) for r in idx.tolist()}) == 36
    assert s.outcome_at(5) == {"colour": "red", "price": 11, "term": 2.0}
    assert s.values[5].tolist() == [0.0, 11.0, 2.0]


@pytest.mark.parametrize("continuous", [True, False])
def test_outcome_at_is_the_enumerated_row_decoded(continuous: bool) -> None:
    """With and without a continuous issue (without one, values are read from tables)."""
    issues = list(space().issues)[: 3 if continuous else 2]
    s = OutcomeSpace([*issues, IntegerIssue(name="units", min=-2, max=1)])
    rows = s.values
    for k in range(s.cardinality):
        assert s.outcome_at(k) == s.decode(rows[k])
        assert s.encode_row(s.outcome_at(k)) == rows[k].tolist()
    with pytest.raises(OutcomeError, match="outside"):
        s.outcome_at(s.cardinality)


def test_enumeration_refuses_beyond_the_limit() -> None:
    big = OutcomeSpace(
        [IntegerIssue(name=f"i{k}", min=0, max=99) for k in range(4)], max_outcomes=10**6
    )
    assert big.cardinality == 10**8
    with pytest.raises(
        OutcomeSpaceTooLarge, match=r"100,000,000 outcomes, more than the limit of 1,000,000"
    ):
        big.enumerate()
    with pytest.raises(OutcomeSpaceTooLarge):
        space().enumerate(limit=10)


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        ({"colour": "pink", "price": 10, "term": 0.0}, "expects one of"),
        ({"colour": "red", "price": 14, "term": 0.0}, r"integer in \[10, 13\], got 14"),
        ({"colour": "red", "price": 10.5, "term": 0.0}, "integer in"),
        ({"colour": "red", "price": 10, "term": 2.5}, "number in"),
        ({"colour": "red", "price": 10}, r"missing \['term'\]"),
        ({"colour": "red", "price": 10, "term": 0.0, "x": 1}, r"unknown \['x'\]"),
        ({"colour": "red", "price": True, "term": 0.0}, "expects an integer"),
    ],
)
def test_invalid_outcomes_are_named(outcome: dict[str, object], message: str) -> None:
    with pytest.raises(OutcomeError, match=message):
        space().encode(outcome)
    assert outcome not in space()


def test_issue_validation() -> None:
    with pytest.raises(ValidationError, match="max must be >= min"):
        IntegerIssue(name="x", min=5, max=1)
    with pytest.raises(ValidationError, match="duplicates"):
        CategoricalIssue(name="x", values=("a", "a"))
    with pytest.raises(OutcomeError, match="unique"):
        OutcomeSpace([IntegerIssue(name="x", min=0, max=1)] * 2)


def linear_additive() -> LinearAdditiveUtility:
    return LinearAdditiveUtility.model_validate(
        {
            "weights": {"colour": 0.5, "price": 0.3, "term": 0.2},
            "values": {
                "colour": {"type": "table", "table": {"red": 1.0, "green": 0.5, "blue": 0.0}},
                "price": {"type": "piecewise-linear", "points": [[10, 0.0], [11, 1.0], [13, 0.5]]},
                "term": {"type": "triangular", "start": 0.0, "peak": 1.0, "end": 2.0},
            },
        }
    )


def test_linear_additive_matches_a_hand_computation_on_every_outcome() -> None:
    s = space()
    u = linear_additive().bind(s)
    table = {"red": 1.0, "green": 0.5, "blue": 0.0}
    price = {10: 0.0, 11: 1.0, 12: 0.75, 13: 0.5}
    term = {0.0: 0.0, 1.0: 1.0, 2.0: 0.0}
    expected = [
        0.5 * table[o["colour"]] + 0.3 * price[o["price"]] + 0.2 * term[o["term"]]  # type: ignore[index]
        for o in (s.outcome_at(i) for i in range(s.cardinality))
    ]
    np.testing.assert_allclose(u(s.values), expected, atol=1e-12)
    assert u.of({"colour": "green", "price": 12, "term": 1.0}) == pytest.approx(0.25 + 0.225 + 0.2)
    # off-grid continuous values are evaluated too
    assert u.of({"colour": "blue", "price": 10, "term": 0.5}) == pytest.approx(0.1)


def test_linear_value_function_runs_from_low_to_high() -> None:
    s = OutcomeSpace([IntegerIssue(name="n", min=0, max=4)])
    u = LinearAdditiveUtility.model_validate(
        {"weights": {"n": 1}, "values": {"n": {"type": "linear", "low": 1.0, "high": 0.0}}}
    ).bind(s)
    np.testing.assert_allclose(u(s.values), [1.0, 0.75, 0.5, 0.25, 0.0])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weights": {"colour": 0.5, "price": 0.3, "term": 0.3}}, "weights must sum to 1, got 1.1"),
        ({"weights": {"colour": 1.5, "price": -0.3, "term": -0.2}}, "less than or equal to 1"),
    ],
)
def test_weights_are_checked(data: dict[str, object], message: str) -> None:
    base = linear_additive().model_dump()
    base.update(data)
    with pytest.raises(ValidationError, match=message):
        LinearAdditiveUtility.model_validate(base)


def test_binding_names_the_issue_at_fault() -> None:
    data = linear_additive().model_dump()
    data["weights"]["size"] = data["weights"].pop("term")
    data["values"]["size"] = data["values"].pop("term")
    with pytest.raises(BindError, match="unknown issue 'size'") as info:
        LinearAdditiveUtility.model_validate(data).bind(space())
    assert info.value.loc == ("weights", "size")
    data = linear_additive().model_dump()
    data["values"]["colour"] = {"type": "table", "table": {"red": 1, "green": 0, "mauve": 1}}
    with pytest.raises(BindError, match="'mauve'") as info:
        LinearAdditiveUtility.model_validate(data).bind(space())
    assert info.value.loc == ("values", "colour")
    data["values"]["colour"] = {"type": "linear", "low": 0, "high": 1}
    with pytest.raises(BindError, match="numeric issue"):
        LinearAdditiveUtility.model_validate(data).bind(space())


def test_hyper_rectangle_sums_the_boxes_an_outcome_is_in() -> None:
    s = OutcomeSpace([IntegerIssue(name="a", min=1, max=10), IntegerIssue(name="b", min=1, max=10)])
    u = HyperRectangleUtility.model_validate(
        {
            "constraints": [
                {"utility": 60, "bounds": {"a": [1, 5]}},
                {"utility": 40, "bounds": {"a": [3, 10], "b": [3, 4]}},
                {"utility": -20, "bounds": {"b": [10, 10]}},
            ]
        }
    ).bind(s)
    assert u.of({"a": 1, "b": 1}) == pytest.approx(0.6)
    assert u.of({"a": 4, "b": 3}) == pytest.approx(1.0)
    assert u.of({"a": 8, "b": 4}) == pytest.approx(0.4)
    assert u.of({"a": 8, "b": 10}) == pytest.approx(0.0)  # clipped at 0
    assert u.of({"a": 2, "b": 10}) == pytest.approx(0.4)
    all_u = u(s.values)
    assert all_u.shape == (100,)
    assert all_u.max() == pytest.approx(1.0)


def test_profile_discount_and_cached_utilities() -> None:
    profile = Profile(utility=linear_additive(), reservation=0.3, discount=0.5)
    bound = profile.bind(space())
    assert bound.discounted(0.8, 1.0) == pytest.approx(0.4)
    assert bound.discounted(0.8, 0.0) == pytest.approx(0.8)
    order, sorted_u = bound.sorted_outcomes()
    assert sorted(order.tolist()) == list(range(36))
    assert np.all(np.diff(sorted_u) >= 0)
    assert sorted_u[-1] == pytest.approx(bound.all_utilities.max())
    assert bound.sorted_outcomes()[0] is order  # sorted once, then cached
    assert not order.flags.writeable
    assert not sorted_u.flags.writeable
    assert bound.sorted_utility_list() == sorted_u.tolist()
    assert bound.sorted_utility_list() is bound.sorted_utility_list()  # made once
    assert (space().cardinality, space().shape) == (36, (3, 4, 3))
    # the profile round-trips through JSON as one object
    assert Profile.model_validate_json(profile.model_dump_json()) == profile


def test_one_outcome_and_the_whole_space_agree_to_the_bit() -> None:
    s = space()
    u = linear_additive().bind(s)
    everything = u(s.values)
    for i in range(s.cardinality):
        assert u.of(s.outcome_at(i)) == everything[i]


def test_whole_space_fast_path_equals_the_row_by_row_evaluation() -> None:
    s = space()
    u = linear_additive().bind(s)
    assert np.array_equal(u.whole_space(), u(s.values))
    for i in range(s.cardinality):
        assert s.outcome_at(i) == s.decode(s.values[i])
    with pytest.raises(OutcomeError, match="outside"):
        s.outcome_at(36)


@pytest.mark.parametrize("distinct", [3, 50, 10_000, 10_000_000])
def test_sorting_orders_ties_by_index_like_a_stable_sort(distinct: int) -> None:
    from accord.model.profile import sort_by_value_then_index  # noqa: PLC0415

    rng = np.random.default_rng(distinct)
    values = rng.integers(0, distinct, 20_000).astype(np.float64) / distinct
    order, ordered = sort_by_value_then_index(values)
    expected = np.argsort(values, kind="stable")
    assert np.array_equal(order, expected)
    assert np.array_equal(ordered, values[expected])


def test_a_categorical_outcome_is_valued_from_tables_to_the_bit_and_still_checked() -> None:
    s = OutcomeSpace(
        [
            CategoricalIssue(name="tier", values=("gold", "silver", "bronze")),
            CategoricalIssue(name="region", values=("eu", "us")),
            CategoricalIssue(name="unweighted", values=("x", "y")),
        ]
    )
    u = LinearAdditiveUtility.model_validate(
        {
            "weights": {"tier": 0.3, "region": 0.7, "unweighted": 0.0},
            "values": {
                "tier": {"type": "table", "table": {"gold": 1.0, "silver": 0.1, "bronze": 0.7}},
                "region": {"type": "table", "table": {"eu": 0.3, "us": 0.9}},
                "unweighted": {"type": "table", "table": {"x": 0.5, "y": 0.5}},
            },
        }
    ).bind(s)
    everything = u.whole_space()
    for i in range(s.cardinality):
        assert u.of(s.outcome_at(i)) == everything[i]  # the bits, not approximately
    good = {"tier": "gold", "region": "us", "unweighted": "x"}
    bad: list[dict[str, object]] = [
        {"tier": "gold", "region": "us"},  # an issue missing
        {**good, "extra": "?"},  # one too many
        {**good, "unweighted": "z"},  # not a value of an issue without weight
        {**good, "tier": "platinum"},
        {**good, "region": ["eu"]},  # unhashable
    ]
    for outcome in bad:
        with pytest.raises(OutcomeError):
            u.of(outcome)
    with pytest.raises(OutcomeError, match="must be a mapping"):
        u.of(["gold", "us", "x"])  # type: ignore[arg-type]  # the point of the test
