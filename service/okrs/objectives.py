"""Objectives (the tree of DOMAIN.md §1) and their action plans (§5)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from service.domain import rules
from service.domain.errors import ErrorCode, NotFound, RuleViolation
from service.domain.model import ActionStep, Cycle, CycleKind, Objective
from service.okrs.commit import Draft, Unchanged, Writer
from service.okrs.common import (
    KEEP,
    Keep,
    created,
    cycle,
    delete,
    department,
    new_id,
    objective,
    open_cycle,
    owner,
    put,
    removed_key_results,
)
from service.readmodel import Snapshot
from service.store.records import Op


@dataclass(frozen=True, slots=True)
class ObjectiveChanged:
    """An objective as it is now (None once deleted) and the organization after."""

    objective: Objective | None
    snapshot: Snapshot


def check_team_limit(
    snapshot: Snapshot, target: Cycle, department_id: str | None, *, leaving: str | None = None
) -> None:
    """A team has at most the policy's number of objectives in a quarter, the MONTH cycles
    inside it included (DOMAIN.md §2); `leaving` is an objective that does not count."""
    if department_id is None:
        return
    counted = set(rules.team_limit_cycles(target, snapshot.cycle_list(target.year)))
    if not counted:
        return
    count = sum(
        1
        for o in snapshot.objectives.values()
        if o.department_id == department_id and o.cycle_id in counted and o.id != leaving
    )
    rules.objective_limit(count, snapshot.organization.policy)


def check_parent(snapshot: Snapshot, target: Cycle, parent_id: str | None) -> Objective | None:
    """The parent an objective of `target` may have (in the same year); a YEAR objective
    without a parent is the global objective, of which a year has one."""
    if parent_id is None:
        if target.kind is CycleKind.YEAR:
            rules.single_global_objective(target, snapshot.global_objective(target.year))
        return None
    parent = objective(snapshot, parent_id, field="parentId")
    rules.same_year(target, cycle(snapshot, parent.cycle_id, field="parentId"))
    return parent


def new_objective(
    snapshot: Snapshot,
    target: Cycle,
    *,
    title: str,
    description: str | None = None,
    parent_id: str | None = None,
    department_id: str | None = None,
    owner_id: str | None = None,
    weight: float = 1.0,
    carried_over_from: str | None = None,
) -> Objective:
    """A new objective of `target`, checked against DOMAIN.md §2."""
    open_cycle(target)
    if department_id is not None:
        department(snapshot, department_id, field="departmentId")
    check_parent(snapshot, target, parent_id)
    check_team_limit(snapshot, target, department_id)
    return Objective(
        id=new_id(),
        org_id=snapshot.org_id,
        cycle_id=target.id,
        year=target.year,
        title=rules.text(title, field="title"),
        description=rules.optional_text(description, field="description"),
        parent_id=parent_id,
        department_id=department_id,
        owner_id=owner(snapshot, owner_id),
        weight=rules.weight(weight),
        carried_over_from=carried_over_from,
    )


def objective_changed(objective_id: str | None, after: Snapshot) -> ObjectiveChanged:
    """What a write of an objective answers: the objective as `after` holds it (None when
    gone), and `after`."""
    found = after.objectives.get(objective_id) if objective_id is not None else None
    return ObjectiveChanged(objective=found, snapshot=after)


async def create_objective(
    *,
    writer: Writer,
    org_id: str,
    cycle_id: str,
    title: str,
    now: datetime,
    actor: str | None = None,
    description: str | None = None,
    parent_id: str | None = None,
    department_id: str | None = None,
    owner_id: str | None = None,
    weight: float = 1.0,
) -> ObjectiveChanged:
    """A new objective in an open cycle, checked against DOMAIN.md §2 (a team's limit counts
    its objectives in the quarter and in the months inside it)."""
    rules.text(title, field="title")
    rules.optional_text(description, field="description")
    rules.weight(weight)

    async def build(snapshot: Snapshot) -> Draft[str]:
        made = new_objective(
            snapshot,
            cycle(snapshot, cycle_id),
            title=title,
            description=description,
            parent_id=parent_id,
            department_id=department_id,
            owner_id=owner_id,
            weight=weight,
        )
        return Draft("objectiveCreate", [created(made)], made.id, "Objective", made.id)

    written = await writer.commit(org_id, build, actor=actor, at=now, field="cycleId")
    return objective_changed(written.result, written.after)


async def update_objective(
    *,
    writer: Writer,
    org_id: str,
    objective_id: str,
    now: datetime,
    actor: str | None = None,
    title: str | None = None,
    description: str | None = None,
    parent_id: str | Keep | None = KEEP,
    department_id: str | Keep | None = KEEP,
    owner_id: str | Keep | None = KEEP,
    weight: float | None = None,
    lessons_learned: str | None = None,
) -> ObjectiveChanged:
    """Change an objective; in a closed cycle only the lessons learned can still change."""
    new_title = rules.text(title, field="title") if title is not None else None
    new_weight = rules.weight(weight) if weight is not None else None
    new_lessons = (
        rules.optional_text(lessons_learned, field="lessonsLearned")
        if lessons_learned is not None
        else None
    )
    new_description = (
        rules.optional_text(description, field="description") if description is not None else None
    )
    structural = (
        title is not None
        or description is not None
        or owner_id is not KEEP
        or weight is not None
        or parent_id is not KEEP
        or department_id is not KEEP
    )

    async def build(snapshot: Snapshot) -> Draft[str] | Unchanged[str]:
        current = objective(snapshot, objective_id, field="id")
        target = cycle(snapshot, current.cycle_id, field="id")
        if structural:
            open_cycle(target, field="id")
        updated = current
        if lessons_learned is not None:
            updated = replace(updated, lessons_learned=new_lessons)
        if new_title is not None:
            updated = replace(updated, title=new_title)
        if description is not None:
            updated = replace(updated, description=new_description)
        if owner_id is not KEEP and owner_id != current.owner_id:
            updated = replace(updated, owner_id=owner(snapshot, owner_id), legacy_owner=None)
        if new_weight is not None:
            updated = replace(updated, weight=new_weight)
        if department_id is not KEEP and department_id != current.department_id:
            if department_id is not None:
                department(snapshot, department_id, field="departmentId")
            check_team_limit(snapshot, target, department_id, leaving=current.id)
            updated = replace(updated, department_id=department_id)
        if parent_id is not KEEP and parent_id != current.parent_id:
            check_parent(snapshot, target, parent_id)
            if parent_id is not None:
                parents = {o.id: o.parent_id for o in snapshot.objectives.values()}
                rules.no_ancestor_loop(current.id, parent_id, parents)
            updated = replace(updated, parent_id=parent_id)
        if updated == current:
            return Unchanged(current.id)
        return Draft(
            "objectiveUpdate", [put(snapshot, updated)], current.id, "Objective", current.id
        )

    written = await writer.commit(org_id, build, actor=actor, at=now)
    return objective_changed(written.result, written.after)


async def delete_objective(
    *, writer: Writer, org_id: str, objective_id: str, now: datetime, actor: str | None = None
) -> ObjectiveChanged:
    """Delete an objective with its key results and action plan; key results of other
    objectives aligned with it let go of that link. One with child objectives is refused
    (move or delete the children first)."""

    async def build(snapshot: Snapshot) -> Draft[None]:
        current = objective(snapshot, objective_id, field="id")
        open_cycle(cycle(snapshot, current.cycle_id, field="id"), field="id")
        children = [o for o in snapshot.objectives.values() if o.parent_id == current.id]
        if children:
            raise RuleViolation(
                f"the objective has {len(children)} child objective(s); move or delete them first",
                field=("id",),
                code=ErrorCode.HAS_CHILDREN,
            )
        ops: list[Op] = [delete(current)]
        under = [k for k in snapshot.key_result_list() if k.objective_id == current.id]
        ops += removed_key_results(snapshot, under, objectives={current.id})
        ops += [delete(s) for s in snapshot.action_plan(current.id)]
        return Draft("objectiveDelete", ops, None, "Objective", current.id)

    written = await writer.commit(org_id, build, actor=actor, at=now)
    return ObjectiveChanged(objective=None, snapshot=written.after)


# Action plans -------------------------------------------------------------------------------


async def add_action_step(
    *,
    writer: Writer,
    org_id: str,
    objective_id: str,
    title: str,
    now: datetime,
    actor: str | None = None,
    owner_id: str | None = None,
    due_on: date | None = None,
) -> ActionStep:
    """A new step at the end of an objective's action plan."""
    cleaned = rules.text(title, field="title")

    async def build(snapshot: Snapshot) -> Draft[ActionStep]:
        parent = objective(snapshot, objective_id)
        steps = snapshot.action_plan(parent.id)
        step = ActionStep(
            id=new_id(),
            org_id=org_id,
            objective_id=parent.id,
            title=cleaned,
            position=max((s.position for s in steps), default=-1) + 1,
            owner_id=owner(snapshot, owner_id),
            due_on=due_on,
        )
        return Draft("actionStepAdd", [created(step)], step, "ActionStep", step.id)

    return (await writer.commit(org_id, build, actor=actor, at=now, field="objectiveId")).result


async def update_action_step(
    *,
    writer: Writer,
    org_id: str,
    step_id: str,
    now: datetime,
    actor: str | None = None,
    title: str | None = None,
    owner_id: str | Keep | None = KEEP,
    due_on: date | None = None,
    done: bool | None = None,
    position: int | None = None,
) -> ActionStep:
    """Change a step; a new position moves it within its plan, the others shift to make room."""
    new_title = rules.text(title, field="title") if title is not None else None
    if position is not None and position < 0:
        raise RuleViolation(
            "position must be 0 or more", field=("position",), code=ErrorCode.INVALID_VALUE
        )

    async def build(snapshot: Snapshot) -> Draft[ActionStep] | Unchanged[ActionStep]:
        step = snapshot.action_steps.get(step_id)
        if step is None:
            raise NotFound("no action step with this id in the organization", field=("id",))
        updated = step
        if new_title is not None:
            updated = replace(updated, title=new_title)
        if owner_id is not KEEP and owner_id != step.owner_id:
            updated = replace(updated, owner_id=owner(snapshot, owner_id), legacy_owner=None)
        if due_on is not None:
            updated = replace(updated, due_on=due_on)
        if done is not None:
            updated = replace(updated, done=done)
        ops: list[Op] = []
        if position is not None and position != step.position:
            plan = [s for s in snapshot.action_plan(step.objective_id) if s.id != step.id]
            placed = min(position, len(plan))
            plan.insert(placed, updated)
            for index, other in enumerate(plan):
                if other.id != step.id and other.position != index:
                    ops.append(put(snapshot, replace(other, position=index)))
            updated = replace(updated, position=position)
        if updated == step and not ops:
            return Unchanged(step)
        ops.insert(0, put(snapshot, updated))
        return Draft("actionStepUpdate", ops, updated, "ActionStep", step.id)

    return (await writer.commit(org_id, build, actor=actor, at=now)).result
