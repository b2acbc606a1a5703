"""Properties of the domain math (STYLE.md rule 2), over the strategies of tests/strategies.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.model import KeyResultKind, Policy, ProgressStatus
from service.domain.progress import (
    Point,
    attainment,
    expected_progress,
    pace_status,
    progress,
    reading,
    score,
)
from service.domain.rollup import (
    STATUS_ORDER,
    Weighted,
    combine,
    evaluate,
    evaluate_key_result,
    weakest,
    weighted_mean,
)
from service.domain.rules import measurable
from tests.strategies import (
    CYCLE,
    PROPERTY,
    KeyResultSpec,
    Scope,
    chained_scopes,
    check_ins,
    factors,
    instants,
    key_result_specs,
    scopes,
    values,
    weights,
)

# Sums of products of floats round; a rollup may sit an ulp or so outside its inputs.
SLACK = 1e-9


def evaluated(scope: Scope) -> dict[str, float | None]:
    """Every objective's progress in the scope."""
    result = evaluate(
        key_results=scope.key_results,
        objectives=scope.objectives,
        cycles={scope.cycle.id: scope.cycle},
        readings=scope.readings,
        policy=Policy(),
        now=scope.now,
    )
    return {oid: p.value for oid, p in result.objective_progress.items()}


def between(value: float | None, inputs: Sequence[float | None]) -> bool:
    """Whether `value` lies within the present inputs (None exactly when none is present)."""
    present = [v for v in inputs if v is not None]
    if not present:
        return value is None
    return value is not None and min(present) - SLACK <= value <= max(present) + SLACK


@PROPERTY
@given(key_result_specs())
def test_generated_key_results_are_measurable(spec: KeyResultSpec) -> None:
    measurable(spec.kind, spec.start, spec.target)


@PROPERTY
@given(key_result_specs(), values())
def test_progress_stays_between_zero_and_one_for_every_kind(
    spec: KeyResultSpec, current: float
) -> None:
    assert 0.0 <= progress(spec.kind, spec.start, spec.target, current) <= 1.0


@PROPERTY
@given(key_result_specs(st.just(KeyResultKind.DECREASE)), values())
def test_decrease_mirrors_increase(spec: KeyResultSpec, current: float) -> None:
    s, t, c = spec.start, spec.target, current
    mirrored = (KeyResultKind.INCREASE, -s, -t, -c)
    assert progress(KeyResultKind.DECREASE, s, t, c) == progress(*mirrored)
    assert attainment(KeyResultKind.DECREASE, s, t, c) == attainment(*mirrored)


@PROPERTY
@given(st.lists(st.tuples(st.none() | st.floats(0, 1), weights()), max_size=8))
def test_weighted_mean_lies_between_smallest_and_largest_input(
    items: list[tuple[float | None, float]],
) -> None:
    assert between(weighted_mean(items), [v for v, _ in items])


@PROPERTY
@given(st.lists(st.tuples(st.none() | st.floats(0, 1), weights()), max_size=8), factors())
def test_scaling_every_weight_leaves_the_weighted_mean_alone(
    items: list[tuple[float | None, float]], factor: float
) -> None:
    before = weighted_mean(items)
    after = weighted_mean([(v, w * factor) for v, w in items])
    assert after == (None if before is None else pytest.approx(before))


@PROPERTY
@given(scopes())
def test_objective_progress_lies_between_its_key_results_and_child_objectives(
    scope: Scope,
) -> None:
    objectives = evaluated(scope)
    key_results = {
        k.id: progress(k.kind, k.start_value, k.target_value, scope.readings[k.id].value)
        for k in scope.key_results
    }
    for o in scope.objectives:
        inputs: list[float | None] = [
            key_results[k.id] for k in scope.key_results if k.objective_id == o.id
        ]
        inputs += [objectives[c.id] for c in scope.objectives if c.parent_id == o.id]
        assert between(objectives[o.id], inputs)


@PROPERTY
@given(scopes(), factors())
def test_scaling_every_weight_leaves_objective_progress_alone(scope: Scope, factor: float) -> None:
    scaled = Scope(
        scope.cycle,
        [replace(o, weight=o.weight * factor) for o in scope.objectives],
        [replace(k, weight=k.weight * factor) for k in scope.key_results],
        scope.readings,
        scope.now,
    )
    before, after = evaluated(scope), evaluated(scaled)
    assert before.keys() == after.keys()
    for oid, value in before.items():
        assert after[oid] == (None if value is None else pytest.approx(value))


@PROPERTY
@given(check_ins().flatmap(lambda ps: st.tuples(st.just(ps), st.permutations(ps))), instants)
def test_current_value_does_not_depend_on_the_order_check_ins_arrive_in(
    history: tuple[list[Point], list[Point]], now: datetime
) -> None:
    arrived, shuffled = history
    assert reading(0.0, arrived, as_of=now) == reading(0.0, shuffled, as_of=now)


@PROPERTY
@given(instants, instants)
def test_expected_progress_stays_in_range_and_grows_with_time(a: datetime, b: datetime) -> None:
    early, late = sorted((a, b))
    e_early = expected_progress(CYCLE.starts_at, CYCLE.ends_at, early)
    e_late = expected_progress(CYCLE.starts_at, CYCLE.ends_at, late)
    assert 0.0 <= e_early <= e_late <= 1.0


@PROPERTY
@given(
    st.floats(min_value=1.0, max_value=1e6),
    st.booleans(),
    st.floats(0, 1),
    instants,
    st.floats(0, 1),
    st.floats(0, 1),
    st.none() | instants,
)
def test_full_progress_is_achieved_whatever_else_holds(
    value: float,
    checked_in: bool,
    expected: float,
    now: datetime,
    on: float,
    risk: float,
    created_at: datetime | None,
) -> None:
    status, _ = pace_status(
        progress_value=value,
        checked_in=checked_in,
        expected=expected,
        now=now,
        starts_at=CYCLE.starts_at,
        created_at=created_at,
        policy=Policy(on_track_ratio=max(on, risk), at_risk_ratio=min(on, risk)),
    )
    assert status is ProgressStatus.ACHIEVED


@PROPERTY
@given(scopes())
def test_key_result_with_full_progress_is_achieved_in_an_evaluation(scope: Scope) -> None:
    result = evaluate(
        key_results=scope.key_results,
        objectives=scope.objectives,
        cycles={scope.cycle.id: scope.cycle},
        readings=scope.readings,
        policy=Policy(),
        now=scope.now,
    )
    for kid, p in result.key_result_progress.items():
        assert p.value is not None
        assert (p.value >= 1) == (p.status is ProgressStatus.ACHIEVED), kid


@PROPERTY
@given(st.lists(st.sampled_from(ProgressStatus), max_size=8))
def test_weakest_is_a_member_or_pending_when_empty(statuses: list[ProgressStatus]) -> None:
    result = weakest(statuses)
    if not statuses:
        assert result is ProgressStatus.PENDING
        return
    assert result in statuses
    started = [s for s in statuses if s is not ProgressStatus.NOT_STARTED]
    if started:
        assert all(STATUS_ORDER.index(result) <= STATUS_ORDER.index(s) for s in started)
    else:
        assert result is ProgressStatus.NOT_STARTED


@PROPERTY
@given(scopes())
def test_an_evaluated_objective_is_the_rollup_of_its_children(scope: Scope) -> None:
    """`evaluate` adds each objective's children up by position, in columns; the numbers and
    words are exactly those of `combine` over the objective's key results, then its child
    objectives."""
    result = evaluate(
        key_results=scope.key_results,
        objectives=scope.objectives,
        cycles={scope.cycle.id: scope.cycle},
        readings=scope.readings,
        policy=Policy(),
        now=scope.now,
    )
    for o in scope.objectives:
        items = [
            Weighted(k.id, k.title, p.value, k.weight, p.status, "KeyResult")
            for k in scope.key_results
            if k.objective_id == o.id
            for p in [result.key_result_progress[k.id]]
        ]
        items += [
            Weighted(c.id, c.title, p.value, c.weight, p.status)
            for c in scope.objectives
            if c.parent_id == o.id
            for p in [result.objective_progress[c.id]]
        ]
        want = combine(items, expected=result.expected(o.cycle_id), what="objective")
        got = result.objective_progress[o.id]
        assert (got.value, got.status, got.expected) == (want.value, want.status, want.expected)
        assert (got.explanation.formula, got.explanation.inputs) == (
            want.explanation.formula,
            want.explanation.inputs,
        )
        assert got.explanation.status_reason == want.explanation.status_reason


@PROPERTY
@given(scopes())
def test_a_key_result_alone_is_paced_as_in_its_evaluation(scope: Scope) -> None:
    result = evaluate(
        key_results=scope.key_results,
        objectives=scope.objectives,
        cycles={scope.cycle.id: scope.cycle},
        readings=scope.readings,
        policy=Policy(),
        now=scope.now,
    )
    for k in scope.key_results:
        alone = evaluate_key_result(
            k, scope.readings[k.id], scope.cycle, now=scope.now, policy=Policy()
        )
        evaluated = result.key_result_progress[k.id]
        if not evaluated.blocked_by:
            assert alone == evaluated


def half_up_cents(thousandths: int) -> float:
    """n/1000 rounded to cents half-up, in integers: what a person writes down."""
    return (thousandths + 5) // 10 / 100


@PROPERTY
@given(st.integers(min_value=0, max_value=1000))
def test_a_score_rounds_every_three_decimal_progress_half_up(thousandths: int) -> None:
    assert score(thousandths / 1000) == half_up_cents(thousandths)


def test_a_score_rounds_each_of_the_1001_three_decimal_progress_values_half_up() -> None:
    wrong = [n for n in range(1001) if score(n / 1000) != half_up_cents(n)]
    assert wrong == []


@PROPERTY
@given(st.floats(min_value=0, max_value=1))
def test_a_score_is_within_half_a_cent_of_its_progress(value: float) -> None:
    assert abs(score(value) - value) <= 0.005 + 1e-12


@PROPERTY
@given(scopes(), st.integers(min_value=1, max_value=60))
def test_silence_is_pending_only_inside_the_grace_period_then_paced_at_its_value(
    scope: Scope, stale_after_days: int
) -> None:
    """Without a check-in a key result is PENDING exactly while less than `staleAfterDays`
    have passed since its cycle started or it was created, whichever is later (unless ACHIEVED
    or NOT_STARTED first); afterwards its status is the one a check-in at its value would give."""
    policy = Policy(stale_after_days=stale_after_days)
    result = evaluate(
        key_results=scope.key_results,
        objectives=scope.objectives,
        cycles={scope.cycle.id: scope.cycle},
        readings=scope.readings,
        policy=policy,
        now=scope.now,
    )
    for k in scope.key_results:
        given_reading = scope.readings[k.id]
        if given_reading.checked_in:
            continue
        alone = evaluate_key_result(k, given_reading, scope.cycle, now=scope.now, policy=policy)
        assert alone.value is not None
        since = max(scope.cycle.starts_at, k.created_at or scope.cycle.starts_at)
        excused = scope.now - since < timedelta(days=stale_after_days)
        if alone.value >= 1 or scope.now < scope.cycle.starts_at:
            assert alone.status is not ProgressStatus.PENDING
            continue
        assert (alone.status is ProgressStatus.PENDING) == excused
        if not excused:
            as_if_checked_in = evaluate_key_result(
                k,
                replace(given_reading, checked_in=True),
                scope.cycle,
                now=scope.now,
                policy=policy,
            )
            assert alone.status is as_if_checked_in.status
            assert alone.explanation.status_reason.startswith("no check-in since ")
        assert result.key_result_progress[k.id].value == alone.value


LATE = (ProgressStatus.AT_RISK, ProgressStatus.OFF_TRACK)


# Chains long enough to pass lateness on are a small share of what is drawn: draw more.
CHAINS = settings(PROPERTY, max_examples=300)


@CHAINS
@given(chained_scopes() | chained_scopes(loops=True) | scopes())
def test_a_key_result_is_held_back_iff_on_track_by_pace_with_a_late_direct_upstream(
    scope: Scope,
) -> None:
    """Step 5 (DOMAIN.md §3.3): AT_RISK by dependency exactly when it would be ON_TRACK by pace
    and a direct upstream's final status is AT_RISK or OFF_TRACK; `blockedBy` names those."""
    result = evaluate(
        key_results=scope.key_results,
        objectives=scope.objectives,
        cycles={scope.cycle.id: scope.cycle},
        readings=scope.readings,
        policy=Policy(),
        now=scope.now,
    )
    final = result.key_result_progress
    for k in scope.key_results:
        by_pace = evaluate_key_result(
            k, scope.readings[k.id], scope.cycle, now=scope.now, policy=Policy()
        ).status
        late_upstream = tuple(u for u in k.depends_on if u in final and final[u].status in LATE)
        got = final[k.id]
        if by_pace is ProgressStatus.ON_TRACK and late_upstream:
            assert (got.status, got.blocked_by) == (ProgressStatus.AT_RISK, late_upstream), k.id
        else:
            assert (got.status, got.blocked_by) == (by_pace, ()), k.id


@CHAINS
@given(chained_scopes(loops=True))
def test_lateness_held_back_always_comes_from_a_key_result_late_by_its_own_pace(
    scope: Scope,
) -> None:
    """Only lateness flows: following `blockedBy` up from any held-back key result reaches one
    that is late by its own pace, so a loop of on-track key results holds nothing back."""
    result = evaluate(
        key_results=scope.key_results,
        objectives=scope.objectives,
        cycles={scope.cycle.id: scope.cycle},
        readings=scope.readings,
        policy=Policy(),
        now=scope.now,
    )
    final = result.key_result_progress
    for kid, p in final.items():
        seen = {kid}
        frontier = list(p.blocked_by)
        reached = False
        while frontier and not reached:
            up = frontier.pop()
            reached = not final[up].blocked_by  # late, and not by being held back
            if up not in seen:
                seen.add(up)
                frontier += final[up].blocked_by
        assert reached or not p.blocked_by, kid


@given(scopes(), st.data())
def test_a_members_progress_is_the_weighted_mean_of_the_key_results_they_own(
    scope: Scope, data: st.DataObject
) -> None:
    """ "My OKRs": owners drawn for every key result; each member's progress is `combine` over
    the key results they own, by creation, weighted as a department's; a member who owns
    nothing has nothing to measure."""
    owners = ["ana", "bo", None]
    owned = [replace(k, owner_id=data.draw(st.sampled_from(owners))) for k in scope.key_results]
    result = evaluate(
        key_results=owned,
        objectives=scope.objectives,
        cycles={scope.cycle.id: scope.cycle},
        readings=scope.readings,
        policy=Policy(),
        now=scope.now,
    )
    for member in ("ana", "bo", "carla"):
        items = [
            Weighted(k.id, k.title, p.value, k.weight, p.status, "KeyResult")
            for k in owned
            if k.owner_id == member
            for p in [result.key_result_progress[k.id]]
        ]
        want = combine(items, expected=result.expected(scope.cycle.id), what="member")
        got = result.member(member, {scope.cycle.id}, scope.cycle.id)
        assert (got.value, got.status) == (want.value, want.status)
        assert got.explanation.inputs == want.explanation.inputs
        assert got.explanation.formula == want.explanation.formula
        assert between(got.value, [i.value for i in items])
        assert (got.value is None) == all(i.value is None for i in items)
