"""Aligning a key result with objectives besides its own: the rules, one change each, what the
rollups and events make of it, and what other writes do to links (none ever dangles)."""

from __future__ import annotations

from collections.abc import Awaitable
from functools import partial

from service.domain.errors import ErrorCode
from service.domain.model import Link, Objective
from service.okrs import check_ins, cycles, key_results, objectives
from service.okrs.alignment import Aligned, align_key_result, unalign_key_result
from service.readmodel.scopes import ScopeKind, moves
from tests.okrs.conftest import NOW, Backend, World


async def _objective(backend: Backend, world: World, title: str, cycle_id: str = "") -> Objective:
    made = await objectives.create_objective(
        writer=backend.writer,
        org_id=world.org.id,
        cycle_id=cycle_id or world.quarters[0].id,
        title=title,
        parent_id=world.global_objective.id,
        department_id=world.sales.id,
        now=NOW,
    )
    assert made.objective is not None
    return made.objective


async def test_an_aligned_key_result_counts_in_both_objectives_with_each_links_weight(
    backend: Backend, world: World
) -> None:
    sales = await _objective(backend, world, "Close more")
    done = await align_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        objective_id=sales.id,
        weight=3,
        now=NOW,
    )
    assert done.key_result.aligned == (Link(sales.id, 3.0),)
    assert done.objective.id == sales.id
    change = await backend.store.last_change(world.org.id)
    assert change is not None
    assert change.kind == "keyResultAlign"
    evaluation = done.snapshot.year(2027).evaluated(NOW)
    inputs = evaluation.objective_progress[sales.id].explanation.inputs
    assert [(i.node_id, i.weight) for i in inputs] == [(world.mql.id, 3.0)]
    # Still counted at home, with its own weight; its department's progress is unchanged.
    home = evaluation.objective_progress[world.q1.id].explanation.inputs
    assert (world.mql.id, 1.0) in [(i.node_id, i.weight) for i in home]


async def test_a_retried_align_changes_nothing_and_writes_no_second_change(
    backend: Backend, world: World
) -> None:
    sales = await _objective(backend, world, "Close more")
    for _ in range(2):
        await align_key_result(
            writer=backend.writer,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            objective_id=sales.id,
            weight=2,
            now=NOW,
        )
    first = await backend.store.last_change(world.org.id)
    assert first is not None
    assert first.kind == "keyResultAlign"
    snapshot = await backend.snapshot_of(world.org.id)
    assert snapshot.key_results[world.mql.id].aligned == (Link(sales.id, 2.0),)
    assert snapshot.position == first.sequence


async def test_the_rules_of_a_link_are_refused_with_codes_and_nothing_written(
    backend: Backend, world: World
) -> None:
    sales = await _objective(backend, world, "Close more")
    await align_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        objective_id=sales.id,
        weight=2,
        now=NOW,
    )
    year_2028, *_ = await cycles.create_year(
        writer=backend.writer, org_id=world.org.id, year=2028, now=NOW
    )
    later = await objectives.create_objective(
        writer=backend.writer, org_id=world.org.id, cycle_id=year_2028.id, title="Later", now=NOW
    )
    assert later.objective is not None
    other_year = later.objective.id

    def align(objective_id: str, weight: float = 1.0) -> Awaitable[Aligned]:
        return align_key_result(
            writer=backend.writer,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            objective_id=objective_id,
            weight=weight,
            now=NOW,
        )

    def unalign(objective_id: str) -> Awaitable[Aligned]:
        return unalign_key_result(
            writer=backend.writer,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            objective_id=objective_id,
            now=NOW,
        )

    await backend.rejects(ErrorCode.DUPLICATE, lambda: align(world.q1.id))
    await backend.rejects(ErrorCode.DUPLICATE, lambda: align(sales.id, 5))
    await backend.rejects(ErrorCode.CYCLE_MISMATCH, lambda: align(other_year))
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        await backend.rejects(
            ErrorCode.INVALID_VALUE, partial(align, world.global_objective.id, bad)
        )
    await backend.rejects(ErrorCode.NOT_FOUND, lambda: align("nothing"))
    await backend.rejects(ErrorCode.NOT_FOUND, lambda: unalign(world.global_objective.id))
    await backend.rejects(ErrorCode.INVALID_VALUE, lambda: unalign(world.q1.id))


async def test_unaligning_lets_go_of_the_link_and_moves_the_objective(
    backend: Backend, world: World
) -> None:
    sales = await _objective(backend, world, "Close more")
    aligned = await align_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        objective_id=sales.id,
        weight=2,
        now=NOW,
    )
    done = await unalign_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        objective_id=sales.id,
        now=NOW,
    )
    assert done.key_result.aligned == ()
    change = await backend.store.last_change(world.org.id)
    assert change is not None
    assert change.kind == "keyResultUnalign"
    moved = {(m.scope.kind, m.scope.id): m for m in moves(aligned.snapshot, done.snapshot, change)}
    gone = moved[(ScopeKind.OBJECTIVE, sales.id)]
    assert gone.previous is not None
    assert gone.previous.explanation.inputs
    assert gone.current is not None
    assert gone.current.value is None


async def test_a_check_in_moves_every_scope_above_every_link(
    backend: Backend, world: World
) -> None:
    sales = await _objective(backend, world, "Close more")
    await align_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        objective_id=sales.id,
        weight=2,
        now=NOW,
    )
    before = await backend.snapshot_of(world.org.id)
    await check_ins.record_check_in(
        writer=backend.writer, org_id=world.org.id, key_result_id=world.mql.id, value=500, now=NOW
    )
    after = await backend.snapshot_of(world.org.id)
    change = await backend.store.last_change(world.org.id)
    assert change is not None
    scopes = {(m.scope.kind, m.scope.id) for m in moves(before, after, change)}
    for objective_id in (world.q1.id, sales.id, world.global_objective.id):
        assert (ScopeKind.OBJECTIVE, objective_id) in scopes
    for cycle in (world.quarters[0], world.year):
        assert (ScopeKind.CYCLE, cycle.id) in scopes
    assert (ScopeKind.DEPARTMENT, world.marketing.id) in scopes
    # The key result's own department only: serving a Sales objective does not make it Sales'.
    assert (ScopeKind.DEPARTMENT, world.sales.id) not in scopes


async def test_deleting_an_objective_lets_go_of_the_links_to_it_in_the_same_change(
    backend: Backend, world: World
) -> None:
    sales = await _objective(backend, world, "Close more")
    await key_results.remove_dependency(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.deals.id,
        depends_on_id=world.mql.id,
        now=NOW,
    )
    await align_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        objective_id=sales.id,
        weight=2,
        now=NOW,
    )
    await objectives.delete_objective(
        writer=backend.writer, org_id=world.org.id, objective_id=sales.id, now=NOW
    )
    stored = await backend.store.load_organization(world.org.id)
    assert stored is not None
    assert next(k for k in stored.key_results if k.id == world.mql.id).aligned == ()


async def test_deleting_an_objective_whose_key_results_are_aligned_elsewhere_and_depended_on(
    backend: Backend, world: World
) -> None:
    # `deals` depends on `mql` and serves the deleted objective too: one write for both.
    sales = await _objective(backend, world, "Close more")
    await align_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.deals.id,
        objective_id=sales.id,
        weight=2,
        now=NOW,
    )
    other = await _objective(backend, world, "Elsewhere")
    await key_results.create_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        objective_id=other.id,
        title="Keep",
        start_value=0,
        target_value=1,
        now=NOW,
    )
    moved = await key_results.create_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        objective_id=sales.id,
        title="Upstream",
        start_value=0,
        target_value=1,
        now=NOW,
    )
    assert moved.key_result is not None
    await key_results.add_dependency(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.deals.id,
        depends_on_id=moved.key_result.id,
        now=NOW,
    )
    await objectives.delete_objective(
        writer=backend.writer, org_id=world.org.id, objective_id=sales.id, now=NOW
    )
    stored = await backend.snapshot_of(world.org.id)
    deals = stored.key_results[world.deals.id]
    assert deals.aligned == ()
    assert deals.depends_on == (world.mql.id,)


async def test_a_closed_cycle_keeps_its_links_and_refuses_new_ones(
    backend: Backend, world: World
) -> None:
    sales = await _objective(backend, world, "Close more")
    await align_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        objective_id=sales.id,
        weight=2,
        now=NOW,
    )
    await cycles.close_cycle(
        writer=backend.writer, org_id=world.org.id, cycle_id=world.quarters[0].id, now=NOW
    )
    snapshot = await backend.snapshot_of(world.org.id)
    assert snapshot.key_results[world.mql.id].aligned == (Link(sales.id, 2.0),)
    await backend.rejects(
        ErrorCode.CYCLE_CLOSED,
        lambda: unalign_key_result(
            writer=backend.writer,
            org_id=world.org.id,
            key_result_id=world.mql.id,
            objective_id=sales.id,
            now=NOW,
        ),
    )


async def test_a_carried_over_key_result_serves_its_new_home_only(
    backend: Backend, world: World
) -> None:
    sales = await _objective(backend, world, "Close more")
    await align_key_result(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        objective_id=sales.id,
        weight=2,
        now=NOW,
    )
    carried = await key_results.carry_over(
        writer=backend.writer,
        org_id=world.org.id,
        key_result_id=world.mql.id,
        cycle_id=world.quarters[1].id,
        now=NOW,
    )
    assert carried.key_result is not None
    assert carried.key_result.aligned == ()
    assert carried.snapshot.key_results[world.mql.id].aligned == (Link(sales.id, 2.0),)
