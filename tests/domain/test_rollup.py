"""Rollups and statuses over the objective tree (DOMAIN.md §3.2, §3.3, §4)."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterable, Mapping
from datetime import datetime

import pytest

from service.domain.explain import Explanation
from service.domain.model import Cycle, KeyResult, Objective, Policy, ProgressStatus
from service.domain.progress import Point, Reading, reading
from service.domain.rollup import (
    STATUS_ORDER,
    Evaluation,
    Standing,
    Weighted,
    combine,
    evaluate,
    weakest,
    weighted_mean,
)
from tests.domain.builders import (
    at,
    key_result,
    month_cycle,
    objective,
    points,
    quarter_cycle,
    year_cycle,
)

MID = at(2, 15)  # half of 2027-Q1
CYCLES = {c.id: c for c in (year_cycle(), quarter_cycle(), quarter_cycle("q2", 2), month_cycle())}


def run(
    key_results: Iterable[KeyResult],
    objectives: Iterable[Objective],
    history: Mapping[str, list[Point]] | None = None,
    *,
    now: datetime = MID,
    cycles: Mapping[str, Cycle] = CYCLES,
) -> Evaluation:
    """Evaluate with readings taken from `history` (no entry: no check-in yet)."""
    krs = list(key_results)
    history = history or {}
    readings = {k.id: reading(k.start_value, history.get(k.id, []), as_of=now) for k in krs}
    return evaluate(
        key_results=krs,
        objectives=objectives,
        cycles=cycles,
        readings=readings,
        policy=Policy(),
        now=now,
    )


def seed() -> Evaluation:
    """The seed: Sales' deals KR depends on Marketing's MQL KR, which is behind."""
    mql = key_result("mql", target=1000, department_id="marketing", title="Obtain 1,000 MQLs")
    deals = key_result(
        "deals",
        start=40,
        target=50,
        weight=2,
        depends_on=("mql",),
        department_id="sales",
        title="Increase closed sales by 25%",
    )
    return run(
        [mql, deals],
        [objective("o", title="Grow the pipeline")],
        {"mql": points((at(1, 11), 100), (at(2, 10), 200)), "deals": points((at(1, 31), 45))},
    )


def test_sales_key_result_is_held_back_by_late_marketing_key_result() -> None:
    result = seed().key_result_progress["deals"]
    assert result.value == pytest.approx(0.5)
    assert result.status is ProgressStatus.AT_RISK
    assert result.blocked_by == ("mql",)
    assert result.explanation.status_reason == (
        "progress 0.5 >= 0.75 x expected 0.5, but held back by upstream: Obtain 1,000 MQLs"
    )


def test_late_marketing_key_result_is_off_track_and_not_blocked() -> None:
    result = seed().key_result_progress["mql"]
    assert result.current == 200
    assert result.value == pytest.approx(0.2)
    assert result.status is ProgressStatus.OFF_TRACK
    assert result.blocked_by == ()


def test_dependency_never_changes_progress_numbers() -> None:
    alone = run(
        [key_result("deals", start=40, target=50)],
        [objective("o")],
        {"deals": points((at(1, 31), 45))},
    ).key_result_progress["deals"]
    held = seed().key_result_progress["deals"]
    assert (held.value, held.attainment, held.current) == (
        alone.value,
        alone.attainment,
        alone.current,
    )


def test_upstream_outside_the_evaluation_holds_nothing_back() -> None:
    deals = key_result("deals", start=40, target=50, depends_on=("deleted",))
    result = run([deals], [objective("o")], {"deals": points((at(1, 31), 45))})
    assert result.key_result_progress["deals"].status is ProgressStatus.ON_TRACK


def test_objective_progress_is_the_weighted_mean_of_its_key_results() -> None:
    evaluation = seed()
    result = evaluation.objective_progress["o"]
    # (1 * 0.2 + 2 * 0.5) / 3
    assert result.value == pytest.approx(0.4)
    assert result.status is ProgressStatus.OFF_TRACK
    assert result.attainment is None
    assert result.expected == 0.5


def test_objective_explanation_shows_formula_numbers_and_weighted_inputs() -> None:
    explanation = seed().objective_progress["o"].explanation
    assert explanation.formula == (
        "objective: sum(w_i * p_i) / sum(w_i) = (1*0.2 + 2*0.5) / (1 + 2) = 0.4"
    )
    assert [(i.node_id, i.label, i.weight) for i in explanation.inputs] == [
        ("mql", "Obtain 1,000 MQLs", 1.0),
        ("deals", "Increase closed sales by 25%", 2.0),
    ]
    assert explanation.status_reason == "weakest of its children: OFF_TRACK"


def test_key_result_explanation_names_the_policy_values() -> None:
    explanation = seed().key_result_progress["mql"].explanation
    assert explanation.policy == (("onTrackRatio", 0.75), ("atRiskRatio", 0.5))
    assert [(i.label, i.value) for i in explanation.inputs] == [
        ("start", 0),
        ("target", 1000),
        ("current", 200),
    ]


def test_empty_objective_has_no_progress_and_is_pending() -> None:
    result = run([], [objective("empty")]).objective_progress["empty"]
    assert result.value is None
    assert result.status is ProgressStatus.PENDING
    assert result.explanation.formula == "objective: nothing to measure (null)"
    assert result.explanation.status_reason == "nothing under it"


def test_empty_child_objective_is_left_out_of_the_mean_but_not_of_the_status() -> None:
    evaluation = run(
        [key_result("k", objective_id="parent")],
        [objective("parent"), objective("empty", parent_id="parent", weight=5)],
        {"k": points((at(2, 1), 80))},
    )
    result = evaluation.objective_progress["parent"]
    assert result.value == pytest.approx(0.8)
    assert result.status is ProgressStatus.PENDING
    assert [i.value for i in result.explanation.inputs] == [pytest.approx(0.8), None]


def test_all_not_started_children_make_a_not_started_objective() -> None:
    evaluation = run(
        [key_result("a"), key_result("b")],
        [objective("o")],
        {"a": points((at(12, 1, 2026), 10))},
        now=at(12, 15, 2026),
    )
    assert evaluation.key_result_progress["a"].status is ProgressStatus.NOT_STARTED
    assert evaluation.objective_progress["o"].status is ProgressStatus.NOT_STARTED


def test_not_started_children_are_left_out_of_the_parent_status() -> None:
    evaluation = run(
        [key_result("now", cycle_id="q1"), key_result("later", cycle_id="q2")],
        [objective("o")],
        {"now": points((at(2, 1), 90))},
    )
    assert evaluation.key_result_progress["later"].status is ProgressStatus.NOT_STARTED
    assert evaluation.objective_progress["o"].status is ProgressStatus.ON_TRACK


def test_achieved_key_result_is_achieved_regardless_of_pace() -> None:
    evaluation = run([key_result("k")], [objective("o")], {"k": points((at(1, 2), 150))})
    result = evaluation.key_result_progress["k"]
    assert result.status is ProgressStatus.ACHIEVED
    assert result.attainment == pytest.approx(1.5)
    assert evaluation.objective_progress["o"].status is ProgressStatus.ACHIEVED


def test_key_result_without_check_in_is_pending_inside_its_grace_period() -> None:
    result = run([key_result("k")], [objective("o")], now=at(1, 10)).key_result_progress["k"]
    assert result.status is ProgressStatus.PENDING
    assert result.current == 0
    assert result.value == 0


def test_silence_past_the_grace_period_is_late_and_says_since_when() -> None:
    # "Launch the new pricing page": no check-in for 45 days is not PENDING but OFF_TRACK, and
    # its objective with it: a silent key result no longer hides behind PENDING.
    evaluation = run(
        [key_result("pricing"), key_result("posts"), key_result("new", created_at=at(2, 10))],
        [objective("o")],
        {"posts": points((at(2, 14), 50))},
    )
    pricing = evaluation.key_result_progress["pricing"]
    assert pricing.status is ProgressStatus.OFF_TRACK
    assert pricing.explanation.status_reason == (
        "no check-in since 2027-01-01, paced at the start value: progress 0 < 0.5 x expected 0.5"
    )
    new = evaluation.key_result_progress["new"]
    assert new.status is ProgressStatus.PENDING
    assert "pending until 2027-02-24" in new.explanation.status_reason
    assert evaluation.objective_progress["o"].status is ProgressStatus.OFF_TRACK


def test_a_check_in_made_after_the_instant_asked_leaves_the_key_result_silent() -> None:
    history = {"k": points((at(3, 1), 50))}
    before = run([key_result("k")], [objective("o")], history).key_result_progress["k"]
    assert before.status is ProgressStatus.OFF_TRACK
    assert before.explanation.status_reason.startswith("no check-in since 2027-01-01")
    after = run([key_result("k")], [objective("o")], history, now=at(3, 2))
    assert after.key_result_progress["k"].status is ProgressStatus.ON_TRACK
    assert after.key_result_progress["k"].explanation.status_reason == (
        "progress 0.5 >= 0.75 x expected 0.666667"
    )


def test_tree_rolls_up_child_objectives_with_their_weights() -> None:
    evaluation = run(
        [
            key_result("a", objective_id="quarter", target=10),
            key_result("b", objective_id="team", target=10),
        ],
        [
            objective("global", cycle_id="y"),
            objective("quarter", parent_id="global"),
            objective("team", parent_id="quarter", weight=3),
        ],
        {"a": points((at(2, 1), 8)), "b": points((at(2, 1), 4))},
    )
    # quarter = (1*0.8 + 3*0.4) / 4 = 0.5; global = quarter
    assert evaluation.objective_progress["team"].value == pytest.approx(0.4)
    assert evaluation.objective_progress["quarter"].value == pytest.approx(0.5)
    assert evaluation.objective_progress["global"].value == pytest.approx(0.5)
    assert evaluation.objective_progress["global"].expected == pytest.approx(45 / 365)


def test_cycle_progress_is_over_objectives_whose_parent_is_absent_or_in_another_cycle() -> None:
    objectives = [
        objective("global", cycle_id="y"),
        objective("under-global", parent_id="global", weight=3),
        objective("own-root"),
        objective("nested", parent_id="own-root"),
    ]
    evaluation = run(
        [
            key_result("a", objective_id="under-global", target=10),
            key_result("b", objective_id="nested", target=10),
        ],
        objectives,
        {"a": points((at(2, 1), 8)), "b": points((at(2, 1), 4))},
    )
    assert [o.id for o in evaluation.top_level("q1")] == ["under-global", "own-root"]
    assert [o.id for o in evaluation.top_level("y")] == ["global"]
    result = evaluation.cycle("q1")
    # (3 * 0.8 + 1 * 0.4) / 4
    assert result.value == pytest.approx(0.7)
    assert result.expected == 0.5
    assert result.explanation.formula.startswith("cycle: ")
    assert [i.node_id for i in result.explanation.inputs] == ["under-global", "own-root"]


def test_objective_whose_parent_is_not_evaluated_is_a_root_and_top_level() -> None:
    # A quarter evaluated alone: the global objective of the year was not loaded.
    evaluation = run(
        [key_result("k", objective_id="q", target=10)],
        [objective("q", parent_id="global")],
        {"k": points((at(2, 1), 6))},
    )
    assert evaluation.objective_progress["q"].value == pytest.approx(0.6)
    assert [o.id for o in evaluation.top_level("q1")] == ["q"]
    assert evaluation.cycle("q1").value == pytest.approx(0.6)


def test_cycle_without_objectives_has_no_progress() -> None:
    result = run([], []).cycle("q2")
    assert result.value is None
    assert result.status is ProgressStatus.PENDING
    assert result.expected == 0.0


def test_department_progress_is_over_the_key_results_it_owns_in_the_cycles() -> None:
    evaluation = run(
        [
            key_result("m1", department_id="marketing", target=10, weight=3),
            key_result("m2", department_id="marketing", target=10, cycle_id="m2"),
            key_result("m3", department_id="marketing", target=10, cycle_id="q2"),
            key_result("s1", department_id="sales", target=10),
        ],
        [objective("o")],
        {
            "m1": points((at(2, 1), 8)),
            "m2": points((at(2, 1), 4)),
            "m3": points((at(2, 1), 9)),
            "s1": points((at(2, 1), 1)),
        },
    )
    result = evaluation.department("marketing", {"q1", "m2"}, "q1")
    # (3 * 0.8 + 1 * 0.4) / 4; m3 is in another quarter, s1 in another department
    assert result.value == pytest.approx(0.7)
    assert [i.node_id for i in result.explanation.inputs] == ["m1", "m2"]
    assert result.explanation.formula.startswith("department: ")
    assert evaluation.department("finance", {"q1"}, "q1").value is None
    # Asked again (every request sharing the evaluation does), it is the same rollup, kept;
    # other cycles are another rollup.
    assert evaluation.department("marketing", ["m2", "q1"], "q1") is result
    assert evaluation.department("marketing", {"q1"}, "q1").value == pytest.approx(0.8)
    assert evaluation.cycle("q1") is evaluation.cycle("q1")


def test_weighted_mean_skips_missing_values_and_is_none_without_any() -> None:
    assert weighted_mean([(0.2, 1), (0.5, 2), (None, 10)]) == pytest.approx(0.4)
    assert weighted_mean([(None, 1)]) is None
    assert weighted_mean([]) is None


@pytest.mark.parametrize(
    ("statuses", "want"),
    [
        ([], ProgressStatus.PENDING),
        ([ProgressStatus.NOT_STARTED] * 2, ProgressStatus.NOT_STARTED),
        ([ProgressStatus.NOT_STARTED, ProgressStatus.ACHIEVED], ProgressStatus.ACHIEVED),
        ([ProgressStatus.ON_TRACK, ProgressStatus.PENDING], ProgressStatus.PENDING),
        ([ProgressStatus.PENDING, ProgressStatus.AT_RISK], ProgressStatus.AT_RISK),
        (list(STATUS_ORDER), ProgressStatus.OFF_TRACK),
    ],
)
def test_weakest_status_wins(statuses: list[ProgressStatus], want: ProgressStatus) -> None:
    assert weakest(statuses) is want


def test_combine_formats_weights_and_values_in_the_formula() -> None:
    items = [
        Weighted("a", "A", 0.25, 1.5, ProgressStatus.ON_TRACK),
        Weighted("b", "B", None, 4.0, ProgressStatus.PENDING),
    ]
    result = combine(items, expected=0.3, what="objective")
    assert result.value == 0.25
    assert result.status is ProgressStatus.PENDING
    assert result.explanation.formula == (
        "objective: sum(w_i * p_i) / sum(w_i) = (1.5*0.25) / (1.5) = 0.25"
    )


def test_reading_carries_value_and_check_in_flag_into_progress() -> None:
    evaluation = evaluate(
        key_results=[key_result("k")],
        objectives=[objective("o")],
        cycles=CYCLES,
        readings={"k": Reading(value=30, checked_in=True)},
        policy=Policy(),
        now=MID,
    )
    result = evaluation.key_result_progress["k"]
    assert (result.current, result.value, result.status) == (30, 0.3, ProgressStatus.AT_RISK)


def test_progress_compares_hashes_prints_and_copies_as_a_value() -> None:
    evaluated = seed().key_result_progress["deals"]  # its explanation is written on first read
    fields = (
        evaluated.value,
        evaluated.attainment,
        evaluated.expected,
        evaluated.status,
        Explanation(
            evaluated.explanation.formula,
            evaluated.explanation.inputs,
            evaluated.explanation.policy,
            evaluated.explanation.status_reason,
        ),
        evaluated.blocked_by,
    )
    same = Standing(*fields, current=evaluated.current)
    assert same == evaluated
    assert hash(same) == hash(evaluated)
    assert repr(same) == repr(evaluated)
    assert repr(same).startswith("Standing(value=0.5, attainment=0.5, expected=0.5, status=")
    assert Standing(*fields, current=None) != evaluated
    assert evaluated != "Standing"
    assert copy.copy(evaluated) == evaluated
    assert pickle.loads(pickle.dumps(evaluated)) == evaluated
    with pytest.raises(AttributeError):
        evaluated.value = 1.0  # type: ignore[misc]


def test_a_detached_progress_equals_its_original_and_keeps_nothing_of_the_evaluation() -> None:
    evaluated = seed().key_result_progress["deals"]
    detached = evaluated.detached()
    assert detached == evaluated
    assert detached._recipe is None  # the evaluation it came from can go
    assert isinstance(detached._explanation, Explanation)
    assert detached.detached() is detached
