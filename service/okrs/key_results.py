"""Key results: create, change, delete, dependencies between departments (§4), carry-over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from service.domain import rules
from service.domain.errors import ErrorCode, RuleViolation
from service.domain.model import Cycle, CycleKind, KeyResult, KeyResultKind, Objective
from service.domain.progress import progress
from service.domain.rollup import Evaluation
from service.okrs.common import (
    KEEP,
    Keep,
    ProgressChange,
    Scope,
    cycle,
    department,
    key_result,
    new_id,
    objective,
    open_cycle,
    organization,
    scopes_of_key_result,
    scopes_of_objective,
    tracked,
)
from service.okrs.objectives import create_objective
from service.store.interface import Store


@dataclass(frozen=True, slots=True)
class KeyResultChanged:
    """A key result as it is now (None once deleted) and the rollups that moved."""

    key_result: KeyResult | None
    changes: tuple[ProgressChange, ...] = ()


def _scopes(key_result_id: str, objective_id: str) -> Callable[[Evaluation], list[Scope]]:
    def scopes(evaluation: Evaluation) -> list[Scope]:
        found = scopes_of_objective(evaluation, objective_id)
        known = evaluation.key_results.get(key_result_id)
        if known is not None:
            found = scopes_of_key_result(evaluation, known) + found
        return found

    return scopes


def _bounds(
    kind: KeyResultKind | None, start: float | None, target: float | None
) -> tuple[KeyResultKind, float, float]:
    if kind is KeyResultKind.MILESTONE:
        start = 0.0 if start is None else start
        target = 1.0 if target is None else target
    if start is None or target is None:
        missing = "startValue" if start is None else "targetValue"
        raise RuleViolation(
            f"{missing} is needed: a key result is measured from a start to a target",
            field=(missing,),
            code=ErrorCode.NOT_MEASURABLE,
        )
    start = rules.finite(start, field="startValue")
    target = rules.finite(target, field="targetValue")
    chosen = kind if kind is not None else rules.infer_kind(start, target)
    rules.measurable(chosen, start, target)
    return chosen, start, target


async def create_key_result(
    *,
    store: Store,
    org_id: str,
    objective_id: str,
    title: str,
    now: datetime,
    kind: KeyResultKind | None = None,
    start_value: float | None = None,
    target_value: float | None = None,
    unit: str | None = None,
    department_id: str | None = None,
    owner: str | None = None,
    weight: float = 1.0,
    carried_over_from: str | None = None,
) -> KeyResultChanged:
    """A new key result of an objective, measurable (DOMAIN.md §2); without a kind, the
    direction from start to target picks INCREASE or DECREASE."""
    cleaned = rules.text(title, field="title")
    chosen, start, target = _bounds(kind, start_value, target_value)
    cleaned_unit = rules.optional_text(unit, field="unit", limit=50)
    cleaned_owner = rules.optional_text(owner, field="owner", limit=rules.MAX_TITLE)
    checked_weight = rules.weight(weight)
    org = await organization(store, org_id, field="objectiveId")
    parent = await objective(store, org_id, objective_id)
    open_cycle(await cycle(store, org_id, parent.cycle_id), field="objectiveId")
    if department_id is not None:
        await department(store, org_id, department_id, field="departmentId")
    created = KeyResult(
        id=new_id(),
        org_id=org_id,
        objective_id=parent.id,
        cycle_id=parent.cycle_id,
        year=parent.year,
        title=cleaned,
        kind=chosen,
        start_value=start,
        target_value=target,
        current_value=start,
        unit=cleaned_unit,
        department_id=department_id,
        owner=cleaned_owner,
        weight=checked_weight,
        carried_over_from=carried_over_from,
    )
    _, moved, _ = await tracked(
        store=store,
        org=org,
        year=parent.year,
        now=now,
        write=lambda: store.insert_key_result(created),
        scopes=_scopes(created.id, parent.id),
    )
    return KeyResultChanged(key_result=created, changes=moved)


async def update_key_result(
    *,
    store: Store,
    org_id: str,
    key_result_id: str,
    now: datetime,
    title: str | None = None,
    kind: KeyResultKind | None = None,
    start_value: float | None = None,
    target_value: float | None = None,
    unit: str | None = None,
    department_id: str | Keep | None = KEEP,
    owner: str | None = None,
    weight: float | None = None,
) -> KeyResultChanged:
    """Change a key result of an open cycle; start, target and kind are checked together."""
    current = await key_result(store, org_id, key_result_id, field="id")
    open_cycle(await cycle(store, org_id, current.cycle_id), field="id")
    org = await organization(store, org_id)
    updated = current
    if title is not None:
        updated = replace(updated, title=rules.text(title, field="title"))
    if kind is not None or start_value is not None or target_value is not None:
        chosen, start, target = _bounds(
            kind or current.kind,
            current.start_value if start_value is None else start_value,
            current.target_value if target_value is None else target_value,
        )
        moved_start = current.last_check_in_at is None and start != current.start_value
        updated = replace(
            updated,
            kind=chosen,
            start_value=start,
            target_value=target,
            current_value=start if moved_start else updated.current_value,
        )
    if unit is not None:
        updated = replace(updated, unit=rules.optional_text(unit, field="unit", limit=50))
    if owner is not None:
        updated = replace(
            updated, owner=rules.optional_text(owner, field="owner", limit=rules.MAX_TITLE)
        )
    if weight is not None:
        updated = replace(updated, weight=rules.weight(weight))
    if department_id is not KEEP and department_id != current.department_id:
        if department_id is not None:
            await department(store, org_id, department_id, field="departmentId")
        updated = replace(updated, department_id=department_id)
    if updated == current:
        return KeyResultChanged(key_result=current)
    _, moved, _ = await tracked(
        store=store,
        org=org,
        year=current.year,
        now=now,
        write=lambda: store.update_key_result(updated),
        scopes=_scopes(current.id, current.objective_id),
    )
    return KeyResultChanged(key_result=updated, changes=moved)


async def delete_key_result(
    *, store: Store, org_id: str, key_result_id: str, now: datetime
) -> KeyResultChanged:
    """Delete a key result with its check-ins; dependents and initiatives let go of it."""
    current = await key_result(store, org_id, key_result_id, field="id")
    open_cycle(await cycle(store, org_id, current.cycle_id), field="id")
    org = await organization(store, org_id)
    _, moved, _ = await tracked(
        store=store,
        org=org,
        year=current.year,
        now=now,
        write=lambda: store.delete_key_result(org_id, current.id),
        scopes=_scopes(current.id, current.objective_id),
    )
    return KeyResultChanged(key_result=None, changes=moved)


async def _upstream_graph(
    store: Store, org_id: str, start: KeyResult
) -> dict[str, tuple[str, ...]]:
    """The dependency graph upstream of `start`, one round trip per level."""
    graph: dict[str, tuple[str, ...]] = {start.id: start.depends_on}
    frontier = list(start.depends_on)
    while frontier:
        found = await store.get_key_results(org_id, sorted(set(frontier) - graph.keys()))
        for k in found:
            graph[k.id] = k.depends_on
        frontier = [u for k in found for u in k.depends_on if u not in graph]
    return graph


async def add_dependency(
    *, store: Store, org_id: str, key_result_id: str, depends_on_id: str, now: datetime
) -> KeyResultChanged:
    """`key_result_id` now depends on `depends_on_id` (its upstream); loops are refused."""
    downstream = await key_result(store, org_id, key_result_id)
    upstream = await key_result(store, org_id, depends_on_id, field="dependsOnId")
    if downstream.id == upstream.id:
        raise RuleViolation(
            "a key result cannot depend on itself",
            field=("dependsOnId",),
            code=ErrorCode.DEPENDENCY_CYCLE,
        )
    if upstream.id in downstream.depends_on:
        return KeyResultChanged(key_result=downstream)
    graph = await _upstream_graph(store, org_id, upstream)
    rules.acyclic_dependency(graph, downstream.id, upstream.id)
    org = await organization(store, org_id)
    _, moved, _ = await tracked(
        store=store,
        org=org,
        year=downstream.year,
        now=now,
        write=lambda: store.add_dependency(org_id, downstream.id, upstream.id),
        scopes=_scopes(downstream.id, downstream.objective_id),
    )
    updated = replace(downstream, depends_on=(*downstream.depends_on, upstream.id))
    return KeyResultChanged(key_result=updated, changes=moved)


async def remove_dependency(
    *, store: Store, org_id: str, key_result_id: str, depends_on_id: str, now: datetime
) -> KeyResultChanged:
    """`key_result_id` no longer depends on `depends_on_id`."""
    downstream = await key_result(store, org_id, key_result_id)
    await key_result(store, org_id, depends_on_id, field="dependsOnId")
    if depends_on_id not in downstream.depends_on:
        return KeyResultChanged(key_result=downstream)
    org = await organization(store, org_id)
    _, moved, _ = await tracked(
        store=store,
        org=org,
        year=downstream.year,
        now=now,
        write=lambda: store.remove_dependency(org_id, downstream.id, depends_on_id),
        scopes=_scopes(downstream.id, downstream.objective_id),
    )
    updated = replace(
        downstream, depends_on=tuple(u for u in downstream.depends_on if u != depends_on_id)
    )
    return KeyResultChanged(key_result=updated, changes=moved)


async def carry_over(
    *, store: Store, org_id: str, key_result_id: str, cycle_id: str, now: datetime
) -> KeyResultChanged:
    """Carry an unfinished key result into a later cycle of the same kind as a new key result
    that starts where this one stands (DOMAIN.md §3.4), under the carried-over copy of its
    objective (made on first use)."""
    source = await key_result(store, org_id, key_result_id, field="id")
    source_cycle = await cycle(store, org_id, source.cycle_id, field="id")
    target = await cycle(store, org_id, cycle_id)
    if target.kind is not source_cycle.kind or target.starts_at < source_cycle.ends_at:
        raise RuleViolation(
            f"carry over into a later {source_cycle.kind.value} than {source_cycle.label}",
            field=("cycleId",),
            code=ErrorCode.CYCLE_MISMATCH,
        )
    open_cycle(target)
    if progress(source.kind, source.start_value, source.target_value, source.current_value) >= 1:
        raise RuleViolation(
            "the key result is achieved: nothing to carry over",
            field=("id",),
            code=ErrorCode.INVALID_VALUE,
        )
    home = await _carried_objective(store, org_id, source.objective_id, target, now)
    kind = source.kind
    start = source.current_value
    if kind in (KeyResultKind.INCREASE, KeyResultKind.DECREASE):
        kind = rules.infer_kind(start, source.target_value)
    return await create_key_result(
        store=store,
        org_id=org_id,
        objective_id=home.id,
        title=source.title,
        now=now,
        kind=kind,
        start_value=0.0 if kind is KeyResultKind.MILESTONE else start,
        target_value=source.target_value,
        unit=source.unit,
        department_id=source.department_id,
        owner=source.owner,
        weight=source.weight,
        carried_over_from=source.id,
    )


async def _carried_objective(
    store: Store, org_id: str, objective_id: str, target: Cycle, now: datetime
) -> Objective:
    original = await objective(store, org_id, objective_id)
    page = await store.find_objectives(org_id, cycle_ids=[target.id])
    for candidate in page.items:
        if candidate.carried_over_from == original.id:
            return candidate
    global_objective = await store.find_global_objective(org_id, target.year)
    if target.kind is CycleKind.YEAR and global_objective is not None:
        return global_objective
    parent_id = original.parent_id if original.year == target.year else None
    if parent_id is None and target.kind is not CycleKind.YEAR and global_objective is not None:
        parent_id = global_objective.id
    made = await create_objective(
        store=store,
        org_id=org_id,
        cycle_id=target.id,
        title=original.title,
        now=now,
        description=original.description,
        parent_id=parent_id,
        department_id=original.department_id,
        owner=original.owner,
        weight=original.weight,
    )
    assert made.objective is not None  # a create returns what it made
    copy = replace(made.objective, carried_over_from=original.id)
    await store.update_objective(copy)
    return copy
