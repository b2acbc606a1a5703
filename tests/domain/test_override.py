"""Progress set by hand (GitLab issue 382433): which override holds when, what setting and
clearing one write, and how an overridden objective rolls up (properties, then the cases)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.errors import ErrorCode, InvalidInput
from service.domain.model import Objective, Override, Policy, ProgressStatus
from service.domain.override import (
    active,
    checked_expiry,
    checked_reason,
    checked_value,
    clear_override,
    same_setting,
    set_override,
)
from service.domain.rollup import Evaluation, evaluate
from service.domain.weighted import weighted_mean
from tests.domain.builders import at
from tests.strategies import (
    CYCLE,
    PROPERTY,
    Scope,
    instants,
    override_histories,
    scopes,
)

SET = at(2, 1)


def evaluated(scope: Scope, objectives: list[Objective], now: datetime | None = None) -> Evaluation:
    return evaluate(
        key_results=scope.key_results,
        objectives=objectives,
        cycles={CYCLE.id: CYCLE},
        readings=scope.readings,
        policy=Policy(),
        now=scope.now if now is None else now,
    )


def overridden(scope: Scope, index: int, history: tuple[Override, ...]) -> list[Objective]:
    """The scope's objectives with `history` on the one at `index`."""
    return [
        replace(o, overrides=history) if i == index else o for i, o in enumerate(scope.objectives)
    ]


# Which override holds -------------------------------------------------------------------------


@PROPERTY
@given(
    set_at=instants,
    lasts=st.none() | st.timedeltas(min_value=timedelta(milliseconds=1), max_value=timedelta(90)),
    instant=instants,
)
def test_an_override_holds_exactly_from_its_setting_until_its_expiry(
    set_at: datetime, lasts: timedelta | None, instant: datetime
) -> None:
    expires = None if lasts is None else set_at + lasts
    made = Override(value=0.5, reason="r", set_at=set_at, expires_at=expires)
    holds = set_at <= instant and (expires is None or instant < expires)
    assert (active((made,), instant) is made) is holds


@PROPERTY
@given(history=override_histories(), instant=instants)
def test_the_newest_override_set_by_then_decides(
    history: tuple[Override, ...], instant: datetime
) -> None:
    found = active(history, instant)
    started = [o for o in history if o.set_at <= instant]
    if not started:
        assert found is None
        return
    newest = started[-1]
    ends = newest.ends_at()
    assert found is (newest if ends is None or instant < ends else None)


@PROPERTY
@given(history=override_histories(), instant=instants)
def test_clearing_ends_what_holds_and_only_that(
    history: tuple[Override, ...], instant: datetime
) -> None:
    cleared = clear_override(history, at=instant, by="ana")
    assert active(cleared, instant) is None
    assert len(cleared) == len(history)
    # Before the clearing, the history reads as it did.
    earlier = instant - timedelta(milliseconds=1)

    def seen(found: Override | None) -> tuple[object, ...] | None:
        return None if found is None else (found.value, found.set_at, found.reason)

    assert seen(active(cleared, earlier)) == seen(active(history, earlier))


# How an overridden objective evaluates --------------------------------------------------------


@PROPERTY
@given(scope=scopes(), data=st.data())
def test_an_override_wins_exactly_while_it_holds_and_the_computed_value_otherwise(
    scope: Scope, data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(scope.objectives) - 1))
    history = data.draw(override_histories())
    plain = evaluated(scope, scope.objectives)
    with_history = evaluated(scope, overridden(scope, index, history))
    target = scope.objectives[index].id
    holding = active(history, scope.now)
    got = with_history.objective_progress[target]
    if holding is None:
        assert with_history.objective_progress == plain.objective_progress
        assert got.explanation.override is None
        return
    assert got.value == holding.value
    note = got.explanation.override
    assert note is not None
    assert note.override == holding
    assert note.computed == plain.objective_progress[target].value
    # Key results never move.
    assert with_history.key_result_progress == plain.key_result_progress


@PROPERTY
@given(scope=scopes(), data=st.data())
def test_rollups_above_take_the_mean_with_the_override_in_place(
    scope: Scope, data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(scope.objectives) - 1))
    value = data.draw(st.floats(min_value=0, max_value=1))
    history = (Override(value=value, reason="r", set_at=scope.now - timedelta(days=1)),)
    done = evaluated(scope, overridden(scope, index, history))
    values = {o: p.value for o, p in done.objective_progress.items()}
    assert values[scope.objectives[index].id] == value
    for parent in scope.objectives:
        if parent.id == scope.objectives[index].id:
            continue
        children = [o for o in scope.objectives if o.parent_id == parent.id]
        key_results = [k for k in scope.key_results if k.objective_id == parent.id]
        expected = weighted_mean(
            [(done.key_result_progress[k.id].value, k.weight) for k in key_results]
            + [(values[c.id], c.weight) for c in children]
        )
        assert values[parent.id] == expected


@PROPERTY
@given(scope=scopes(), data=st.data())
def test_clearing_restores_the_computed_progress(scope: Scope, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(scope.objectives) - 1))
    value = data.draw(st.floats(min_value=0, max_value=1))
    set_at = scope.now - timedelta(days=2)
    history = set_override((), value=value, reason="why", at=set_at, by="ana")
    cleared = clear_override(history, at=scope.now - timedelta(days=1), by="ben")
    assert (
        evaluated(scope, overridden(scope, index, cleared)).objective_progress
        == evaluated(scope, scope.objectives).objective_progress
    )
    # While it held, it won.
    while_held = evaluated(scope, overridden(scope, index, cleared), now=set_at)
    assert while_held.objective_progress[scope.objectives[index].id].value == value


def test_an_override_is_paced_against_its_cycle() -> None:
    objective = Objective(
        id="o",
        org_id="org",
        cycle_id=CYCLE.id,
        year=2027,
        title="o",
        overrides=(Override(value=0.1, reason="slow start", set_at=SET, set_by="ana"),),
    )
    mid = at(2, 15)

    def status(value: float, now: datetime = mid) -> ProgressStatus:
        held = replace(objective, overrides=(replace(objective.overrides[0], value=value),))
        done = evaluate(
            key_results=(),
            objectives=[held],
            cycles={CYCLE.id: CYCLE},
            readings={},
            policy=Policy(),
            now=now,
        )
        return done.objective_progress["o"].status

    assert status(0.1) is ProgressStatus.OFF_TRACK
    assert status(0.3) is ProgressStatus.AT_RISK
    assert status(0.5) is ProgressStatus.ON_TRACK
    assert status(1.0) is ProgressStatus.ACHIEVED
    done = evaluate(
        key_results=(),
        objectives=[objective],
        cycles={CYCLE.id: CYCLE},
        readings={},
        policy=Policy(),
        now=mid,
    )
    explained = done.objective_progress["o"].explanation
    assert explained.formula == (
        "objective: set by hand = 0.1 (instead of computed: nothing to measure (null))"
    )
    assert explained.status_reason.endswith(
        "; progress set by hand by ana at 2027-02-01 until cleared: slow start"
    )
    anonymous = replace(
        objective,
        overrides=(replace(objective.overrides[0], set_by=None, expires_at=at(3, 1)),),
    )
    done = evaluate(
        key_results=(),
        objectives=[anonymous],
        cycles={CYCLE.id: CYCLE},
        readings={},
        policy=Policy(),
        now=mid,
    )
    assert "by an unknown author at 2027-02-01 until 2027-03-01: slow start" in (
        done.objective_progress["o"].explanation.status_reason
    )


# Setting one ----------------------------------------------------------------------------------


def test_setting_appends_to_the_history_and_ends_the_one_before() -> None:
    first = set_override((), value=0.4, reason=" why ", at=SET, by="ana")
    assert first == (Override(value=0.4, reason="why", set_at=SET, set_by="ana"),)
    later = SET + timedelta(days=1)
    second = set_override(first, value=0.6, reason="again", at=later, by="ben", expires_at=at(3, 1))
    assert second[0] == first[0]
    assert active(second, later) == second[1]
    assert active(second, later - timedelta(seconds=1)) == first[0]
    assert clear_override(second, at=at(3, 2), by="ana") == second  # expired: nothing holds


def test_sending_the_same_setting_again_is_recognised() -> None:
    (held,) = set_override((), value=0.4, reason="why", at=SET, by="ana", expires_at=at(3, 1))
    same = {"value": 0.4, "reason": "why", "by": "ana", "expires_at": at(3, 1)}
    assert same_setting(held, **same)  # type: ignore[arg-type]
    assert not same_setting(None, **same)  # type: ignore[arg-type]
    assert not same_setting(held, **{**same, "value": 0.5})  # type: ignore[arg-type]
    assert not same_setting(held, **{**same, "by": "ben"})  # type: ignore[arg-type]
    assert not same_setting(held, **{**same, "expires_at": None})  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-0.01, 1.01, float("nan"), float("inf"), True])
def test_a_value_off_the_progress_scale_is_refused(value: float) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_value(value)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_VALUE, ("value",))


@pytest.mark.parametrize("reason", ["", "   ", "x" * 10_001])
def test_a_missing_or_overlong_reason_is_refused(reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_reason(reason)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_TEXT, ("reason",))


@pytest.mark.parametrize(
    "expires_at",
    [SET, SET - timedelta(days=1), SET.replace(tzinfo=None) + timedelta(days=1)],
    ids=["now", "past", "no time zone"],
)
def test_an_expiry_must_be_ahead_and_carry_a_time_zone(expires_at: datetime) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_expiry(expires_at, now=SET)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_VALUE, ("expiresAt",))


def test_an_expiry_is_kept_to_the_millisecond() -> None:
    ahead = SET + timedelta(days=1, microseconds=1500)
    assert checked_expiry(ahead, now=SET) == SET + timedelta(days=1, microseconds=1000)
    assert checked_expiry(None, now=SET) is None
