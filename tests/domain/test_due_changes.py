"""What time makes due (issue 19): the overrides that end by expiring, and the check-ins dated
ahead as they arrive one by one. Announcing either changes no number read at any instant."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from service.domain import arrivals
from service.domain.model import KeyResult, KeyResultKind, Override, Upcoming
from service.domain.override import (
    active,
    due_expiries,
    expiries,
    next_expiry,
    note_expiry,
    still_holding,
)
from tests.strategies import PROPERTY, instants, override_histories

TICK = timedelta(microseconds=1)


def seen(found: Override | None) -> tuple[object, ...] | None:
    return None if found is None else (found.value, found.set_at, found.reason, found.set_by)


@PROPERTY
@given(history=override_histories(max_size=4))
def test_an_override_expires_exactly_when_it_held_until_its_expiry_and_nothing_after(
    history: tuple[Override, ...],
) -> None:
    found = expiries(history)
    for override in history:
        ends = override.expires_at
        if ends is None:
            assert override not in found
            continue
        cleared_first = override.cleared_at is not None and override.cleared_at <= ends
        returned = active(history, ends - TICK) is override and active(history, ends) is None
        assert (override in found) is (returned and not cleared_first)


@PROPERTY
@given(history=override_histories(max_size=4), instant=instants, probe=instants)
def test_announcing_an_expiry_changes_nothing_of_when_overrides_hold(
    history: tuple[Override, ...], instant: datetime, probe: datetime
) -> None:
    due = due_expiries(history, instant)
    noted = history
    for expired in due:
        assert expired.expires_at is not None
        assert expired.expires_at <= instant
        noted = note_expiry(noted, expired)
    assert seen(active(noted, probe)) == seen(active(history, probe))
    assert due_expiries(noted, instant) == []  # each is due once
    assert [o.expires_at for o in expiries(noted)] == [o.expires_at for o in expiries(history)]
    ahead = next_expiry(history, instant)
    assert ahead == min(
        (o.expires_at for o in expiries(history) if o.expires_at and o.expires_at > instant),
        default=None,
    )


@PROPERTY
@given(history=override_histories(max_size=4))
def test_before_its_expiry_an_override_reads_as_still_holding_then(
    history: tuple[Override, ...],
) -> None:
    for expired in expiries(history):
        assert expired.expires_at is not None
        held = still_holding(history, expired)
        assert seen(active(held, expired.expires_at)) == seen(expired)


def test_a_cleared_or_replaced_override_does_not_expire() -> None:
    t0 = datetime(2027, 2, 1, tzinfo=UTC)
    hour = timedelta(hours=1)
    first = Override(0.4, "r", t0, expires_at=t0 + 2 * hour)
    cleared = replace(first, cleared_at=t0 + hour, cleared_by="ana")
    newer = Override(0.6, "s", t0 + hour)
    assert expiries((first,)) == [first]
    assert expiries((cleared,)) == []
    assert expiries((first, newer)) == []
    assert due_expiries((first,), t0 + hour) == []  # not come yet
    assert due_expiries((first,), t0 + 2 * hour) == [first]
    assert due_expiries((replace(first, expired=True),), t0 + 3 * hour) == []
    assert next_expiry((first,), t0) == t0 + 2 * hour
    assert next_expiry((first,), t0 + 2 * hour) is None


# Check-ins dated ahead ------------------------------------------------------------------------

T0 = datetime(2027, 2, 15, 12, tzinfo=UTC)


@st.composite
def ahead_key_results(draw: st.DrawFn) -> KeyResult:
    """A key result with up to four check-ins dated ahead (some at one millisecond)."""
    offsets = draw(st.lists(st.integers(min_value=-2, max_value=6), max_size=4))
    upcoming = sorted(
        (
            Upcoming(T0 + timedelta(minutes=m), float(i * 10 + 5), None, f"c{i}")
            for i, m in enumerate(offsets)
        ),
        key=lambda u: u.at,
    )
    last = draw(st.none() | st.integers(min_value=-3, max_value=3))
    return KeyResult(
        id="kr",
        org_id="org",
        objective_id="o",
        cycle_id="q1",
        year=2027,
        title="MQLs",
        kind=KeyResultKind.INCREASE,
        start_value=0,
        target_value=100,
        current_value=1,
        last_check_in_at=None if last is None else T0 + timedelta(minutes=last),
        last_check_in_id=None if last is None else "c-last",
        upcoming=tuple(upcoming),
    )


def reading(key_result: KeyResult) -> tuple[object, ...]:
    return (
        key_result.current_value,
        key_result.confidence,
        key_result.last_check_in_at,
        key_result.last_check_in_id,
    )


instants_around = st.integers(min_value=-4, max_value=8).map(lambda m: T0 + timedelta(minutes=m))


@PROPERTY
@given(key_result=ahead_key_results(), now=instants_around, probe=instants_around)
def test_arrivals_one_by_one_read_as_the_key_result_does_at_every_later_instant(
    key_result: KeyResult, now: datetime, probe: datetime
) -> None:
    current = key_result
    for check_in_id in arrivals.due_arrivals(key_result, now):
        assert arrivals.due_arrivals(current, now)[0] == check_in_id  # the next to arrive
        here = next(u for u in current.upcoming if u.check_in_id == check_in_id)
        before = arrivals.before_arrival(current, check_in_id)
        came = arrivals.arrived(current, check_in_id)
        assert before is not None
        assert came is not None
        # Just before its time the key result read without it; from then on, as with it.
        assert reading(before.at(here.at)) == reading(current.at(here.at - TICK))
        assert came.upcoming == current.upcoming[1:]
        current = came
    assert arrivals.due_arrivals(current, now) == []
    if probe >= now:
        assert current.at(probe) == key_result.at(probe)
    assert arrivals.next_arrival(current, now) == arrivals.next_arrival(key_result, now)


def test_only_a_held_upcoming_check_in_arrives() -> None:
    kr = KeyResult(
        id="kr",
        org_id="org",
        objective_id="o",
        cycle_id="q1",
        year=2027,
        title="MQLs",
        kind=KeyResultKind.INCREASE,
        start_value=0,
        target_value=100,
        current_value=1,
        upcoming=(Upcoming(T0, 50, 0.5, "c1"),),
    )
    assert arrivals.arrived(kr, "other") is None
    assert arrivals.before_arrival(kr, "other") is None
    came = arrivals.arrived(kr, "c1")
    assert came is not None
    assert (came.current_value, came.last_check_in_id, came.upcoming) == (50, "c1", ())
    assert arrivals.next_arrival(kr, T0 - TICK) == T0
    assert arrivals.next_arrival(kr, T0) is None
