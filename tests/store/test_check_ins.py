"""Check-ins: idempotent appends, the newest by recordedAt is the current value, pages."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from service.domain.errors import Conflict
from service.domain.model import KeyResult
from service.store.interface import Store
from tests.store import factory
from tests.store.conftest import World


async def current(store: Store, kr: KeyResult) -> KeyResult:
    (found,) = await store.get_key_results(kr.org_id, [kr.id])
    return found


async def test_a_retry_with_the_same_key_returns_the_first(store: Store, world: World) -> None:
    first = factory.check_in(world.kr, 10.0, 1, idempotency_key="k-1", note="n", author="ana")
    assert await store.append_check_in(first) == (first, True)
    retry = factory.check_in(world.kr, 99.0, 2, idempotency_key="k-1")
    assert await store.append_check_in(retry) == (first, False)
    assert await store.list_check_ins(world.org.id, [world.kr.id]) == [first]
    assert (await current(store, world.kr)).current_value == 10.0
    # The key is per key result: the same key elsewhere is a different check-in.
    other = factory.key_result(world.q1)
    await store.insert_key_result(other)
    elsewhere = factory.check_in(other, 5.0, 1, idempotency_key="k-1")
    assert await store.append_check_in(elsewhere) == (elsewhere, True)


async def test_check_ins_without_a_key_never_clash(store: Store, world: World) -> None:
    made = [factory.check_in(world.kr, float(v), v) for v in range(3)]
    for check_in in made:
        assert (await store.append_check_in(check_in))[1] is True
    assert len(await store.list_check_ins(world.org.id, [world.kr.id])) == 3
    with pytest.raises(Conflict):
        await store.append_check_in(replace(made[0], value=7.0))  # the same id again


async def test_the_newest_by_recorded_at_wins_whatever_the_arrival_order(
    store: Store, world: World
) -> None:
    newest = factory.check_in(world.kr, 30.0, 30, confidence=0.9)
    for check_in in (
        factory.check_in(world.kr, 10.0, 10),
        newest,
        factory.check_in(world.kr, 20.0, 20),
    ):
        await store.append_check_in(check_in)
    kr = await current(store, world.kr)
    assert (kr.current_value, kr.last_check_in_at, kr.confidence) == (30.0, newest.recorded_at, 0.9)


async def test_a_tie_on_recorded_at_goes_to_the_greater_id(store: Store, world: World) -> None:
    at = datetime(2027, 2, 1, 12, 0, 0, 123456, tzinfo=UTC)  # kept to the millisecond
    low = factory.check_in(world.kr, 1.0, at, id="a" * 32)
    high = factory.check_in(world.kr, 2.0, at, id="b" * 32)
    stored, _ = await store.append_check_in(high)
    await store.append_check_in(low)
    kr = await current(store, world.kr)
    assert (kr.current_value, kr.last_check_in_at) == (2.0, at.replace(microsecond=123000))
    assert stored.recorded_at == at.replace(microsecond=123000)


async def test_deleting_recomputes_the_current_value(store: Store, world: World) -> None:
    older = factory.check_in(world.kr, 10.0, 1, confidence=0.5)
    newer = factory.check_in(world.kr, 20.0, 2)
    await store.append_check_in(older)
    await store.append_check_in(newer)
    assert await store.delete_check_in(factory.new_id(), newer.id) is None  # another org
    assert await store.delete_check_in(world.org.id, older.id) == older
    assert (await current(store, world.kr)).current_value == 20.0
    assert await store.delete_check_in(world.org.id, newer.id) == newer
    kr = await current(store, world.kr)
    assert (kr.current_value, kr.last_check_in_at, kr.confidence) == (0.0, None, None)
    assert await store.delete_check_in(world.org.id, newer.id) is None
    # Without check-ins the next one becomes current whatever its time.
    late = factory.check_in(world.kr, 5.0, 0)
    await store.append_check_in(late)
    assert (await current(store, world.kr)).current_value == 5.0


async def test_deleting_the_newest_falls_back_to_the_next(store: Store, world: World) -> None:
    made = [factory.check_in(world.kr, float(v), v, confidence=v / 10) for v in (3, 1, 2)]
    for check_in in made:
        await store.append_check_in(check_in)
    await store.delete_check_in(world.org.id, made[0].id)
    kr = await current(store, world.kr)
    assert (kr.current_value, kr.confidence, kr.last_check_in_at) == (
        2.0,
        0.2,
        made[2].recorded_at,
    )


async def test_concurrent_appends_converge_on_the_newest(store: Store, world: World) -> None:
    rng = random.Random(7)
    made = [
        factory.check_in(
            world.kr,
            float(i),
            factory.T0 + timedelta(seconds=rng.randrange(100_000)),
            idempotency_key=f"key-{i % 7}" if i % 3 == 0 else None,
        )
        for i in range(50)
    ]
    results = await asyncio.gather(*(store.append_check_in(c) for c in made))
    distinct: dict[str, object] = {}
    for check_in in made:
        distinct.setdefault(check_in.idempotency_key or check_in.id, check_in)
    created = [stored for stored, new in results if new]
    stored = await store.list_check_ins(world.org.id, [world.kr.id])
    assert len(stored) == len(created) == len(distinct) < 50
    assert {c.id for c in stored} == {c.id for c in created}
    newest = max(stored, key=lambda c: (c.recorded_at, c.id))
    kr = await current(store, world.kr)
    assert (kr.current_value, kr.last_check_in_at) == (newest.value, newest.recorded_at)


async def test_list_check_ins_newest_first_until_a_time(store: Store, world: World) -> None:
    other = factory.key_result(world.q1)
    await store.insert_key_result(other)
    mine = [factory.check_in(world.kr, float(h), h) for h in (1, 3, 2)]
    theirs = [factory.check_in(other, 1.0, 4)]
    for check_in in [*mine, *theirs]:
        await store.append_check_in(check_in)
    both = await store.list_check_ins(world.org.id, [world.kr.id, other.id])
    assert [c.value for c in both] == [1.0, 3.0, 2.0, 1.0]
    until = await store.list_check_ins(world.org.id, [world.kr.id], until=mine[2].recorded_at)
    assert until == [mine[2], mine[0]]
    assert await store.list_check_ins(world.org.id, []) == []
    assert await store.get_check_ins(world.org.id, [mine[1].id]) == [mine[1]]


async def test_check_ins_page_newest_first(store: Store, world: World) -> None:
    at = factory.T0 + timedelta(hours=5)
    made = [factory.check_in(world.kr, float(h), h) for h in (1, 2, 3, 4)]
    made += [factory.check_in(world.kr, 5.0, at, id=f"{c}" * 32) for c in "ab"]
    for check_in in made:
        await store.append_check_in(check_in)
    newest_first = sorted(made, key=lambda c: (c.recorded_at, c.id), reverse=True)
    seen = []
    after = None
    while True:
        page = await store.page_check_ins(world.org.id, world.kr.id, after=after, limit=2)
        assert page.total == 6
        seen += page.items
        if not page.has_next:
            break
        after = page.items[-1].id
    assert seen == newest_first
    gone = await store.page_check_ins(world.org.id, world.kr.id, after="unknown", limit=2)
    assert (gone.items, gone.total, gone.has_next) == ([], 6, False)
