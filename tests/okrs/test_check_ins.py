"""Recording check-ins: the current value, idempotency, times, and the rollups a check-in
moves."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from service.domain.errors import ErrorCode
from service.domain.model import ProgressStatus
from service.okrs import check_ins
from service.readmodel import ReadModel
from service.readmodel.scopes import ScopeKind, moves, whole_second
from tests.okrs.conftest import NOW, Backend, World


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


async def record(
    backend: Backend, world: World, value: float, **given: object
) -> check_ins.CheckInRecorded:
    return await check_ins.record_check_in(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=str(given.pop("key_result_id", world.mql.id)),
        value=value,
        now=NOW,
        **given,  # type: ignore[arg-type]
    )


async def test_the_seed_example_rolls_up_to_the_global_objective(
    backend: Backend, world: World
) -> None:
    org = world.org.id
    await record(backend, world, 100, recorded_at=at("2027-01-11"))
    await record(backend, world, 45, key_result_id=world.deals.id, recorded_at=at("2027-01-31"))
    before = await backend.snapshot_of(org)
    recorded = await record(backend, world, 200, recorded_at=at("2027-02-10"))
    assert recorded.created
    assert recorded.key_result.current_value == 200
    change = await backend.store.last_change(org)
    assert change is not None
    assert change.kind == "checkInCreate"
    moved = {(c.scope.kind, c.scope.id): c for c in moves(before, recorded.snapshot, change)}
    mql = moved[(ScopeKind.KEY_RESULT, world.mql.id)]
    assert mql.previous is not None
    assert mql.current is not None
    assert mql.previous.value == pytest.approx(0.1)
    assert mql.current.value == pytest.approx(0.2)
    assert mql.current.status is ProgressStatus.OFF_TRACK
    q1 = moved[(ScopeKind.OBJECTIVE, world.q1.id)].current
    assert q1 is not None
    assert q1.value == pytest.approx((0.2 + 2 * 0.5) / 3)
    top = moved[(ScopeKind.OBJECTIVE, world.global_objective.id)].current
    assert top is not None
    assert top.value == pytest.approx(0.4)
    org_change = moved[(ScopeKind.ORGANIZATION, org)].current
    assert org_change is not None
    assert org_change.value == pytest.approx(0.4)
    assert (ScopeKind.CYCLE, world.quarters[0].id) in moved
    assert (ScopeKind.CYCLE, world.year.id) in moved
    assert (ScopeKind.DEPARTMENT, world.marketing.id) in moved
    # The Sales key result is not one the check-in touched: it is not among the scopes moved.
    assert (ScopeKind.KEY_RESULT, world.deals.id) not in moved


async def test_a_retry_with_the_same_idempotency_key_and_check_in_returns_the_first(
    backend: Backend, world: World
) -> None:
    first = await record(backend, world, 100, idempotency_key="retry-1", note="weekly")
    before = await backend.snapshot()
    again = await record(backend, world, 100, idempotency_key="retry-1", note="weekly")
    assert not again.created
    assert again.check_in.id == first.check_in.id
    assert again.key_result.current_value == 100
    assert await backend.snapshot() == before


@pytest.mark.parametrize(
    "different",
    [{"value": 999}, {"note": "other"}, {"confidence": 0.4}, {"recorded_at": NOW - timedelta(1)}],
)
async def test_the_same_idempotency_key_with_another_check_in_is_refused(
    backend: Backend, world: World, different: dict[str, object]
) -> None:
    sent: dict[str, object] = {"idempotency_key": "retry-1", "note": "weekly"}
    await record(backend, world, 100, **sent)
    changed = {**sent, **different}
    value = float(changed.pop("value", 100))  # type: ignore[arg-type]
    error = await backend.rejects(
        ErrorCode.IDEMPOTENCY_KEY_REUSED, lambda: record(backend, world, value, **changed)
    )
    assert error.field == ("idempotencyKey",)


async def test_an_idempotency_key_belongs_to_one_key_result(backend: Backend, world: World) -> None:
    one = await record(backend, world, 100, idempotency_key="k")
    other = await record(backend, world, 41, idempotency_key="k", key_result_id=world.deals.id)
    assert one.created
    assert other.created
    assert other.check_in.id != one.check_in.id


async def test_an_idempotency_key_with_a_nul_character_finds_its_first_check_in(
    backend: Backend, world: World
) -> None:
    first = await record(backend, world, 100, idempotency_key="a\x00b")
    again = await record(backend, world, 100, idempotency_key="a\x00b")
    other = await record(backend, world, 200, idempotency_key="a")
    assert (again.created, again.check_in.id) == (False, first.check_in.id)
    assert other.created


async def test_a_back_filled_check_in_keeps_the_newer_current_value(
    backend: Backend, world: World
) -> None:
    await record(backend, world, 300, recorded_at=at("2027-02-10"))
    late = await record(backend, world, 50, recorded_at=at("2027-01-05"))
    assert late.created
    assert late.key_result.current_value == 300


async def test_times_are_kept_to_the_millisecond_and_the_last_written_wins_a_tie(
    backend: Backend, world: World
) -> None:
    earlier = at("2027-02-10T00:00:00.115900")
    later_digits = at("2027-02-10T00:00:00.115100")
    first = await record(backend, world, 10, recorded_at=earlier)
    second = await record(backend, world, 20, recorded_at=later_digits)
    assert first.check_in.recorded_at == at("2027-02-10T00:00:00.115000")
    assert second.check_in.recorded_at == first.check_in.recorded_at
    assert second.key_result.current_value == 20  # the same millisecond: written last
    history = await backend.store.list_check_ins(world.org.id, [world.mql.id])
    assert [c.value for c in history] == [20, 10]


async def test_deleting_the_newest_check_in_falls_back_to_the_one_before(
    backend: Backend, world: World
) -> None:
    org = world.org.id
    await record(backend, world, 100, recorded_at=at("2027-01-10"))
    wrong = await record(backend, world, 9000, recorded_at=at("2027-02-01"))
    deleted = await check_ins.delete_check_in(
        writer=backend.writer, org_id=org, check_in_id=wrong.check_in.id, now=NOW
    )
    assert deleted.key_result.current_value == 100
    (left,) = await backend.store.list_check_ins(org, [world.mql.id])
    only = await check_ins.delete_check_in(
        writer=backend.writer, org_id=org, check_in_id=left.id, now=NOW
    )
    assert only.key_result.current_value == 0
    assert only.key_result.last_check_in_at is None


async def test_deleting_an_unknown_check_in_is_not_found(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.NOT_FOUND,
        lambda: check_ins.delete_check_in(
            writer=backend.writer, org_id=world.org.id, check_in_id="missing", now=NOW
        ),
    )


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
async def test_a_non_finite_value_is_rejected(backend: Backend, world: World, value: float) -> None:
    await backend.rejects(ErrorCode.INVALID_VALUE, lambda: record(backend, world, value))


async def test_a_check_in_more_than_five_minutes_ahead_is_rejected(
    backend: Backend, world: World
) -> None:
    ahead = NOW + timedelta(minutes=5, milliseconds=1)
    await backend.rejects(
        ErrorCode.INVALID_VALUE, lambda: record(backend, world, 1, recorded_at=ahead)
    )


async def test_a_check_in_dated_before_its_cycle_is_rejected(
    backend: Backend, world: World
) -> None:
    error = await backend.rejects(
        ErrorCode.INVALID_VALUE,
        lambda: record(backend, world, 1, recorded_at=at("2026-12-31T23:59:59")),
    )
    assert error.field == ("recordedAt",)


async def test_a_check_in_dated_before_its_cycle_starts_is_refused(
    backend: Backend, world: World
) -> None:
    # A value from before 2027-Q1 would make its key result ON_TRACK on the cycle's first day,
    # while the forecast ignored it: it is the key result's start value, not a check-in.
    refused = await backend.rejects(
        ErrorCode.INVALID_VALUE,
        lambda: check_ins.record_check_in(
            writer=backend.writer,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            value=900,
            recorded_at=world.quarters[0].starts_at - timedelta(milliseconds=1),
            now=NOW,
        ),
    )
    assert refused.field == ("recordedAt",)
    assert "before 2027-Q1 starts (2027-01-01)" in refused.message
    # The cycle's first instant is inside it.
    first = await check_ins.record_check_in(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        value=10,
        recorded_at=world.quarters[0].starts_at,
        now=NOW,
    )
    assert first.created


@pytest.mark.parametrize("confidence", [-0.1, 1.5, math.nan])
async def test_confidence_outside_zero_to_one_is_rejected(
    backend: Backend, world: World, confidence: float
) -> None:
    await backend.rejects(
        ErrorCode.INVALID_VALUE, lambda: record(backend, world, 1, confidence=confidence)
    )


async def test_an_unknown_key_result_is_not_found(backend: Backend, world: World) -> None:
    error = await backend.rejects(
        ErrorCode.NOT_FOUND, lambda: record(backend, world, 1, key_result_id="missing")
    )
    assert error.field == ("keyResultId",)


async def test_a_key_result_of_another_organization_is_not_found(
    backend: Backend, world: World
) -> None:
    await backend.rejects(
        ErrorCode.NOT_FOUND,
        lambda: check_ins.record_check_in(
            writer=backend.writer,
            org_id="another-org",
            key_result_id=world.mql.id,
            value=1,
            now=NOW,
        ),
    )


async def test_the_year_a_check_in_carries_forward_equals_the_year_evaluated_afresh(
    backend: Backend, world: World
) -> None:
    org = world.org.id
    before = await backend.snapshot_of(org)
    instant = whole_second(NOW)
    before.year(2027).evaluated(instant)
    recorded = await record(backend, world, 420, recorded_at=at("2027-02-01"))
    carried = recorded.snapshot.year(2027)
    assert carried.plan is not None, "the plan was carried, one row replaced"
    kept = carried.evaluations[instant]
    fresh = await ReadModel(backend.store).snapshot(org)
    assert fresh is not None
    evaluated = fresh.year(2027).evaluated(instant)
    assert kept.key_result_progress == evaluated.key_result_progress
    assert kept.objective_progress == evaluated.objective_progress


async def test_a_warm_check_in_costs_a_bounded_number_of_store_calls(
    backend: Backend, world: World
) -> None:
    await record(backend, world, 100)
    before = backend.store.round_trips
    await record(backend, world, 150)
    # Catching up (1), appending the change (1), the check-in and the key result (2), and
    # marking the change applied (1).
    assert backend.store.round_trips - before == 5
    before = backend.store.round_trips
    await record(backend, world, 160, idempotency_key="once")
    assert backend.store.round_trips - before == 6  # and looking the key up


async def test_a_check_in_dated_a_little_ahead_counts_once_its_time_has_come(
    backend: Backend, world: World
) -> None:
    ahead = NOW + timedelta(minutes=3)
    recorded = await record(backend, world, 700, recorded_at=ahead)
    assert recorded.created
    assert recorded.key_result.current_value == 0  # not yet
    [upcoming] = recorded.key_result.upcoming
    assert (upcoming.at, upcoming.value) == (ahead, 700)
    held = recorded.snapshot
    assert held.at(NOW + timedelta(minutes=2)) is held
    later = held.at(ahead)
    assert later.key_results[world.mql.id].current_value == 700
    assert later.key_results[world.mql.id].upcoming == ()
    assert held.at(ahead) is later  # kept for the instant
    # A check-in written after its time has come finds it counted, and a newer one wins.
    after = await check_ins.record_check_in(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        value=710,
        recorded_at=ahead + timedelta(seconds=1),
        now=ahead + timedelta(minutes=1),
    )
    assert after.key_result.current_value == 710
    assert after.key_result.upcoming == ()


async def test_deleting_an_upcoming_check_in_lets_it_go_and_keeps_the_current_value(
    backend: Backend, world: World
) -> None:
    await record(backend, world, 300, recorded_at=at("2027-02-10"))
    ahead = await record(backend, world, 900, recorded_at=NOW + timedelta(minutes=1))
    deleted = await check_ins.delete_check_in(
        writer=backend.writer, org_id=world.org.id, check_in_id=ahead.check_in.id, now=NOW
    )
    assert deleted.key_result.current_value == 300
    assert deleted.key_result.upcoming == ()
