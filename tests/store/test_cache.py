"""The organization version every write moves on, and the year cache that trusts it."""

from __future__ import annotations

from dataclasses import replace

from service.store.cache import YearCache
from service.store.interface import Store
from service.store.mongo import MongoStore
from tests.store import factory
from tests.store.conftest import World


async def test_every_write_that_changes_a_year_moves_the_version_and_reads_do_not(
    store: Store, world: World
) -> None:
    org = world.org.id
    seen = [await store.version(org)]

    async def moved() -> bool:
        seen.append(await store.version(org))
        return seen[-1] > seen[-2]

    await store.load_year(org, 2027)
    await store.get_key_results(org, [world.kr.id])
    assert not await moved()
    await store.append_check_in(factory.check_in(world.kr, 5.0, 1))
    assert await moved()
    await store.update_key_result(replace(world.kr, title="Renamed"))
    assert await moved()
    extra = factory.objective(world.cycles[1], parent_id=world.global_objective.id)
    await store.insert_objective(extra)
    assert await moved()
    await store.delete_objective(org, extra.id)
    assert await moved()
    await store.close_cycle(org, world.cycles[1].id, world.cycles[1].ends_at)
    assert await moved()
    assert await store.version(factory.new_id()) == 0  # another organization: untouched


async def test_a_cached_year_costs_one_read_until_a_write_moves_the_version(
    store: Store, world: World
) -> None:
    cache = YearCache()
    org = world.org.id
    first = await cache.load_year(store, org, 2027)
    before = store.round_trips
    again = await cache.load_year(store, org, 2027)
    assert again is first
    assert store.round_trips - before == 1  # the version only
    await store.append_check_in(factory.check_in(world.kr, 500.0, 2))
    fresh = await cache.load_year(store, org, 2027)
    assert fresh.key_results[world.kr.id].current_value == 500.0
    assert (cache.hits, cache.misses) == (1, 2)


async def test_another_instances_write_is_seen_through_the_shared_store(
    store: Store, world: World
) -> None:
    assert isinstance(store, MongoStore)
    other = MongoStore(store._db)  # a second process's store over the same database
    cache = YearCache()
    await cache.load_year(store, world.org.id, 2027)
    await other.append_check_in(factory.check_in(world.kr, 700.0, 3))
    seen = await cache.load_year(store, world.org.id, 2027)
    assert seen.key_results[world.kr.id].current_value == 700.0


async def test_the_least_recently_used_year_leaves_first(store: Store, world: World) -> None:
    cache = YearCache(capacity=2)
    for year in (2026, 2027, 2028):
        await cache.load_year(store, world.org.id, year)
    await cache.load_year(store, world.org.id, 2028)
    assert cache.hits == 1
    await cache.load_year(store, world.org.id, 2026)  # gone: read again
    assert cache.misses == 4
