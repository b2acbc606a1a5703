"""Key results: create, change, delete, dependencies between departments (§4), carry-over."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from service.domain import rules
from service.domain.errors import ErrorCode, NotFound, RuleViolation
from service.domain.model import Cycle, CycleKind, KeyResult, KeyResultKind, Objective
from service.domain.progress import progress
from service.okrs.commit import Draft, Unchanged, Writer
from service.okrs.common import (
    KEEP,
    Keep,
    created,
    cycle,
    department,
    key_result,
    new_id,
    objective,
    open_cycle,
    owner,
    put,
    removed_key_results,
)
from service.okrs.objectives import new_objective
from service.readmodel import Snapshot
from service.store import documents as d
from service.store.records import Op


@dataclass(frozen=True, slots=True)
class KeyResultChanged:
    """A key result as it is now (None once deleted) and the organization after."""

    key_result: KeyResult | None
    snapshot: Snapshot


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
    start = rules.amount(start, field="startValue")
    target = rules.amount(target, field="targetValue")
    chosen = kind if kind is not None else rules.infer_kind(start, target)
    rules.measurable(chosen, start, target)
    return chosen, start, target


def _changed(written_result: str | None, after: Snapshot) -> KeyResultChanged:
    found = after.key_results.get(written_result) if written_result is not None else None
    return KeyResultChanged(key_result=found, snapshot=after)


async def create_key_result(
    *,
    writer: Writer,
    org_id: str,
    objective_id: str,
    title: str,
    now: datetime,
    actor: str | None = None,
    kind: KeyResultKind | None = None,
    start_value: float | None = None,
    target_value: float | None = None,
    unit: str | None = None,
    department_id: str | None = None,
    owner_id: str | None = None,
    weight: float = 1.0,
) -> KeyResultChanged:
    """A new key result of an objective, measurable (DOMAIN.md §2), created at `now` (its
    grace period without a check-in starts then, if its cycle has started); without a kind, the
    direction from start to target picks INCREASE or DECREASE."""
    cleaned = rules.text(title, field="title")
    chosen, start, target = _bounds(kind, start_value, target_value)
    cleaned_unit = rules.optional_text(unit, field="unit", limit=50)
    checked_weight = rules.weight(weight)

    async def build(snapshot: Snapshot) -> Draft[str]:
        parent = objective(snapshot, objective_id)
        open_cycle(cycle(snapshot, parent.cycle_id), field="objectiveId")
        if department_id is not None:
            department(snapshot, department_id, field="departmentId")
        made = KeyResult(
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
            owner_id=owner(snapshot, owner_id),
            weight=checked_weight,
            created_at=d.to_millis(now),
        )
        return Draft("keyResultCreate", [created(made)], made.id, "KeyResult", made.id)

    written = await writer.commit(org_id, build, actor=actor, at=now, field="objectiveId")
    return _changed(written.result, written.after)


async def update_key_result(
    *,
    writer: Writer,
    org_id: str,
    key_result_id: str,
    now: datetime,
    actor: str | None = None,
    title: str | None = None,
    kind: KeyResultKind | None = None,
    start_value: float | None = None,
    target_value: float | None = None,
    unit: str | None = None,
    department_id: str | Keep | None = KEEP,
    owner_id: str | Keep | None = KEEP,
    weight: float | None = None,
) -> KeyResultChanged:
    """Change a key result of an open cycle; start, target and kind are checked together."""
    new_title = rules.text(title, field="title") if title is not None else None
    new_unit = rules.optional_text(unit, field="unit", limit=50) if unit is not None else None
    new_weight = rules.weight(weight) if weight is not None else None

    async def build(snapshot: Snapshot) -> Draft[str] | Unchanged[str]:
        current = key_result(snapshot, key_result_id, field="id")
        open_cycle(cycle(snapshot, current.cycle_id, field="id"), field="id")
        updated = current
        if new_title is not None:
            updated = replace(updated, title=new_title)
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
            updated = replace(updated, unit=new_unit)
        if owner_id is not KEEP and owner_id != current.owner_id:
            updated = replace(updated, owner_id=owner(snapshot, owner_id), legacy_owner=None)
        if new_weight is not None:
            updated = replace(updated, weight=new_weight)
        if department_id is not KEEP and department_id != current.department_id:
            if department_id is not None:
                department(snapshot, department_id, field="departmentId")
            updated = replace(updated, department_id=department_id)
        if updated == current:
            return Unchanged(current.id)
        ops = [put(snapshot, updated)]
        return Draft("keyResultUpdate", ops, current.id, "KeyResult", current.id)

    written = await writer.commit(org_id, build, actor=actor, at=now)
    return _changed(written.result, written.after)


async def delete_key_result(
    *, writer: Writer, org_id: str, key_result_id: str, now: datetime, actor: str | None = None
) -> KeyResultChanged:
    """Delete a key result with its check-ins; dependents and initiatives let go of it."""

    async def build(snapshot: Snapshot) -> Draft[None]:
        current = key_result(snapshot, key_result_id, field="id")
        open_cycle(cycle(snapshot, current.cycle_id, field="id"), field="id")
        ops = removed_key_results(snapshot, [current])
        return Draft("keyResultDelete", ops, None, "KeyResult", current.id)

    written = await writer.commit(org_id, build, actor=actor, at=now)
    return KeyResultChanged(key_result=None, snapshot=written.after)


def upstream_graph(snapshot: Snapshot, start: KeyResult) -> dict[str, tuple[str, ...]]:
    """The dependency graph upstream of `start`."""
    graph: dict[str, tuple[str, ...]] = {start.id: start.depends_on}
    frontier = list(start.depends_on)
    while frontier:
        found = [snapshot.key_results[u] for u in frontier if u in snapshot.key_results]
        for k in found:
            graph[k.id] = k.depends_on
        frontier = [u for k in found for u in k.depends_on if u not in graph]
    return graph


async def add_dependency(
    *,
    writer: Writer,
    org_id: str,
    key_result_id: str,
    depends_on_id: str,
    now: datetime,
    actor: str | None = None,
) -> KeyResultChanged:
    """`key_result_id` now depends on `depends_on_id` (its upstream); loops are refused."""

    async def build(snapshot: Snapshot) -> Draft[str] | Unchanged[str]:
        downstream = key_result(snapshot, key_result_id)
        upstream = key_result(snapshot, depends_on_id, field="dependsOnId")
        if downstream.id == upstream.id:
            raise RuleViolation(
                "a key result cannot depend on itself",
                field=("dependsOnId",),
                code=ErrorCode.DEPENDENCY_CYCLE,
            )
        if upstream.id in downstream.depends_on:
            return Unchanged(downstream.id)
        rules.acyclic_dependency(upstream_graph(snapshot, upstream), downstream.id, upstream.id)
        updated = replace(downstream, depends_on=(*downstream.depends_on, upstream.id))
        return Draft(
            "keyResultDependencyAdd",
            [put(snapshot, updated)],
            downstream.id,
            "KeyResult",
            downstream.id,
        )

    written = await writer.commit(org_id, build, actor=actor, at=now, field="keyResultId")
    return _changed(written.result, written.after)


async def remove_dependency(
    *,
    writer: Writer,
    org_id: str,
    key_result_id: str,
    depends_on_id: str,
    now: datetime,
    actor: str | None = None,
) -> KeyResultChanged:
    """`key_result_id` no longer depends on `depends_on_id` (gone or not); NotFound when it did
    not depend on it."""

    async def build(snapshot: Snapshot) -> Draft[str]:
        downstream = key_result(snapshot, key_result_id)
        if depends_on_id not in downstream.depends_on:
            # A removal that removes nothing is a mistake to report, not a success.
            key_result(snapshot, depends_on_id, field="dependsOnId")
            raise NotFound(
                f"{downstream.title!r} does not depend on this key result",
                field=("dependsOnId",),
            )
        kept = tuple(u for u in downstream.depends_on if u != depends_on_id)
        updated = replace(downstream, depends_on=kept)
        return Draft(
            "keyResultDependencyRemove",
            [put(snapshot, updated)],
            downstream.id,
            "KeyResult",
            downstream.id,
        )

    written = await writer.commit(org_id, build, actor=actor, at=now, field="keyResultId")
    return _changed(written.result, written.after)


async def carry_over(
    *,
    writer: Writer,
    org_id: str,
    key_result_id: str,
    cycle_id: str,
    now: datetime,
    actor: str | None = None,
) -> KeyResultChanged:
    """Carry an unfinished key result into a later cycle of the same kind as a new key result
    that starts where this one stands (DOMAIN.md §3.4), created at `now`, under the
    carried-over copy of its objective (made on first use). Carried once: asked again, it
    answers the first copy."""

    async def build(snapshot: Snapshot) -> Draft[str] | Unchanged[str]:
        source = key_result(snapshot, key_result_id, field="id")
        source_cycle = cycle(snapshot, source.cycle_id, field="id")
        target = cycle(snapshot, cycle_id)
        if target.kind is not source_cycle.kind or target.starts_at < source_cycle.ends_at:
            raise RuleViolation(
                f"carry over into a later {source_cycle.kind.value} than {source_cycle.label}",
                field=("cycleId",),
                code=ErrorCode.CYCLE_MISMATCH,
            )
        for existing in snapshot.key_result_list():
            if existing.carried_over_from == source.id and existing.cycle_id == target.id:
                return Unchanged(existing.id)
        open_cycle(target)
        reached = progress(
            source.kind, source.start_value, source.target_value, source.current_value
        )
        if reached >= 1:
            raise RuleViolation(
                "the key result is achieved: nothing to carry over",
                field=("id",),
                code=ErrorCode.INVALID_VALUE,
            )
        ops: list[Op] = []
        home = _carried_objective(snapshot, objective(snapshot, source.objective_id), target)
        if home.id not in snapshot.objectives:
            ops.append(created(home))
        kind = source.kind
        start = source.current_value
        if kind in (KeyResultKind.INCREASE, KeyResultKind.DECREASE):
            kind = rules.infer_kind(start, source.target_value)
        start = 0.0 if kind is KeyResultKind.MILESTONE else start
        rules.measurable(kind, start, source.target_value)
        made = KeyResult(
            id=new_id(),
            org_id=org_id,
            objective_id=home.id,
            cycle_id=target.id,
            year=target.year,
            title=source.title,
            kind=kind,
            start_value=start,
            target_value=source.target_value,
            current_value=start,
            unit=source.unit,
            department_id=source.department_id,
            owner_id=source.owner_id,
            legacy_owner=source.legacy_owner,
            weight=source.weight,
            carried_over_from=source.id,
            created_at=d.to_millis(now),
        )
        ops.append(created(made))
        return Draft("keyResultCarryOver", ops, made.id, "KeyResult", made.id)

    written = await writer.commit(org_id, build, actor=actor, at=now)
    return _changed(written.result, written.after)


def _carried_objective(snapshot: Snapshot, original: Objective, target: Cycle) -> Objective:
    """Where a carried key result goes: the carried copy of its objective in the target cycle
    (made when there is none yet), or the year's global objective for a YEAR."""
    for candidate in snapshot.objective_list():
        if candidate.cycle_id == target.id and candidate.carried_over_from == original.id:
            return candidate
    global_objective = snapshot.global_objective(target.year)
    if target.kind is CycleKind.YEAR and global_objective is not None:
        return global_objective
    parent_id = original.parent_id if original.year == target.year else None
    if parent_id is None and target.kind is not CycleKind.YEAR and global_objective is not None:
        parent_id = global_objective.id
    made = new_objective(
        snapshot,
        target,
        title=original.title,
        description=original.description,
        parent_id=parent_id,
        department_id=original.department_id,
        weight=original.weight,
        carried_over_from=original.id,
    )
    # The copy keeps its original's owner as it is, active or not (a deactivated owner is
    # flagged by the health report, not dropped).
    return replace(made, owner_id=original.owner_id, legacy_owner=original.legacy_owner)
