"""Action steps, initiatives, and the bounded load of a year."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from service.store.interface import Store
from tests.store import factory
from tests.store.conftest import World


async def test_action_steps_order_by_objective_then_position(store: Store, world: World) -> None:
    a, b = sorted([world.q1, world.global_objective], key=lambda o: o.id)
    steps = [
        factory.action_step(b, 1),
        factory.action_step(a, 2, owner="ana", due_on=date(2027, 3, 31)),
        factory.action_step(a, 1, done=True),
    ]
    for step in steps:
        await store.insert_action_step(step)
    listed = await store.list_action_steps(world.org.id, [a.id, b.id])
    assert listed == [steps[2], steps[1], steps[0]]
    moved = replace(steps[1], position=0, title="first", due_on=None, done=True)
    await store.update_action_step(moved)
    assert await store.get_action_steps(world.org.id, [moved.id]) == [moved]
    assert await store.list_action_steps(world.org.id, []) == []


async def test_initiatives_link_as_a_set_and_find_unaligned(store: Store, world: World) -> None:
    other = factory.key_result(world.q1)
    await store.insert_key_result(other)
    loose = factory.initiative(world.org.id)
    serving = factory.initiative(world.org.id, world.kr.id, cost=0.0)
    await store.insert_initiative(loose)
    await store.insert_initiative(serving)
    for kr_id in (other.id, other.id, world.kr.id):
        await store.link_initiative(world.org.id, serving.id, kr_id)
    (linked,) = await store.get_initiatives(world.org.id, [serving.id])
    assert linked == replace(serving, key_result_ids=(world.kr.id, other.id))

    unaligned = await store.find_initiatives(world.org.id, unaligned=True)
    assert (unaligned.items, unaligned.total) == ([loose], 1)
    assert (await store.find_initiatives(world.org.id, unaligned=False)).items == [linked]
    assert (await store.find_initiatives(world.org.id, key_result_ids=[other.id])).items == [linked]
    both = await store.find_initiatives(world.org.id, limit=1)
    assert (both.total, both.has_next) == (2, True)

    await store.unlink_initiative(world.org.id, serving.id, world.kr.id)
    await store.unlink_initiative(world.org.id, serving.id, other.id)
    await store.unlink_initiative(world.org.id, serving.id, "absent")
    unaligned = await store.find_initiatives(world.org.id, unaligned=True)
    assert sorted(i.id for i in unaligned.items) == sorted([loose.id, serving.id])


async def make_year(store: Store, world: World, objectives: int) -> None:
    """`objectives` more Q2 objectives with two key results each, all depending on the world's."""
    q2 = world.quarters[1]
    for _ in range(objectives):
        made = factory.objective(q2)
        await store.insert_objective(made)
        await store.insert_key_results(
            [factory.key_result(made, depends_on=(world.kr.id,)) for _ in range(2)]
        )


async def test_load_year_has_everything_of_the_year(store: Store, world: World) -> None:
    await make_year(store, world, 2)
    scope = await store.load_year(world.org.id, 2027)
    assert set(scope.cycles) == {c.id for c in world.cycles}
    assert len(scope.objectives) == 4
    assert len(scope.key_results) == 5
    assert scope.key_results[world.kr.id] == world.kr
    assert (await store.load_year(world.org.id, 2031)).objectives == {}


async def test_load_year_round_trips_do_not_grow_with_the_data(store: Store, world: World) -> None:
    async def trips(year: int) -> int:
        before = store.round_trips
        await store.load_year(world.org.id, year)
        return store.round_trips - before

    await make_year(store, world, 2)
    small = await trips(2027)
    await make_year(store, world, 18)
    assert small == await trips(2027) == 3


async def test_load_year_fetches_upstream_key_results_of_other_years(
    store: Store, world: World
) -> None:
    next_year = factory.year_cycles(world.org.id, 2028)
    await store.insert_cycles(next_year)
    later = factory.objective(next_year[1])
    await store.insert_objective(later)
    downstream = factory.key_result(later, depends_on=(world.kr.id,))
    await store.insert_key_result(downstream)
    before = store.round_trips
    scope = await store.load_year(world.org.id, 2028)
    assert store.round_trips - before == 5
    assert scope.key_results[world.kr.id] == world.kr
    assert world.quarters[0].id in scope.cycles
    assert world.q1.id not in scope.objectives


async def test_load_year_leaves_out_key_results_of_a_missing_objective(
    store: Store, world: World
) -> None:
    orphan = factory.key_result(factory.objective(world.quarters[0]))
    await store.insert_key_result(orphan)
    await store.add_dependency(world.org.id, world.kr.id, orphan.id)
    before = store.round_trips
    scope = await store.load_year(world.org.id, 2027)
    assert store.round_trips - before == 3  # not fetched again as an upstream key result
    assert orphan.id not in scope.key_results
    assert scope.key_results[world.kr.id].depends_on == (orphan.id,)
