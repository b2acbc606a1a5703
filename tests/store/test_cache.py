"""The organization version every write moves on, and the year cache that trusts it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from service.domain.model import Policy
from service.domain.rollup import Evaluation
from service.okrs.common import evaluate_scope
from service.store.cache import EVALUATIONS_KEPT, CachedOrganization, YearCache
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
    # The organization itself and its departments are cached at a version too.
    await store.update_organization(replace(world.org, name="Renamed"))
    assert await moved()
    await store.insert_department(factory.department(org, "Legal"))
    assert await moved()
    await store.list_departments(org)
    await store.list_cycles(org)
    await store.get_organizations([org])
    assert not await moved()
    assert await store.version(factory.new_id()) == 0  # another organization: untouched
    newcomer = factory.organization()
    await store.insert_organization(newcomer)
    assert await store.version(newcomer.id) == 1  # never 0: caches keep nothing at 0


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


async def test_a_cached_year_is_evaluated_once_per_version_policy_and_instant(
    store: Store, world: World
) -> None:
    cache = YearCache()
    org = world.org
    now = datetime(2027, 2, 1, 12, tzinfo=UTC)

    async def evaluated(at: datetime, policy: Policy = org.policy) -> Evaluation:
        found = await cache.evaluated(store, org.id, 2027, policy=policy, now=at)
        # As evaluating the stored year at that instant gives it.
        want = evaluate_scope(await store.load_year(org.id, 2027), replace(org, policy=policy), at)
        assert (found.now, found.policy) == (at, policy)
        assert found.key_result_progress == want.key_result_progress
        assert found.objective_progress == want.objective_progress
        return found

    first = await evaluated(now)
    assert await evaluated(now) is first
    assert cache.evaluations == 1
    later = now + timedelta(seconds=1)
    assert (await evaluated(later)).plan is first.plan  # a new instant, the same plan
    stricter = replace(org.policy, on_track_ratio=0.9)
    assert await evaluated(now, stricter) is not first
    assert cache.evaluations == 3
    # A write moves the version: the same instant is evaluated again, from the new year.
    await store.append_check_in(factory.check_in(world.kr, 250.0, 4))
    fresh = await evaluated(now)
    assert fresh is not first
    assert fresh.plan is not first.plan
    assert fresh.key_result_progress[world.kr.id].value == 0.25
    assert cache.evaluations == 4
    # Only the newest few instants are kept for a year.
    for seconds in range(2, 2 + EVALUATIONS_KEPT):
        await evaluated(now + timedelta(seconds=seconds))
    await evaluated(now)
    assert cache.evaluations == 4 + EVALUATIONS_KEPT + 1


async def test_a_cached_year_lists_and_pages_as_the_store_does(store: Store, world: World) -> None:
    org = world.org.id
    teams = [factory.department(org, "Marketing"), factory.department(org, "Sales")]
    for department in teams:
        await store.insert_department(department)
    q2 = world.cycles[2]
    made = [
        factory.objective(q2, department_id=teams[n % 2].id if n % 3 else None, parent_id=None)
        for n in range(7)
    ]
    for o in reversed(made):  # stored out of order: both must sort by id
        await store.insert_objective(o)
        for _ in range(2):
            await store.insert_key_result(factory.key_result(o))
    cached = await YearCache().year(store, org, 2027)
    for team in (None, teams[0].id, teams[1].id):
        for limit in (1, 2, 3, 10):
            after: str | None = None
            while True:
                expected = await store.find_objectives(
                    org, cycle_ids=[q2.id], department_id=team, after=after, limit=limit
                )
                got = cached.page_of_objectives(q2.id, department_id=team, after=after, limit=limit)
                assert got == expected
                if not got.has_next:
                    break
                after = got.items[-1].id
    for o in [*made, world.q1, world.global_objective]:
        found = await store.find_key_results(org, objective_ids=[o.id])
        assert cached.key_results_of_objective(o.id) == found.items
    assert cached.objectives_of_cycle(world.cycles[3].id) == []
    for o in [world.global_objective, world.q1]:
        children = await store.find_objectives(org, parent_ids=[o.id])
        assert cached.children_of_objective(o.id) == children.items


async def test_a_cached_organization_costs_nothing_past_the_version_until_a_write_moves_it(
    store: Store, world: World
) -> None:
    cache = YearCache()
    org = world.org.id

    async def cached() -> CachedOrganization | None:
        return await cache.organization(store, org, await store.version(org))

    first = await cached()
    assert first is not None
    assert first.organization == world.org
    assert first.departments == await store.list_departments(org)
    assert first.cycles == await store.list_cycles(org)
    assert first.cycles_of(2027) == await store.list_cycles(org, year=2027)
    assert first.cycles_of(1999) == []
    before = store.round_trips
    assert await cached() is first
    assert store.round_trips - before == 1  # the version only
    legal = factory.department(org, "Legal")
    await store.insert_department(legal)
    fresh = await cached()
    assert fresh is not None
    assert fresh.department_by_id[legal.id] == legal
    assert legal in fresh.departments
    assert await cache.organization(store, factory.new_id(), 0) is None  # no such organization


async def test_nothing_is_kept_at_version_0(store: Store, world: World) -> None:
    """Version 0 is what a tenant's store answers for another organization: an entry kept at 0
    could be served to a reader who must not see it."""
    cache = YearCache()
    org = world.org.id
    before = store.round_trips
    assert await cache.organization(store, org, 0) is not None
    assert await cache.organization(store, org, 0) is not None
    assert store.round_trips - before == 6  # read both times: organization, departments, cycles
    await cache.year(store, org, 2027, version=0)
    await cache.year(store, org, 2027, version=0)
    assert (cache.hits, cache.misses) == (0, 2)
