"""Objectives, key results and action plans: what changes, and what follows from it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from service.domain.errors import ErrorCode
from service.okrs import check_ins, initiatives, key_results, objectives
from service.okrs.commit import Draft
from service.okrs.common import put
from service.readmodel import Snapshot
from service.readmodel.scopes import ScopeKind, moves
from tests.okrs.conftest import NOW, Backend, World


async def test_a_new_key_result_reports_the_rollups_it_moves(
    backend: Backend, world: World
) -> None:
    before = await backend.snapshot_of(world.org.id)
    made = await key_results.create_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        objective_id=world.q1.id,
        title="Webinars",
        start_value=0,
        target_value=6,
        now=NOW,
    )
    assert made.key_result is not None
    change = await backend.store.last_change(world.org.id)
    assert change is not None
    moved = moves(before, made.snapshot, change)
    kinds = {c.scope.kind for c in moved}
    assert ScopeKind.KEY_RESULT in kinds
    assert (ScopeKind.OBJECTIVE, world.q1.id) in {(c.scope.kind, c.scope.id) for c in moved}
    new = next(c for c in moved if c.scope.id == made.key_result.id)
    assert new.previous is None


async def test_deleting_an_objective_takes_its_key_results_and_plan_along(
    backend: Backend, world: World
) -> None:
    await objectives.add_action_step(
        writer=backend.writer, org_id=world.org.id, objective_id=world.q1.id, title="Plan", now=NOW
    )
    await check_ins.record_check_in(
        writer=backend.writer, org_id=world.org.id, key_result_id=world.mql.id, value=5, now=NOW
    )
    await objectives.delete_objective(
        writer=backend.writer, org_id=world.org.id, objective_id=world.q1.id, now=NOW
    )
    stored = await backend.store.load_organization(world.org.id)
    assert stored is not None
    assert world.q1.id not in {o.id for o in stored.objectives}
    assert not {k.id for k in stored.key_results} & {world.mql.id, world.deals.id}
    assert stored.action_steps == []
    assert await backend.store.list_check_ins(world.org.id, [world.mql.id]) == []


async def test_deleting_a_key_result_releases_its_dependents_and_initiatives(
    backend: Backend, world: World
) -> None:
    made = await initiatives.create_initiative(
        writer=backend.writer,
        org_id=world.org.id,
        title="Webinars",
        cost=10,
        expected_value=30,
        key_result_ids=[world.mql.id],
        now=NOW,
    )
    await key_results.delete_key_result(
        writer=backend.writer, org_id=world.org.id, key_result_id=world.mql.id, now=NOW
    )
    stored = await backend.store.load_organization(world.org.id)
    assert stored is not None
    (deals,) = [k for k in stored.key_results if k.id == world.deals.id]
    assert deals.depends_on == ()
    (kept,) = stored.initiatives
    assert kept.id == made.id
    assert kept.key_result_ids == ()
    assert not kept.aligned


async def test_action_steps_keep_their_order_when_one_moves(backend: Backend, world: World) -> None:
    steps = [
        await objectives.add_action_step(
            writer=backend.writer,
            org_id=world.org.id,
            objective_id=world.q1.id,
            title=f"Step {n}",
            due_on=date(2027, 2, n + 1),
            now=NOW,
        )
        for n in range(3)
    ]
    assert [s.position for s in steps] == [0, 1, 2]
    moved = await objectives.update_action_step(
        writer=backend.writer,
        org_id=world.org.id,
        step_id=steps[2].id,
        position=0,
        done=True,
        now=NOW,
    )
    assert moved.done
    plan = (await backend.snapshot_of(world.org.id)).action_plan(world.q1.id)
    assert [s.title for s in plan] == [
        "Step 2",
        "Step 0",
        "Step 1",
    ]


async def test_an_unknown_action_step_is_not_found(backend: Backend, world: World) -> None:
    await backend.rejects(
        ErrorCode.NOT_FOUND,
        lambda: objectives.update_action_step(
            writer=backend.writer, org_id=world.org.id, step_id="nope", done=True, now=NOW
        ),
    )


async def test_initiatives_link_and_unlink_and_know_their_roi(
    backend: Backend, world: World
) -> None:
    made = await initiatives.create_initiative(
        writer=backend.writer,
        org_id=world.org.id,
        title="Trade show",
        cost=100,
        expected_value=130,
        now=NOW,
    )
    assert not made.aligned
    assert made.roi == 0.3
    linked = await initiatives.link_initiative(
        writer=backend.writer,
        org_id=world.org.id,
        initiative_id=made.id,
        key_result_id=world.deals.id,
        now=NOW,
    )
    assert linked.key_result_ids == (world.deals.id,)
    unlinked = await initiatives.unlink_initiative(
        writer=backend.writer,
        org_id=world.org.id,
        initiative_id=made.id,
        key_result_id=world.deals.id,
        now=NOW,
    )
    assert unlinked.key_result_ids == ()
    await backend.rejects(
        ErrorCode.NOT_FOUND,
        lambda: initiatives.create_initiative(
            writer=backend.writer,
            org_id=world.org.id,
            title="Ghost",
            cost=1,
            expected_value=2,
            key_result_ids=["missing"],
            now=NOW,
        ),
    )


async def test_removing_a_dependency_lets_the_key_result_go(backend: Backend, world: World) -> None:
    freed = await key_results.remove_dependency(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.deals.id,
        depends_on_id=world.mql.id,
        now=NOW,
    )
    assert freed.key_result is not None
    assert freed.key_result.depends_on == ()
    held = await backend.snapshot_of(world.org.id)
    assert held.key_results[world.deals.id].depends_on == ()


@pytest.mark.parametrize("upstream", ["mql", "deals", "missing"])
async def test_removing_a_dependency_that_does_not_exist_is_not_found(
    backend: Backend, world: World, upstream: str
) -> None:
    # The MQLs wait on nothing: neither on the deals, nor on themselves, nor on an unknown id.
    depends_on_id = getattr(world, upstream).id if upstream != "missing" else "missing"
    refused = await backend.rejects(
        ErrorCode.NOT_FOUND,
        lambda: key_results.remove_dependency(
            writer=backend.writer,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            depends_on_id=depends_on_id,
            now=NOW,
        ),
    )
    assert refused.field == ("dependsOnId",)


async def test_a_dependency_on_a_key_result_gone_from_the_store_can_still_be_removed(
    backend: Backend, world: World
) -> None:
    # Data written before deletions let go of dependencies may still name a deleted key result.
    held = await backend.snapshot_of(world.org.id)
    dangling = replace(held.key_results[world.deals.id], depends_on=(world.mql.id, "gone"))

    async def build(snapshot: Snapshot) -> Draft[None]:
        return Draft("test", [put(snapshot, dangling)], None)

    await backend.writer.commit(world.org.id, build, actor=None, at=NOW)
    freed = await key_results.remove_dependency(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.deals.id,
        depends_on_id="gone",
        now=NOW,
    )
    assert freed.key_result is not None
    assert freed.key_result.depends_on == (world.mql.id,)
