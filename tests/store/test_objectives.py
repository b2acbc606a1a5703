"""Objectives, key results, dependencies, scores and the cascades of deletion."""

from __future__ import annotations

from dataclasses import replace

import pytest

from service.domain.model import KeyResultKind
from service.store.interface import Store
from tests.store import factory
from tests.store.conftest import World


async def test_objectives_round_trip_and_update(store: Store, world: World) -> None:
    assert await store.get_objectives(world.org.id, [world.q1.id, world.global_objective.id]) in (
        [world.q1, world.global_objective],
        [world.global_objective, world.q1],
    )
    changed = replace(
        world.q1,
        title="Fill the funnel faster",
        description="d",
        owner="ana",
        weight=2.5,
        lessons_learned="l",
        score=0.7,
        carried_over_from="x",
        department_id="dep",
    )
    await store.update_objective(changed)
    assert await store.get_objectives(world.org.id, [world.q1.id]) == [changed]


async def test_find_objectives_filters_and_pages(store: Store, world: World) -> None:
    q2 = world.quarters[1]
    team = [factory.objective(q2, department_id="sales", parent_id=world.global_objective.id)]
    team += [factory.objective(q2, department_id="sales") for _ in range(3)]
    team.append(factory.objective(q2, department_id="marketing"))
    for made in team:
        await store.insert_objective(made)
    in_q2 = sorted(team, key=lambda o: o.id)
    found = await store.find_objectives(world.org.id, cycle_ids=[q2.id])
    assert (found.items, found.total, found.has_next) == (in_q2, 5, False)
    page = await store.find_objectives(world.org.id, cycle_ids=[q2.id], limit=2)
    assert (page.items, page.total, page.has_next) == (in_q2[:2], 5, True)
    rest = await store.find_objectives(world.org.id, cycle_ids=[q2.id], after=in_q2[1].id)
    assert (rest.items, rest.total, rest.has_next) == (in_q2[2:], 5, False)
    sales = await store.find_objectives(world.org.id, cycle_ids=[q2.id], department_id="sales")
    assert sales.total == 4
    children = await store.find_objectives(
        world.org.id, parent_ids=[world.global_objective.id], department_id="sales"
    )
    assert children.items == [team[0]]
    everything = await store.find_objectives(world.org.id)
    assert everything.total == 7
    assert await store.count_team_objectives(world.org.id, q2.id, "sales") == 4
    assert await store.count_team_objectives(world.org.id, q2.id, "nobody") == 0


async def test_the_global_objective_is_the_years_parentless_one(store: Store, world: World) -> None:
    assert await store.find_global_objective(world.org.id, 2027) == world.global_objective
    assert await store.find_global_objective(world.org.id, 2028) is None
    assert await store.find_global_objective(factory.new_id(), 2027) is None


async def test_key_results_round_trip_and_filter(store: Store, world: World) -> None:
    more = [
        factory.key_result(
            world.q1,
            department_id="sales",
            start_value=40.0,
            target_value=50.0,
            current_value=40.0,
            kind=KeyResultKind.INCREASE,
            unit="deals",
        ),
        factory.key_result(world.q1, depends_on=(world.kr.id,), weight=2.0),
    ]
    await store.insert_key_results(more)
    assert await store.get_key_results(world.org.id, [more[0].id]) == [more[0]]
    ordered = sorted([world.kr, *more], key=lambda k: k.id)
    assert (
        await store.find_key_results(world.org.id, objective_ids=[world.q1.id])
    ).items == ordered
    assert (await store.find_key_results(world.org.id, department_id="sales")).items == [more[0]]
    assert (await store.find_key_results(world.org.id, depends_on=[world.kr.id])).items == [more[1]]
    by_cycle = await store.find_key_results(world.org.id, cycle_ids=[world.q1.cycle_id], limit=1)
    assert (by_cycle.items, by_cycle.total, by_cycle.has_next) == (ordered[:1], 3, True)
    assert (await store.find_key_results(world.org.id, objective_ids=[])).items == []


async def test_updating_a_key_result_leaves_value_and_dependencies(
    store: Store, world: World
) -> None:
    upstream = factory.key_result(world.q1)
    await store.insert_key_result(upstream)
    await store.add_dependency(world.org.id, world.kr.id, upstream.id)
    await store.append_check_in(factory.check_in(world.kr, 300.0, 5))
    (before,) = await store.get_key_results(world.org.id, [world.kr.id])
    edited = replace(
        before,
        title="t",
        kind=KeyResultKind.AT_LEAST,
        unit="u",
        start_value=10.0,
        target_value=20.0,
        owner="o",
        department_id="d",
        weight=3.0,
        score=0.4,
        current_value=-1.0,
        depends_on=(),
    )
    await store.update_key_result(edited)
    (after,) = await store.get_key_results(world.org.id, [world.kr.id])
    assert after == replace(edited, current_value=300.0, depends_on=(upstream.id,))


async def test_without_check_ins_the_current_value_follows_the_start(
    store: Store, world: World
) -> None:
    await store.update_key_result(replace(world.kr, start_value=100.0, current_value=100.0))
    (after,) = await store.get_key_results(world.org.id, [world.kr.id])
    assert (after.start_value, after.current_value, after.last_check_in_at) == (100.0, 100.0, None)


async def test_dependencies_are_a_set(store: Store, world: World) -> None:
    ups = [factory.key_result(world.q1) for _ in range(2)]
    await store.insert_key_results(ups)
    for upstream in (ups[0], ups[0], ups[1]):
        await store.add_dependency(world.org.id, world.kr.id, upstream.id)
    await store.add_dependency(factory.new_id(), world.kr.id, "foreign")  # another org: no-op
    (kr,) = await store.get_key_results(world.org.id, [world.kr.id])
    assert kr.depends_on == (ups[0].id, ups[1].id)
    await store.remove_dependency(world.org.id, world.kr.id, ups[0].id)
    await store.remove_dependency(world.org.id, world.kr.id, "absent")
    (kr,) = await store.get_key_results(world.org.id, [world.kr.id])
    assert kr.depends_on == (ups[1].id,)


async def test_scores_freeze_in_one_write_per_call(store: Store, world: World) -> None:
    extra = factory.key_result(world.q1)
    await store.insert_key_result(extra)
    before = store.round_trips
    await store.set_scores(world.org.id, {world.kr.id: 0.25, extra.id: 1.0}, "key_results")
    await store.set_scores(world.org.id, {world.q1.id: 0.6}, "objectives")
    # One bulk write per call, whatever the number of scores, and one version bump each.
    assert store.round_trips - before == 2 * 2
    await store.set_scores(factory.new_id(), {world.q1.id: 0.1}, "objectives")  # no-op
    scores = {
        k.id: k.score for k in await store.get_key_results(world.org.id, [world.kr.id, extra.id])
    }
    assert scores == {world.kr.id: 0.25, extra.id: 1.0}
    assert (await store.get_objectives(world.org.id, [world.q1.id]))[0].score == 0.6
    with pytest.raises(ValueError, match="kind"):
        await store.set_scores(world.org.id, {world.q1.id: 0.6}, "cycles")


async def test_deleting_an_objective_takes_its_tree_of_records(store: Store, world: World) -> None:
    other = factory.objective(world.quarters[0])
    await store.insert_objective(other)
    downstream = factory.key_result(other, depends_on=(world.kr.id,))
    sibling = factory.key_result(world.q1)
    await store.insert_key_results([downstream, sibling])
    await store.append_check_in(factory.check_in(world.kr, 10.0, 1))
    await store.append_check_in(factory.check_in(sibling, 10.0, 1))
    kept_step, gone_step = factory.action_step(other, 1), factory.action_step(world.q1, 1)
    await store.insert_action_step(kept_step)
    await store.insert_action_step(gone_step)
    shared = factory.initiative(world.org.id, world.kr.id, downstream.id)
    await store.insert_initiative(shared)

    await store.delete_objective(world.org.id, world.q1.id)

    assert await store.get_objectives(world.org.id, [world.q1.id]) == []
    assert await store.get_key_results(world.org.id, [world.kr.id, sibling.id]) == []
    assert await store.list_check_ins(world.org.id, [world.kr.id, sibling.id]) == []
    assert await store.get_action_steps(world.org.id, [gone_step.id, kept_step.id]) == [kept_step]
    (still,) = await store.get_key_results(world.org.id, [downstream.id])
    assert still.depends_on == ()
    (linked,) = await store.get_initiatives(world.org.id, [shared.id])
    assert linked.key_result_ids == (downstream.id,)


async def test_deleting_a_key_result_lets_go_of_it_everywhere(store: Store, world: World) -> None:
    downstream = factory.key_result(world.q1, depends_on=(world.kr.id,))
    await store.insert_key_result(downstream)
    made = factory.check_in(world.kr, 1.0, 1)
    await store.append_check_in(made)
    serving = factory.initiative(world.org.id, world.kr.id)
    await store.insert_initiative(serving)
    await store.delete_key_result(factory.new_id(), world.kr.id)  # another org: nothing
    assert await store.get_check_ins(world.org.id, [made.id]) != []

    await store.delete_key_result(world.org.id, world.kr.id)

    assert await store.get_key_results(world.org.id, [world.kr.id]) == []
    assert await store.get_check_ins(world.org.id, [made.id]) == []
    assert (await store.get_key_results(world.org.id, [downstream.id]))[0].depends_on == ()
    assert (await store.get_initiatives(world.org.id, [serving.id]))[0].key_result_ids == ()
