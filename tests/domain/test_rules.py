"""The rules that make an OKR valid (DOMAIN.md §2): each accepts and rejects with its code."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from service.domain.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    InvalidInput,
    NotFound,
    RuleViolation,
    StoreUnavailable,
)
from service.domain.model import KeyResultKind, Policy
from service.domain.rules import (
    MAX_MAGNITUDE,
    MAX_TEXT,
    MAX_TITLE,
    MIN_SPAN,
    acyclic_dependency,
    amount,
    cost,
    dependency_path,
    finite,
    infer_kind,
    measurable,
    no_ancestor_loop,
    objective_limit,
    optional_text,
    ratio,
    same_year,
    single_global_objective,
    team_limit_cycles,
    text,
    weight,
)
from tests.domain.builders import month_cycle, objective, quarter_cycle, year_cycle

# mql → ads → budget; deals → mql and deals → web → budget (a diamond into budget).
DIAMOND: dict[str, list[str]] = {
    "deals": ["mql", "web"],
    "mql": ["ads"],
    "ads": ["budget"],
    "web": ["budget"],
}
# a → b → c → a: stored data with a loop must still be searched without hanging.
LOOP: dict[str, list[str]] = {"a": ["b"], "b": ["c"], "c": ["a"]}


def test_text_is_trimmed() -> None:
    assert text("  Obtain 1,000 MQLs ", field="title") == "Obtain 1,000 MQLs"
    assert text("x" * MAX_TITLE, field="title") == "x" * MAX_TITLE


@pytest.mark.parametrize("value", ["", "   ", "\n\t"])
def test_empty_text_is_invalid_text(value: str) -> None:
    with pytest.raises(InvalidInput, match="title must not be empty") as caught:
        text(value, field="title")
    assert caught.value.code is ErrorCode.INVALID_TEXT
    assert caught.value.field == ("title",)


def test_too_long_text_is_invalid_text() -> None:
    with pytest.raises(InvalidInput, match="501 characters; at most 500") as caught:
        text("x" * (MAX_TITLE + 1), field="title")
    assert caught.value.code is ErrorCode.INVALID_TEXT
    with pytest.raises(InvalidInput):
        text("abcd", field="note", limit=3)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_blank_optional_text_is_absent(value: str | None) -> None:
    assert optional_text(value, field="description") is None


def test_optional_text_is_trimmed_and_limited() -> None:
    assert optional_text(" why ", field="description") == "why"
    assert optional_text("x" * MAX_TEXT, field="description") == "x" * MAX_TEXT
    with pytest.raises(InvalidInput) as caught:
        optional_text("x" * (MAX_TEXT + 1), field="description")
    assert caught.value.code is ErrorCode.INVALID_TEXT


@pytest.mark.parametrize(("value", "want"), [(3, 3.0), (-2.5, -2.5), (0, 0.0), (1e300, 1e300)])
def test_finite_accepts_numbers_as_floats(value: float, want: float) -> None:
    result = finite(value, field="targetValue")
    assert result == want
    assert type(result) is float


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, "3"])
def test_non_finite_values_are_invalid(value: object) -> None:
    with pytest.raises(InvalidInput, match="targetValue must be a finite number") as caught:
        finite(value, field="targetValue")  # type: ignore[arg-type]  # what a bad client sends
    assert caught.value.code is ErrorCode.INVALID_VALUE
    assert caught.value.field == ("targetValue",)


def test_weight_accepts_positive_numbers() -> None:
    assert weight(2) == 2.0
    assert weight(0.001, field="objectiveWeight") == 0.001


@pytest.mark.parametrize("value", [0.0, -1.0, math.nan, math.inf])
def test_zero_negative_or_non_finite_weight_is_invalid(value: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        weight(value)
    assert caught.value.code is ErrorCode.INVALID_VALUE
    assert caught.value.field == ("weight",)


@pytest.mark.parametrize(("value", "want"), [(None, None), (0, 0.0), (0.6, 0.6), (1, 1.0)])
def test_ratio_accepts_none_and_shares(value: float | None, want: float | None) -> None:
    assert ratio(value, field="confidence") == want


@pytest.mark.parametrize("value", [-0.01, 1.01, math.nan])
def test_ratio_outside_zero_to_one_is_invalid(value: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        ratio(value, field="confidence")
    assert caught.value.code is ErrorCode.INVALID_VALUE


@pytest.mark.parametrize(
    ("kind", "start", "target"),
    [
        (KeyResultKind.INCREASE, 0, 1000),
        (KeyResultKind.INCREASE, 40, 50),
        (KeyResultKind.DECREASE, 50, 35),
        (KeyResultKind.AT_LEAST, 100, 99),
        (KeyResultKind.AT_LEAST, 0, 99),
        (KeyResultKind.AT_MOST, 1, 2),
        (KeyResultKind.AT_MOST, 5, 2),
        (KeyResultKind.MILESTONE, 0, 1),
    ],
)
def test_measurable_key_results_are_accepted(
    kind: KeyResultKind, start: float, target: float
) -> None:
    measurable(kind, start, target)


@pytest.mark.parametrize(
    ("kind", "start", "target", "message"),
    [
        (KeyResultKind.INCREASE, 10, 10, "target equals start"),
        (KeyResultKind.AT_LEAST, 3, 3, "target equals start"),
        (KeyResultKind.INCREASE, 50, 40, "needs target > start"),
        (KeyResultKind.DECREASE, 35, 50, "needs target < start"),
        (KeyResultKind.MILESTONE, 0, 5, "MILESTONE key result goes from 0"),
        (KeyResultKind.MILESTONE, 1, 1, "MILESTONE key result goes from 0"),
    ],
)
def test_unmeasurable_key_results_are_rejected(
    kind: KeyResultKind, start: float, target: float, message: str
) -> None:
    with pytest.raises(RuleViolation, match=message) as caught:
        measurable(kind, start, target)
    assert caught.value.code is ErrorCode.NOT_MEASURABLE
    assert caught.value.field == ("targetValue",)


def test_infer_kind_follows_the_direction_from_start_to_target() -> None:
    assert infer_kind(0, 1000) is KeyResultKind.INCREASE
    assert infer_kind(50, 35) is KeyResultKind.DECREASE


@pytest.mark.parametrize("existing", [0, 3, 4])
def test_team_below_the_objective_limit_may_add_one(existing: int) -> None:
    objective_limit(existing, Policy())


@pytest.mark.parametrize("existing", [5, 6])
def test_sixth_objective_of_a_team_is_too_many(existing: int) -> None:
    with pytest.raises(RuleViolation, match="the limit is 5") as caught:
        objective_limit(existing, Policy())
    assert caught.value.code is ErrorCode.TOO_MANY_OBJECTIVES
    assert caught.value.field == ("departmentId",)


def test_objective_limit_follows_the_policy() -> None:
    objective_limit(6, Policy(max_objectives_per_team=7))
    with pytest.raises(RuleViolation):
        objective_limit(2, Policy(max_objectives_per_team=2))


CALENDAR = [
    year_cycle(),
    quarter_cycle(),
    quarter_cycle("q2", 2),
    month_cycle("m1", 1),
    month_cycle("m2", 2),
    replace(month_cycle("m4", 4), parent_id="q2"),
]


def test_the_objective_limit_counts_a_quarter_with_the_months_inside_it() -> None:
    assert team_limit_cycles(CALENDAR[1], CALENDAR) == ["q1", "m1", "m2"]
    assert team_limit_cycles(CALENDAR[4], CALENDAR) == ["q1", "m1", "m2"]
    assert team_limit_cycles(CALENDAR[2], CALENDAR) == ["q2", "m4"]


def test_a_month_not_yet_among_the_cycles_still_counts_itself() -> None:
    assert team_limit_cycles(month_cycle("m3", 3), CALENDAR[:3]) == ["q1", "m3"]


def test_the_objective_limit_counts_nothing_for_a_year_and_a_month_alone_for_itself() -> None:
    assert team_limit_cycles(CALENDAR[0], CALENDAR) == []
    orphan = replace(month_cycle("m9", 9), parent_id=None)
    assert team_limit_cycles(orphan, CALENDAR) == ["m9"]


def test_first_global_objective_of_a_year_is_accepted() -> None:
    single_global_objective(year_cycle(), None)


def test_quarter_objectives_without_parent_are_not_global() -> None:
    single_global_objective(quarter_cycle(), objective("global", cycle_id="y"))


def test_second_global_objective_of_a_year_is_a_duplicate() -> None:
    existing = objective("global", cycle_id="y", title="Increase the sales close rate by 20%")
    with pytest.raises(RuleViolation, match="2027 already has its global objective") as caught:
        single_global_objective(year_cycle(), existing)
    assert caught.value.code is ErrorCode.DUPLICATE_GLOBAL_OBJECTIVE
    assert "Increase the sales close rate by 20%" in caught.value.message


def test_parent_in_the_same_year_is_accepted() -> None:
    same_year(quarter_cycle(), year_cycle())


def test_parent_in_another_year_is_a_cycle_mismatch() -> None:
    with pytest.raises(RuleViolation, match="in 2026-Q4, not in 2027") as caught:
        same_year(quarter_cycle(), quarter_cycle("q4", 4, year=2026))
    assert caught.value.code is ErrorCode.CYCLE_MISMATCH
    assert caught.value.field == ("parentId",)


def test_moving_an_objective_elsewhere_in_the_tree_is_accepted() -> None:
    parents: dict[str, str | None] = {"global": None, "q": "global", "team": "q", "other": None}
    no_ancestor_loop("team", "other", parents)
    no_ancestor_loop("team", "global", parents)


@pytest.mark.parametrize("new_parent", ["q", "team", "leaf"])
def test_moving_an_objective_under_itself_or_a_descendant_is_an_invalid_parent(
    new_parent: str,
) -> None:
    parents: dict[str, str | None] = {"global": None, "q": "global", "team": "q", "leaf": "team"}
    with pytest.raises(RuleViolation, match="cannot hang under itself") as caught:
        no_ancestor_loop("q", new_parent, parents)
    assert caught.value.code is ErrorCode.INVALID_PARENT
    assert caught.value.field == ("parentId",)


def test_dependency_path_follows_upstream_edges() -> None:
    assert dependency_path(DIAMOND, "deals", "budget") in (
        ["deals", "mql", "ads", "budget"],
        ["deals", "web", "budget"],
    )
    assert dependency_path(DIAMOND, "mql", "ads") == ["mql", "ads"]
    assert dependency_path(DIAMOND, "budget", "budget") == ["budget"]


def test_dependency_path_is_none_against_the_direction_of_edges() -> None:
    assert dependency_path(DIAMOND, "budget", "deals") is None
    assert dependency_path(DIAMOND, "web", "mql") is None
    assert dependency_path({}, "a", "b") is None


def test_dependency_path_terminates_on_a_graph_with_a_loop() -> None:
    assert dependency_path(LOOP, "a", "c") == ["a", "b", "c"]
    assert dependency_path(LOOP, "a", "elsewhere") is None


@pytest.mark.parametrize(
    ("key_result", "depends_on"),
    [("budget", "other"), ("web", "mql"), ("deals", "budget"), ("new", "deals")],
)
def test_dependency_that_closes_no_loop_is_accepted(key_result: str, depends_on: str) -> None:
    acyclic_dependency(DIAMOND, key_result, depends_on)


@pytest.mark.parametrize(
    ("key_result", "depends_on", "chain"),
    [
        ("budget", "deals", "budget -> deals -> "),
        ("ads", "mql", "ads -> mql -> ads"),
        ("mql", "mql", "mql -> mql"),
    ],
)
def test_dependency_that_closes_a_loop_is_a_dependency_cycle(
    key_result: str, depends_on: str, chain: str
) -> None:
    with pytest.raises(RuleViolation, match="would close a loop") as caught:
        acyclic_dependency(DIAMOND, key_result, depends_on)
    assert caught.value.code is ErrorCode.DEPENDENCY_CYCLE
    assert caught.value.field == ("dependsOnId",)
    assert chain in caught.value.message
    assert caught.value.message.endswith(f"-> {key_result}")


def test_dependency_into_an_existing_loop_is_a_dependency_cycle() -> None:
    with pytest.raises(RuleViolation) as caught:
        acyclic_dependency(LOOP, "c", "b")
    assert "c -> b -> c" in caught.value.message


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (DomainError("x"), ErrorCode.INVALID_VALUE),
        (InvalidInput("x"), ErrorCode.INVALID_VALUE),
        (RuleViolation("x"), ErrorCode.INVALID_VALUE),
        (NotFound("x"), ErrorCode.NOT_FOUND),
        (Conflict("x"), ErrorCode.DUPLICATE),
        (Conflict("x", code=ErrorCode.CYCLE_CLOSED), ErrorCode.CYCLE_CLOSED),
        (StoreUnavailable("x"), ErrorCode.STORE_UNAVAILABLE),
    ],
)
def test_domain_errors_carry_their_default_or_given_code(
    error: DomainError, code: ErrorCode
) -> None:
    assert error.code is code
    assert (error.message, str(error), error.field) == ("x", "x", ())


def test_error_code_override_does_not_leak_to_the_class() -> None:
    NotFound("x", code=ErrorCode.DUPLICATE)
    assert NotFound("y").code is ErrorCode.NOT_FOUND


def test_a_stored_parent_loop_elsewhere_does_not_hang_the_check() -> None:
    no_ancestor_loop("team", "a", {"a": "b", "b": "a"})


@pytest.mark.parametrize("value", [0, -MAX_MAGNITUDE, MAX_MAGNITUDE, 1.5])
def test_an_amount_within_the_bounds_is_kept(value: float) -> None:
    assert amount(value, field="value") == value


@pytest.mark.parametrize("value", [1.7e308, -1.0000001e15, math.inf, math.nan])
def test_an_amount_past_the_bounds_is_an_invalid_value(value: float) -> None:
    with pytest.raises(InvalidInput) as refused:
        amount(value, field="value")
    assert refused.value.code is ErrorCode.INVALID_VALUE
    assert refused.value.field == ("value",)


@pytest.mark.parametrize("value", [0, MIN_SPAN, 12.5, MAX_MAGNITUDE])
def test_a_cost_is_free_or_at_least_the_least_span(value: float) -> None:
    assert cost(value) == value


@pytest.mark.parametrize("value", [5e-324, MIN_SPAN / 2, -1, 1e16])
def test_a_cost_almost_zero_negative_or_past_the_bounds_is_refused(value: float) -> None:
    with pytest.raises(InvalidInput) as refused:
        cost(value)
    assert refused.value.field == ("cost",)


@pytest.mark.parametrize(("start", "target"), [(0, 5e-324), (1, 1 + 1e-12), (5, 5 - 1e-10)])
def test_a_target_closer_to_start_than_the_least_span_measures_nothing(
    start: float, target: float
) -> None:
    with pytest.raises(RuleViolation) as refused:
        measurable(infer_kind(start, target), start, target)
    assert refused.value.code is ErrorCode.NOT_MEASURABLE


def test_a_target_the_least_span_from_start_is_measurable() -> None:
    measurable(KeyResultKind.INCREASE, 0, MIN_SPAN)
