"""Check-in reminders: which key results are due, since when, how late, and whose (properties,
then the cases)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from service.domain.model import Cycle, KeyResult, Policy
from service.domain.reminders import (
    DueCheckIn,
    by_owner,
    cadence,
    clock_start,
    due_at,
    due_check_ins,
)
from tests.domain.builders import at, key_result, quarter_cycle
from tests.strategies import PROPERTY, instants

Q1 = quarter_cycle()
CYCLES = {Q1.id: Q1}
OWNERS = st.none() | st.sampled_from(["ana", "ben", "eva"])


@st.composite
def silent_or_not(draw: st.DrawFn, index: int) -> KeyResult:
    """A key result of 2027-Q1, created at any time or as old as its cycle, checked in at any
    time or never, owned by anyone or nobody."""
    return replace(
        key_result(f"k{index}", created_at=draw(st.none() | instants)),
        last_check_in_at=draw(st.none() | instants),
        owner_id=draw(OWNERS),
    )


key_results = st.integers(min_value=0, max_value=8).flatmap(
    lambda n: st.tuples(*(silent_or_not(i) for i in range(n)))
)
policies = st.integers(min_value=1, max_value=30).map(lambda d: Policy(check_in_cadence_days=d))


def owner(kr: KeyResult) -> str | None:
    return kr.owner_id


def due(krs: tuple[KeyResult, ...], now: datetime, policy: Policy) -> list[DueCheckIn]:
    return due_check_ins(krs, CYCLES, now=now, policy=policy, owner_of=owner)


@PROPERTY
@given(krs=key_results, now=instants, policy=policies)
def test_a_key_result_is_due_exactly_once_a_cadence_has_passed_since_its_clock_started(
    krs: tuple[KeyResult, ...], now: datetime, policy: Policy
) -> None:
    found = {d.key_result_id: d for d in due(krs, now, policy)}
    for kr in krs:
        start = kr.last_check_in_at or max(Q1.starts_at, kr.created_at or Q1.starts_at)
        assert (kr.id in found) is (now - start >= cadence(policy))
        if kr.id in found:
            item = found[kr.id]
            assert item.last == start
            assert item.since == start + cadence(policy)
            assert item.late == now - item.since >= timedelta(0)
            assert item.owner == kr.owner_id


@PROPERTY
@given(krs=key_results, now=instants, policy=policies)
def test_the_longest_due_come_first_and_order_of_input_does_not_matter(
    krs: tuple[KeyResult, ...], now: datetime, policy: Policy
) -> None:
    found = due(krs, now, policy)
    assert [d.since for d in found] == sorted(d.since for d in found)
    assert due(tuple(reversed(krs)), now, policy) == found


@PROPERTY
@given(krs=key_results, now=instants, policy=policies)
def test_grouping_by_owner_keeps_every_due_key_result_once_and_the_unowned_last(
    krs: tuple[KeyResult, ...], now: datetime, policy: Policy
) -> None:
    found = due(krs, now, policy)
    groups = by_owner(found)
    grouped = [d.key_result_id for g in groups for d in g.due]
    assert sorted(grouped) == sorted(d.key_result_id for d in found)
    assert len({g.owner for g in groups}) == len(groups)
    for group in groups:
        assert group.due
        assert all(d.owner == group.owner for d in group.due)
        assert group.since == min(d.since for d in group.due)
        assert group.late == max(d.late for d in group.due)
    assert None not in [g.owner for g in groups[:-1]]
    owned = [g for g in groups if g.owner is not None]
    assert [g.since for g in owned] == sorted(g.since for g in owned)


@PROPERTY
@given(
    krs=key_results,
    now=instants,
    policy=policies,
    later=st.timedeltas(timedelta(0), timedelta(days=400)),
)
def test_a_key_result_due_stays_due_until_checked_in(
    krs: tuple[KeyResult, ...], now: datetime, policy: Policy, later: timedelta
) -> None:
    then = now + later
    before = {d.key_result_id for d in due(krs, now, policy)}
    after = {d.key_result_id for d in due(krs, then, policy)}
    assert before <= after


def test_a_check_in_restarts_the_clock_and_a_closed_cycle_is_never_due() -> None:
    policy = Policy()
    silent = key_result("k", created_at=at(1, 20))
    assert clock_start(silent, Q1) == at(1, 20)
    assert due_at(silent, Q1, policy) == at(1, 27)
    checked = replace(silent, last_check_in_at=at(2, 10))
    assert due_at(checked, Q1, policy) == at(2, 17)
    assert due_check_ins([checked], CYCLES, now=at(2, 16), policy=policy, owner_of=owner) == []
    (item,) = due_check_ins([checked], CYCLES, now=at(2, 20), policy=policy, owner_of=owner)
    assert (item.since, item.late) == (at(2, 17), timedelta(days=3))
    closed: Cycle = replace(Q1, closed=True)
    assert due_at(checked, closed, policy) is None
    assert (
        due_check_ins([checked], {Q1.id: closed}, now=at(3, 1), policy=policy, owner_of=owner) == []
    )
    # A key result whose cycle is not given is left out.
    assert due_check_ins([checked], {}, now=at(3, 1), policy=policy, owner_of=owner) == []


def test_owners_are_grouped_with_the_unowned_last() -> None:
    krs = [
        replace(key_result("a"), owner_id="ben"),
        replace(key_result("b"), owner_id=None),
        replace(key_result("c"), owner_id="ana", last_check_in_at=at(1, 20)),
        replace(key_result("d"), owner_id="ben", last_check_in_at=at(2, 1)),
    ]
    found = due_check_ins(krs, CYCLES, now=at(2, 15), policy=Policy(), owner_of=owner)
    groups = by_owner(found)
    assert [(g.owner, [d.key_result_id for d in g.due]) for g in groups] == [
        ("ben", ["a", "d"]),
        ("ana", ["c"]),
        (None, ["b"]),
    ]
    assert by_owner([]) == []
