"""Objectives, key results and action plans: what changes, and what follows from it."""

from __future__ import annotations

from datetime import date

from service.domain.errors import ErrorCode
from service.okrs import initiatives, key_results, objectives
from service.okrs.common import ScopeKind
from tests.okrs.conftest import NOW, Backend, World


async def test_a_new_key_result_reports_the_rollups_it_moves(
    backend: Backend, world: World
) -> None:
    made = await key_results.create_key_result(
        store=backend.store,
        org_id=world.org.id,
        objective_id=world.q1.id,
        title="Webinars",
        start_value=0,
        target_value=6,
        now=NOW,
    )
    assert made.key_result is not None
    kinds = {c.scope.kind for c in made.changes}
    assert ScopeKind.KEY_RESULT in kinds
    assert (ScopeKind.OBJECTIVE, world.q1.id) in {(c.scope.kind, c.scope.id) for c in made.changes}
    new = next(c for c in made.changes if c.scope.id == made.key_result.id)
    assert new.previous is None


async def test_deleting_an_objective_takes_its_key_results_and_plan_along(
    backend: Backend, world: World
) -> None:
    await objectives.add_action_step(
        store=backend.store, org_id=world.org.id, objective_id=world.q1.id, title="Plan"
    )
    await objectives.delete_objective(
        store=backend.store, org_id=world.org.id, objective_id=world.q1.id, now=NOW
    )
    assert await backend.store.get_objectives(world.org.id, [world.q1.id]) == []
    assert await backend.store.get_key_results(world.org.id, [world.mql.id, world.deals.id]) == []
    assert await backend.store.list_action_steps(world.org.id, [world.q1.id]) == []


async def test_deleting_a_key_result_releases_its_dependents_and_initiatives(
    backend: Backend, world: World
) -> None:
    made = await initiatives.create_initiative(
        store=backend.store,
        org_id=world.org.id,
        title="Webinars",
        cost=10,
        expected_value=30,
        key_result_ids=[world.mql.id],
    )
    await key_results.delete_key_result(
        store=backend.store, org_id=world.org.id, key_result_id=world.mql.id, now=NOW
    )
    deals = await backend.store.get_key_results(world.org.id, [world.deals.id])
    assert deals[0].depends_on == ()
    kept = await backend.store.get_initiatives(world.org.id, [made.id])
    assert kept[0].key_result_ids == ()
    assert not kept[0].aligned


async def test_action_steps_keep_their_order_when_one_moves(backend: Backend, world: World) -> None:
    steps = [
        await objectives.add_action_step(
            store=backend.store,
            org_id=world.org.id,
            objective_id=world.q1.id,
            title=f"Step {n}",
            due_on=date(2027, 2, n + 1),
        )
        for n in range(3)
    ]
    assert [s.position for s in steps] == [0, 1, 2]
    moved = await objectives.update_action_step(
        store=backend.store, org_id=world.org.id, step_id=steps[2].id, position=0, done=True
    )
    assert moved.done
    plan = await backend.store.list_action_steps(world.org.id, [world.q1.id])
    assert [s.title for s in sorted(plan, key=lambda s: s.position)] == [
        "Step 2",
        "Step 0",
        "Step 1",
    ]


async def test_an_unknown_action_step_is_not_found(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.NOT_FOUND,
        lambda: objectives.update_action_step(
            store=backend.store, org_id=world.org.id, step_id="nope", done=True
        ),
    )


async def test_initiatives_link_and_unlink_and_know_their_roi(
    backend: Backend, world: World
) -> None:
    made = await initiatives.create_initiative(
        store=backend.store, org_id=world.org.id, title="Trade show", cost=100, expected_value=130
    )
    assert not made.aligned
    assert made.roi == 0.3
    linked = await initiatives.link_initiative(
        store=backend.store,
        org_id=world.org.id,
        initiative_id=made.id,
        key_result_id=world.deals.id,
    )
    assert linked.key_result_ids == (world.deals.id,)
    unlinked = await initiatives.unlink_initiative(
        store=backend.store,
        org_id=world.org.id,
        initiative_id=made.id,
        key_result_id=world.deals.id,
    )
    assert unlinked.key_result_ids == ()
    await backend.rejects(
        ErrorCode.NOT_FOUND,
        lambda: initiatives.create_initiative(
            store=backend.store,
            org_id=world.org.id,
            title="Ghost",
            cost=1,
            expected_value=2,
            key_result_ids=["missing"],
        ),
    )


async def test_removing_a_dependency_lets_the_key_result_go(backend: Backend, world: World) -> None:
    freed = await key_results.remove_dependency(
        store=backend.store,
        org_id=world.org.id,
        key_result_id=world.deals.id,
        depends_on_id=world.mql.id,
        now=NOW,
    )
    assert freed.key_result is not None
    assert freed.key_result.depends_on == ()
    stored = await backend.store.get_key_results(world.org.id, [world.deals.id])
    assert stored[0].depends_on == ()
