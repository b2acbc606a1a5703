"""Events of key results that serve several objectives (issue 19, item 3): a check-in reaches
every scope above every link, on this instance and on another one; aligning and unaligning are
events of the objectives they move."""

from __future__ import annotations

from service.domain.model import Objective
from service.okrs import objectives
from service.okrs.alignment import align_key_result, unalign_key_result
from tests.events.factory import receive
from tests.events.test_stream import Instance, check_in, instances, store, wire, world
from tests.okrs.conftest import NOW, World

__all__ = ["instances", "store", "wire", "world"]  # fixtures of this module too


async def sales_objective(instance: Instance, world: World) -> Objective:
    """A Sales objective of Q1 under the global objective, which `mql` is aligned with."""
    made = await objectives.create_objective(
        writer=instance.writer,
        org_id=world.org.id,
        cycle_id=world.quarters[0].id,
        title="Close more deals",
        parent_id=world.global_objective.id,
        department_id=world.sales.id,
        now=NOW,
    )
    assert made.objective is not None
    await align_key_result(
        writer=instance.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        objective_id=made.objective.id,
        weight=2,
        now=NOW,
    )
    return made.objective


async def test_a_check_in_reaches_every_scope_above_every_link_on_both_instances(
    instances: tuple[Instance, Instance], world: World
) -> None:
    a, b = instances
    sales = await sales_objective(a, world)
    async with a.stream.subscribe(world.org.id) as on_a, b.stream.subscribe(world.org.id) as on_b:
        sequence = await check_in(a, world, 500)
        for events in (on_a, on_b):
            got = await receive(events)
            assert got.sequence == sequence
            scopes = {(c.kind, c.id) for c in got.changes}
            assert {
                ("KeyResult", world.mql.id),
                ("Objective", world.q1.id),
                ("Objective", sales.id),
                ("Objective", world.global_objective.id),
                ("Cycle", world.quarters[0].id),
                ("Cycle", world.year.id),
                ("Department", world.marketing.id),
                ("Organization", world.org.id),
            } <= scopes
            # The key result's own department only (in its cycle and the year), each scope once.
            assert ("Department", world.sales.id) not in scopes
            assert len({(c.kind, c.id, c.cycle_id) for c in got.changes}) == len(got.changes)
            (served,) = got.changes_of(sales.id)
            current = served.current_progress()
            assert current is not None
            assert current.value == 0.5  # 500 of 1,000 MQLs, the objective's only link


async def test_aligning_and_unaligning_move_the_objective_served(
    instances: tuple[Instance, Instance], world: World
) -> None:
    a, b = instances
    async with b.stream.subscribe(world.org.id) as events:
        sales = await sales_objective(a, world)
        await receive(events)  # the objective made, measuring nothing yet
        aligned = await receive(events)
        (moved,) = aligned.changes_of(sales.id)
        before, after = moved.previous_progress(), moved.current_progress()
        assert before is not None
        assert after is not None
        assert (before.value, after.value) == (None, 0.0)
        await unalign_key_result(
            writer=a.writer,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            objective_id=sales.id,
            now=NOW,
        )
        unaligned = await receive(events)
        (moved,) = unaligned.changes_of(sales.id)
        after = moved.current_progress()
        assert after is not None
        assert after.value is None
