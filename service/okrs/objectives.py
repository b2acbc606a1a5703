"""Objectives (the tree of DOMAIN.md §1) and their action plans (§5)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from service.domain import rules
from service.domain.errors import ErrorCode, NotFound, RuleViolation
from service.domain.model import ActionStep, Cycle, CycleKind, Objective, Organization
from service.domain.rollup import Evaluation
from service.okrs.common import (
    KEEP,
    Keep,
    ProgressChange,
    Scope,
    cycle,
    department,
    new_id,
    objective,
    open_cycle,
    organization,
    scopes_of_objective,
    tracked,
)
from service.store.interface import Store


@dataclass(frozen=True, slots=True)
class ObjectiveChanged:
    """An objective as it is now (None once deleted) and the rollups that moved."""

    objective: Objective | None
    changes: tuple[ProgressChange, ...] = ()


async def _check_team_limit(
    store: Store, org: Organization, target: Cycle, department_id: str | None
) -> None:
    if department_id is None or target.kind is CycleKind.YEAR:
        return
    count = await store.count_team_objectives(org.id, target.id, department_id)
    rules.objective_limit(count, org.policy)


async def _check_parent(
    store: Store, org_id: str, target: Cycle, parent_id: str | None
) -> Objective | None:
    if parent_id is None:
        if target.kind is CycleKind.YEAR:
            rules.single_global_objective(
                target, await store.find_global_objective(org_id, target.year)
            )
        return None
    parent = await objective(store, org_id, parent_id, field="parentId")
    rules.same_year(target, await cycle(store, org_id, parent.cycle_id, field="parentId"))
    return parent


def _objective_scopes(
    objective_id: str, parent_id: str | None
) -> Callable[[Evaluation], list[Scope]]:
    def scopes(evaluation: Evaluation) -> list[Scope]:
        found = scopes_of_objective(evaluation, objective_id)
        if parent_id is not None:
            found += scopes_of_objective(evaluation, parent_id)
        return found

    return scopes


async def create_objective(
    *,
    store: Store,
    org_id: str,
    cycle_id: str,
    title: str,
    now: datetime,
    description: str | None = None,
    parent_id: str | None = None,
    department_id: str | None = None,
    owner: str | None = None,
    weight: float = 1.0,
) -> ObjectiveChanged:
    """A new objective in an open cycle, checked against DOMAIN.md §2."""
    cleaned_title = rules.text(title, field="title")
    cleaned_description = rules.optional_text(description, field="description")
    cleaned_owner = rules.optional_text(owner, field="owner", limit=rules.MAX_TITLE)
    checked_weight = rules.weight(weight)
    org = await organization(store, org_id, field="cycleId")
    target = await cycle(store, org_id, cycle_id)
    open_cycle(target)
    if department_id is not None:
        await department(store, org_id, department_id, field="departmentId")
    await _check_parent(store, org_id, target, parent_id)
    await _check_team_limit(store, org, target, department_id)
    created = Objective(
        id=new_id(),
        org_id=org_id,
        cycle_id=target.id,
        year=target.year,
        title=cleaned_title,
        description=cleaned_description,
        parent_id=parent_id,
        department_id=department_id,
        owner=cleaned_owner,
        weight=checked_weight,
    )

    async def write() -> None:
        await store.insert_objective(created)
        await _settle_races(store, org, target, created)

    _, moved, _ = await tracked(
        store=store,
        org=org,
        year=target.year,
        now=now,
        write=write,
        scopes=_objective_scopes(created.id, parent_id),
    )
    return ObjectiveChanged(objective=created, changes=moved)


async def _settle_races(store: Store, org: Organization, target: Cycle, created: Objective) -> None:
    """Two concurrent creates can both pass the checks; the one created last gives way.

    Ids sort by creation time, so every racer agrees on who came first without a transaction.
    """
    if created.parent_id is None and target.kind is CycleKind.YEAR:
        page = await store.find_objectives(org.id, cycle_ids=[target.id])
        roots = sorted(o.id for o in page.items if o.parent_id is None)
        if roots and roots[0] != created.id:
            await store.delete_objective(org.id, created.id)
            raise RuleViolation(
                f"{target.year} already has its global objective",
                field=("parentId",),
                code=ErrorCode.DUPLICATE_GLOBAL_OBJECTIVE,
            )
    if created.department_id is not None and target.kind is not CycleKind.YEAR:
        page = await store.find_objectives(
            org.id, cycle_ids=[target.id], department_id=created.department_id
        )
        ranked = sorted(o.id for o in page.items)
        if ranked.index(created.id) >= org.policy.max_objectives_per_team:
            await store.delete_objective(org.id, created.id)
            rules.objective_limit(org.policy.max_objectives_per_team, org.policy)


async def update_objective(
    *,
    store: Store,
    org_id: str,
    objective_id: str,
    now: datetime,
    title: str | None = None,
    description: str | None = None,
    parent_id: str | Keep | None = KEEP,
    department_id: str | Keep | None = KEEP,
    owner: str | None = None,
    weight: float | None = None,
    lessons_learned: str | None = None,
) -> ObjectiveChanged:
    """Change an objective; in a closed cycle only the lessons learned can still change."""
    current = await objective(store, org_id, objective_id, field="id")
    org = await organization(store, org_id)
    target = await cycle(store, org_id, current.cycle_id, field="id")
    updated = current
    if lessons_learned is not None:
        updated = replace(
            updated, lessons_learned=rules.optional_text(lessons_learned, field="lessonsLearned")
        )
    structural = (
        title is not None
        or description is not None
        or owner is not None
        or weight is not None
        or parent_id is not KEEP
        or department_id is not KEEP
    )
    if structural:
        open_cycle(target, field="id")
    if title is not None:
        updated = replace(updated, title=rules.text(title, field="title"))
    if description is not None:
        updated = replace(
            updated, description=rules.optional_text(description, field="description")
        )
    if owner is not None:
        updated = replace(
            updated, owner=rules.optional_text(owner, field="owner", limit=rules.MAX_TITLE)
        )
    if weight is not None:
        updated = replace(updated, weight=rules.weight(weight))
    if department_id is not KEEP and department_id != current.department_id:
        new_department = department_id
        if new_department is not None:
            await department(store, org_id, new_department, field="departmentId")
        await _check_team_limit(store, org, target, new_department)
        updated = replace(updated, department_id=new_department)
    if parent_id is not KEEP and parent_id != current.parent_id:
        new_parent = parent_id
        await _move(store, org_id, target, current, new_parent)
        updated = replace(updated, parent_id=new_parent)
    if updated == current:
        return ObjectiveChanged(objective=current)
    _, moved, _ = await tracked(
        store=store,
        org=org,
        year=current.year,
        now=now,
        write=lambda: store.update_objective(updated),
        scopes=_objective_scopes(current.id, current.parent_id),
    )
    return ObjectiveChanged(objective=updated, changes=moved)


async def _move(
    store: Store, org_id: str, target: Cycle, current: Objective, new_parent: str | None
) -> None:
    await _check_parent(store, org_id, target, new_parent)
    if new_parent is None:
        return
    scope = await store.load_year(org_id, current.year)
    parents = {o.id: o.parent_id for o in scope.objectives.values()}
    rules.no_ancestor_loop(current.id, new_parent, parents)


async def delete_objective(
    *, store: Store, org_id: str, objective_id: str, now: datetime
) -> ObjectiveChanged:
    """Delete an objective with its key results and action plan; one with child objectives
    is refused (move or delete the children first)."""
    current = await objective(store, org_id, objective_id, field="id")
    open_cycle(await cycle(store, org_id, current.cycle_id, field="id"), field="id")
    children = await store.find_objectives(org_id, parent_ids=[current.id], limit=1)
    if children.total:
        raise RuleViolation(
            f"the objective has {children.total} child objective(s); move or delete them first",
            field=("id",),
            code=ErrorCode.HAS_CHILDREN,
        )
    org = await organization(store, org_id)
    _, moved, _ = await tracked(
        store=store,
        org=org,
        year=current.year,
        now=now,
        write=lambda: store.delete_objective(org_id, current.id),
        scopes=_objective_scopes(current.id, current.parent_id),
    )
    return ObjectiveChanged(objective=None, changes=moved)


# Action plans -------------------------------------------------------------------------------


async def add_action_step(
    *,
    store: Store,
    org_id: str,
    objective_id: str,
    title: str,
    owner: str | None = None,
    due_on: date | None = None,
) -> ActionStep:
    """A new step at the end of an objective's action plan."""
    cleaned = rules.text(title, field="title")
    cleaned_owner = rules.optional_text(owner, field="owner", limit=rules.MAX_TITLE)
    parent = await objective(store, org_id, objective_id)
    steps = await store.list_action_steps(org_id, [parent.id])
    step = ActionStep(
        id=new_id(),
        org_id=org_id,
        objective_id=parent.id,
        title=cleaned,
        position=max((s.position for s in steps), default=-1) + 1,
        owner=cleaned_owner,
        due_on=due_on,
    )
    await store.insert_action_step(step)
    return step


async def update_action_step(
    *,
    store: Store,
    org_id: str,
    step_id: str,
    title: str | None = None,
    owner: str | None = None,
    due_on: date | None = None,
    done: bool | None = None,
    position: int | None = None,
) -> ActionStep:
    """Change a step; a new position moves it within its plan, the others shift to make room."""
    found = await store.get_action_steps(org_id, [step_id])
    if not found:
        raise NotFound("no action step with this id in the organization", field=("id",))
    step = found[0]
    updated = step
    if title is not None:
        updated = replace(updated, title=rules.text(title, field="title"))
    if owner is not None:
        updated = replace(
            updated, owner=rules.optional_text(owner, field="owner", limit=rules.MAX_TITLE)
        )
    if due_on is not None:
        updated = replace(updated, due_on=due_on)
    if done is not None:
        updated = replace(updated, done=done)
    if position is not None and position != step.position:
        if position < 0:
            raise RuleViolation(
                "position must be 0 or more", field=("position",), code=ErrorCode.INVALID_VALUE
            )
        await _reorder(store, org_id, step, position)
        updated = replace(updated, position=position)
    if updated != step:
        await store.update_action_step(updated)
    return updated


async def _reorder(store: Store, org_id: str, step: ActionStep, position: int) -> None:
    plan = [
        s for s in await store.list_action_steps(org_id, [step.objective_id]) if s.id != step.id
    ]
    plan.sort(key=lambda s: (s.position, s.id))
    position = min(position, len(plan))
    plan.insert(position, step)
    for index, other in enumerate(plan):
        if other.id != step.id and other.position != index:
            await store.update_action_step(replace(other, position=index))
