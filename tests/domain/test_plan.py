"""A scope's `Plan` (flat columns, positions) and the evaluation walking it: the same numbers as
evaluating the key results themselves, and the same reads a mapping of progress gives."""

from __future__ import annotations

from dataclasses import replace

import pytest

from service.domain.model import KeyResult, Policy, ProgressStatus
from service.domain.plan import Plan
from service.domain.progress import Reading
from service.domain.rollup import evaluate, evaluate_plan
from tests.domain.builders import at, key_result, objective, quarter_cycle, year_cycle

CYCLES = {c.id: c for c in (year_cycle(), quarter_cycle(), quarter_cycle("q2", 2))}
MID = at(2, 15)
KEY_RESULTS = [
    key_result("a", objective_id="o"),
    replace(
        key_result("b", objective_id="o", weight=2.0, created_at=at(2, 10)), current_value=45.0
    ),
    key_result("c", objective_id="p", depends_on=("a",)),
]
OBJECTIVES = [objective("root", cycle_id="y"), objective("o", parent_id="root"), objective("p")]


def checked(kr: KeyResult, value: float) -> KeyResult:
    """`kr` checked in at `value`, as the store holds it after a check-in."""
    return replace(kr, current_value=value, last_check_in_at=at(2, 1))


def test_a_plan_evaluated_from_stored_readings_equals_evaluating_those_readings() -> None:
    stored = [checked(KEY_RESULTS[0], 10.0), KEY_RESULTS[1], checked(KEY_RESULTS[2], 45.0)]
    readings = {k.id: Reading(k.current_value, k.last_check_in_at is not None) for k in stored}
    plan = Plan.of(stored, OBJECTIVES, CYCLES)
    got = evaluate_plan(plan, policy=Policy(), now=MID)
    want = evaluate(
        key_results=stored,
        objectives=OBJECTIVES,
        cycles=CYCLES,
        readings=readings,
        policy=Policy(),
        now=MID,
    )
    assert dict(got.key_result_progress) == dict(want.key_result_progress)
    assert dict(got.objective_progress) == dict(want.objective_progress)
    # "b" was never checked in and was made five days ago: its stored value is read, and it
    # is PENDING.
    assert got.key_result_progress["b"].status is ProgressStatus.PENDING
    assert got.key_result_progress["c"].blocked_by == ("a",)


def test_key_results_and_objectives_may_be_given_by_id() -> None:
    listed = Plan.of(KEY_RESULTS, OBJECTIVES, CYCLES)
    by_id = Plan.of({k.id: k for k in KEY_RESULTS}, {o.id: o for o in OBJECTIVES}, CYCLES)
    assert list(listed.key_results.items()) == list(by_id.key_results.items())
    assert list(listed.objectives.items()) == list(by_id.objectives.items())
    assert list(listed.starts) == list(by_id.starts) == [0.0, 0.0, 0.0]


def test_a_key_result_in_a_cycle_outside_the_scope_is_refused() -> None:
    with pytest.raises(KeyError):
        Plan.of([key_result("k", cycle_id="elsewhere")], OBJECTIVES, CYCLES)


def test_progress_reads_like_a_mapping_in_the_scope_order() -> None:
    looped = [objective("x", parent_id="z"), objective("z", parent_id="x")]
    done = evaluate_plan(
        Plan.of(KEY_RESULTS, OBJECTIVES + looped, CYCLES), policy=Policy(), now=MID
    )
    krs = done.key_result_progress
    assert (list(krs), len(krs), "a" in krs, "zz" in krs, krs.get("zz")) == (
        ["a", "b", "c"],
        3,
        True,
        False,
        None,
    )
    objectives = done.objective_progress
    # Children before their parent; an objective in a loop of parents is not evaluated.
    assert list(objectives) == ["o", "root", "p"]
    assert len(objectives) == 3
    assert "x" not in objectives
    assert not objectives.__contains__(1)  # not an id at all
    with pytest.raises(KeyError):
        objectives["x"]
    # Made once, then the same object for every reader of the evaluation.
    assert krs["a"] is krs["a"]
    assert objectives["o"] is objectives["o"]
    assert objectives["root"].explanation.inputs[0].node_id == "o"


def test_a_plan_with_one_key_result_replaced_shares_its_shape_and_leaves_the_first_alone() -> None:
    plan = Plan.of(KEY_RESULTS, OBJECTIVES, CYCLES)
    changed = checked(replace(KEY_RESULTS[1], target_value=50.0), 48.0)
    after = plan.with_key_result(changed)
    assert after.shape is plan.shape
    assert (after.key_results["b"], after.key_result_list[1]) == (changed, changed)
    assert (after.targets[1], after.current[1], after.checked_in[1]) == (50.0, 48.0, 1)
    assert (plan.key_results["b"], plan.key_result_list[1]) == (KEY_RESULTS[1],) * 2
    assert (plan.targets[1], plan.current[1], plan.checked_in[1]) == (100.0, 45.0, 0)
    assert len(after) == len(plan) == 3
