"""Recording check-ins: the current value, idempotency, and the rollups a check-in moves."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.domain.errors import ErrorCode
from service.domain.model import ProgressStatus
from service.okrs import check_ins
from service.okrs.common import ScopeKind, evaluate_scope, tracked, whole_second
from service.store.cache import YearCache
from tests.okrs.conftest import NOW, Backend, World


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


async def test_the_seed_example_rolls_up_to_the_global_objective(
    backend: Backend, world: World
) -> None:
    store, org = backend.store, world.org.id
    await check_ins.record_check_in(
        store=store,
        org_id=org,
        key_result_id=world.mql.id,
        value=100,
        recorded_at=at("2027-01-11"),
        now=NOW,
    )
    await check_ins.record_check_in(
        store=store,
        org_id=org,
        key_result_id=world.deals.id,
        value=45,
        recorded_at=at("2027-01-31"),
        now=NOW,
    )
    recorded = await check_ins.record_check_in(
        store=store,
        org_id=org,
        key_result_id=world.mql.id,
        value=200,
        recorded_at=at("2027-02-10"),
        now=NOW,
    )
    assert recorded.created
    assert recorded.key_result.current_value == 200
    moved = {(c.scope.kind, c.scope.id): c for c in recorded.changes}
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
    # The Sales key result is on pace, but Marketing's lateness holds it back (DOMAIN.md §4);
    # its own progress did not change, so it is not among the changes of this check-in.
    assert (ScopeKind.KEY_RESULT, world.deals.id) not in moved


async def test_a_retry_with_the_same_idempotency_key_returns_the_first_and_stores_nothing(
    backend: Backend, world: World
) -> None:
    first = await check_ins.record_check_in(
        store=backend.store,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        value=100,
        now=NOW,
        idempotency_key="retry-1",
    )
    before = await backend.snapshot()
    again = await check_ins.record_check_in(
        store=backend.store,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        value=999,
        now=NOW,
        idempotency_key="retry-1",
    )
    assert not again.created
    assert again.check_in.id == first.check_in.id
    assert again.check_in.value == 100
    assert again.changes == ()
    assert await backend.snapshot() == before


async def test_a_back_filled_check_in_keeps_the_newer_current_value(
    backend: Backend, world: World
) -> None:
    store, org = backend.store, world.org.id
    await check_ins.record_check_in(
        store=store,
        org_id=org,
        key_result_id=world.mql.id,
        value=300,
        recorded_at=at("2027-02-10"),
        now=NOW,
    )
    late = await check_ins.record_check_in(
        store=store,
        org_id=org,
        key_result_id=world.mql.id,
        value=50,
        recorded_at=at("2027-01-05"),
        now=NOW,
    )
    assert late.created
    assert late.key_result.current_value == 300


async def test_deleting_the_newest_check_in_falls_back_to_the_one_before(
    backend: Backend, world: World
) -> None:
    store, org = backend.store, world.org.id
    await check_ins.record_check_in(
        store=store,
        org_id=org,
        key_result_id=world.mql.id,
        value=100,
        recorded_at=at("2027-01-10"),
        now=NOW,
    )
    wrong = await check_ins.record_check_in(
        store=store,
        org_id=org,
        key_result_id=world.mql.id,
        value=9000,
        recorded_at=at("2027-02-01"),
        now=NOW,
    )
    deleted = await check_ins.delete_check_in(
        store=store, org_id=org, check_in_id=wrong.check_in.id, now=NOW
    )
    assert deleted.key_result.current_value == 100
    only = await check_ins.delete_check_in(
        store=store,
        org_id=org,
        check_in_id=(await store.list_check_ins(org, [world.mql.id]))[0].id,
        now=NOW,
    )
    assert only.key_result.current_value == 0
    assert only.key_result.last_check_in_at is None


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
async def test_a_non_finite_value_is_rejected(backend: Backend, world: World, value: float) -> None:
    await backend.rejects(
        ErrorCode.INVALID_VALUE,
        lambda: check_ins.record_check_in(
            store=backend.store,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            value=value,
            now=NOW,
        ),
    )


async def test_a_check_in_from_the_future_is_rejected(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.INVALID_VALUE,
        lambda: check_ins.record_check_in(
            store=backend.store,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            value=1,
            recorded_at=NOW + timedelta(days=1),
            now=NOW,
        ),
    )


@pytest.mark.parametrize("confidence", [-0.1, 1.5, math.nan])
async def test_confidence_outside_zero_to_one_is_rejected(
    backend: Backend, world: World, confidence: float
) -> None:
    await backend.rejects(
        ErrorCode.INVALID_VALUE,
        lambda: check_ins.record_check_in(
            store=backend.store,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            value=1,
            confidence=confidence,
            now=NOW,
        ),
    )


async def test_an_unknown_key_result_is_not_found(backend: Backend, world: World) -> None:
    error = await backend.rejects(
        ErrorCode.NOT_FOUND,
        lambda: check_ins.record_check_in(
            store=backend.store, org_id=world.org.id, key_result_id="missing", value=1, now=NOW
        ),
    )
    assert error.field == ("keyResultId",)


async def test_a_key_result_of_another_organization_is_not_found(
    backend: Backend, world: World
) -> None:
    await backend.rejects(
        ErrorCode.NOT_FOUND,
        lambda: check_ins.record_check_in(
            store=backend.store, org_id="another-org", key_result_id=world.mql.id, value=1, now=NOW
        ),
    )


async def test_the_cheap_after_state_of_a_check_in_equals_reading_the_whole_year_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mongomock_motor import AsyncMongoMockClient

    from service.okrs import check_ins as module
    from service.okrs import common
    from service.store.mongo import MongoStore
    from tests.okrs.conftest import build_world

    async def recorded(full: bool) -> tuple[common.ProgressChange, ...]:
        store = MongoStore(AsyncMongoMockClient()[f"cheap{full}"])
        await store.ensure_indexes()
        world = await build_world(store)
        if full:

            async def whole_year(**kwargs: Any) -> Any:
                return await common.tracked(**{**kwargs, "changed_key_result": None})

            monkeypatch.setattr(module, "tracked", whole_year)
        done = await module.record_check_in(
            store=store, org_id=world.org.id, key_result_id=world.mql.id, value=420, now=NOW
        )
        monkeypatch.undo()
        return done.changes

    def numbers(changes: tuple[common.ProgressChange, ...]) -> list[tuple[object, ...]]:
        # The two worlds have different ids; everything else must be equal.
        return [
            (
                c.scope.kind,
                *(
                    (p.value, p.status, p.expected, len(p.blocked_by), p.explanation.formula)
                    if p
                    else None
                    for p in (c.previous, c.current)
                ),
            )
            for c in changes
        ]

    cheap, full = await recorded(full=False), await recorded(full=True)
    assert numbers(cheap) == numbers(full)
    assert len(cheap) >= 5


async def test_a_check_in_leaves_its_exact_year_in_the_cache(
    backend: Backend, world: World
) -> None:
    store, org = backend.store, world.org.id
    cache = YearCache()
    year = world.year.year

    async def check_in(value: float, key: str | None = None) -> check_ins.CheckInRecorded:
        return await check_ins.record_check_in(
            store=store,
            org_id=org,
            key_result_id=world.mql.id,
            value=value,
            now=NOW,
            recorded_at=at("2027-02-01"),
            idempotency_key=key,
            cache=cache,
        )

    kept = await cache.organization(store, org, await store.version(org))
    first = await check_in(120)
    misses = cache.misses
    before = store.round_trips
    scope = await cache.load_year(store, org, year)
    assert store.round_trips - before == 1  # the version only: the write left its year
    assert cache.misses == misses
    # A check-in changes no organization, department or cycle: the organization kept before
    # is kept at the new version too.
    before = store.round_trips
    carried = await cache.organization(store, org, await store.version(org))
    assert store.round_trips - before == 1
    assert carried is not None
    assert kept is not None
    assert carried.version == kept.version + 1
    assert (carried.organization, carried.departments, carried.cycles) == (
        kept.organization,
        kept.departments,
        kept.cycles,
    )
    assert scope == await store.load_year(org, year)
    # The change it reported is the cached evaluation's: no one evaluates that year again.
    evaluations = cache.evaluations
    offered = await cache.evaluated(
        store, org, year, policy=world.org.policy, now=whole_second(NOW)
    )
    assert cache.evaluations == evaluations
    # And its plan is the year's: the next second's evaluation walks it, not the key results.
    assert (await cache.year(store, org, year)).plan is offered.plan
    # Re-evaluated from the check-in alone, it is what evaluating the stored year gives.
    full = evaluate_scope(await store.load_year(org, year), world.org, whole_second(NOW))
    assert offered.key_result_progress == full.key_result_progress
    assert offered.objective_progress == full.objective_progress
    assert first.changes

    # A write that changed nothing, while another's write moved the version by one: the year
    # this writer made up is not the stored one, so it is not offered.
    deals = world.deals

    async def someone_elses_write() -> bool:
        await store.update_key_result(replace(deals, title="Renamed elsewhere"))
        return False  # this writer's own write changed nothing

    await tracked(
        store=store,
        org=world.org,
        year=year,
        now=NOW,
        write=someone_elses_write,
        scopes=lambda _: [],
        changed_key_result=world.mql.id,
        cache=cache,
    )
    fresh = await cache.load_year(store, org, year)
    assert fresh.key_results[deals.id].title == "Renamed elsewhere"


@pytest.mark.parametrize("cached", [False, True])
async def test_a_check_in_reads_its_key_result_once_before_and_once_after_the_write(
    backend: Backend, world: World, monkeypatch: pytest.MonkeyPatch, cached: bool
) -> None:
    store, org = backend.store, world.org.id
    read: list[list[str]] = []
    get_key_results = store.get_key_results

    async def counted(org_id: str, ids: list[str]) -> Any:
        read.append(list(ids))
        return await get_key_results(org_id, ids)

    monkeypatch.setattr(store, "get_key_results", counted)
    recorded = await check_ins.record_check_in(
        store=store,
        org_id=org,
        key_result_id=world.mql.id,
        value=150,
        recorded_at=at("2027-02-01"),
        now=NOW,
        cache=YearCache() if cached else None,
    )
    # The answer's key result is the one read back after the write, as the store holds it.
    assert read == [[world.mql.id], [world.mql.id]]
    assert recorded.key_result == (await get_key_results(org, [world.mql.id]))[0]
    assert recorded.key_result.current_value == 150
    deleted = await check_ins.delete_check_in(
        store=store, org_id=org, check_in_id=recorded.check_in.id, now=NOW
    )
    assert deleted.key_result == (await get_key_results(org, [world.mql.id]))[0]
    assert deleted.key_result.last_check_in_at is None
