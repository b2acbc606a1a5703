"""What each mutation does: decode its ids, call its use case, build its payload.

Every function may raise a DomainError; `payloads.guarded` turns that into a userError. An id of
another organization is passed on as a local id that organization does not hold, so it fails
exactly like an unknown id (NOT_FOUND).
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from schema import inputs as i
from schema import payloads as p
from schema.context import Context
from schema.ids import GlobalId, expect_id
from schema.types import (
    ActionStep,
    CheckIn,
    Cycle,
    Department,
    Initiative,
    KeyResult,
    Objective,
    Organization,
)
from service.domain import model
from service.domain.errors import NotFound
from service.okrs import (
    check_ins,
    cycles,
    initiatives,
    key_results,
    objectives,
    organizations,
    overrides,
)
from service.okrs.common import KEEP, Keep


def target_id(ctx: Context, value: str, type_name: str, *, field: str) -> GlobalId:
    """A decoded id argument, seen from the caller's organization (`Context.home`)."""
    return ctx.home(expect_id(value, type_name, field=field))


def given(value: Any) -> Any:
    """None for a field left out of an update input (UNSET), else the value."""
    return None if value is strawberry.UNSET else value


def _local(owner: GlobalId, value: str | None, type_name: str, field: str) -> str | None:
    """The local id of a reference inside `owner`'s organization (None stays None)."""
    if value is None:
        return None
    found = expect_id(value, type_name, field=field)
    # Another organization's object must look unknown: a local id prefixed so it cannot exist.
    return found.local_id if found.org_id == owner.org_id else f"~{found.local_id}"


def _link(owner: GlobalId, value: Any, type_name: str, field: str) -> str | Keep | None:
    """An update's optional link: KEEP when left out, None when cleared, else the local id."""
    if value is strawberry.UNSET:
        return KEEP
    return _local(owner, value, type_name, field)


async def organization_create(
    ctx: Context, input: i.OrganizationCreateInput
) -> p.OrganizationCreatePayload:
    if ctx.authenticated and (ctx.principal is None or ctx.principal.organization != input.slug):
        raise GraphQLError(
            "a token can create only the organization it names (its `org` claim)",
            extensions={"code": "FORBIDDEN"},
        )
    org = await organizations.create_organization(
        writer=ctx.writer,
        now=ctx.now,
        actor=ctx.subject,
        name=input.name,
        slug=input.slug,
        mission=input.mission,
        vision=input.vision,
    )
    return p.OrganizationCreatePayload(organization=Organization.from_domain(org))


async def organization_update(
    ctx: Context, id: str, input: i.OrganizationUpdateInput
) -> p.OrganizationUpdatePayload:
    org = target_id(ctx, id, "Organization", field="id")
    await organizations_exist(ctx, org, "id")
    policy = given(input.policy)
    change = None
    if policy is not None:
        change = organizations.PolicyChange(
            on_track_ratio=given(policy.on_track_ratio),
            at_risk_ratio=given(policy.at_risk_ratio),
            max_objectives_per_team=given(policy.max_objectives_per_team),
            min_objectives_per_team=given(policy.min_objectives_per_team),
            roi_threshold=given(policy.roi_threshold),
            stale_after_days=given(policy.stale_after_days),
            check_in_cadence_days=given(policy.check_in_cadence_days),
        )
    updated = await organizations.update_organization(
        writer=ctx.writer,
        now=ctx.now,
        actor=ctx.subject,
        org_id=org.org_id,
        name=given(input.name),
        mission=given(input.mission),
        vision=given(input.vision),
        policy=change,
    )
    return p.OrganizationUpdatePayload(organization=Organization.from_domain(updated))


async def department_create(
    ctx: Context, input: i.DepartmentCreateInput
) -> p.DepartmentCreatePayload:
    org = target_id(ctx, input.organization_id, "Organization", field="organizationId")
    await organizations_exist(ctx, org)
    made = await organizations.create_department(
        writer=ctx.writer, now=ctx.now, actor=ctx.subject, org_id=org.org_id, name=input.name
    )
    return p.DepartmentCreatePayload(department=Department.from_domain(made))


async def cycle_create(ctx: Context, input: i.CycleCreateInput) -> p.CycleCreatePayload:
    org = target_id(ctx, input.organization_id, "Organization", field="organizationId")
    await organizations_exist(ctx, org)
    if input.month is None:
        year, *_ = await cycles.create_year(
            writer=ctx.writer, now=ctx.now, actor=ctx.subject, org_id=org.org_id, year=input.year
        )
        return p.CycleCreatePayload(cycle=Cycle.from_domain(year))
    month = await cycles.create_month(
        writer=ctx.writer,
        now=ctx.now,
        actor=ctx.subject,
        org_id=org.org_id,
        year=input.year,
        month=input.month,
    )
    return p.CycleCreatePayload(cycle=Cycle.from_domain(month))


async def organizations_exist(ctx: Context, org: GlobalId, field: str = "organizationId") -> None:
    """NotFound on `field` unless the organization exists (and the caller may see it)."""
    if await ctx.loaders.snapshot(org.org_id) is None:
        raise NotFound("no organization with this id", field=(field,))


async def cycle_close(ctx: Context, id: str) -> p.CycleClosePayload:
    target = target_id(ctx, id, "Cycle", field="id")
    closed = await cycles.close_cycle(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=target.org_id,
        cycle_id=target.local_id,
        now=ctx.now,
    )
    held = await ctx.loaders.snapshot(target.org_id)
    every = [held.cycles[c] for c in closed.closed_cycle_ids] if held is not None else []
    return p.CycleClosePayload(
        cycle=Cycle.from_domain(closed.cycle), closed_cycles=[Cycle.from_domain(c) for c in every]
    )


async def objective_create(ctx: Context, input: i.ObjectiveCreateInput) -> p.ObjectiveCreatePayload:
    cycle = target_id(ctx, input.cycle_id, "Cycle", field="cycleId")
    made = await objectives.create_objective(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=cycle.org_id,
        cycle_id=cycle.local_id,
        title=input.title,
        now=ctx.now,
        description=input.description,
        parent_id=_local(cycle, input.parent_id, "Objective", "parentId"),
        department_id=_local(cycle, input.department_id, "Department", "departmentId"),
        owner_id=_local(cycle, input.owner, "Member", "owner"),
        weight=input.weight,
    )
    assert made.objective is not None  # a created objective is returned
    return p.ObjectiveCreatePayload(objective=Objective.from_domain(made.objective))


async def objective_update(
    ctx: Context, id: str, input: i.ObjectiveUpdateInput
) -> p.ObjectiveUpdatePayload:
    target = target_id(ctx, id, "Objective", field="id")
    changed = await objectives.update_objective(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=target.org_id,
        objective_id=target.local_id,
        now=ctx.now,
        title=given(input.title),
        description=given(input.description),
        parent_id=_link(target, input.parent_id, "Objective", "parentId"),
        department_id=_link(target, input.department_id, "Department", "departmentId"),
        owner_id=_link(target, input.owner, "Member", "owner"),
        weight=given(input.weight),
        lessons_learned=given(input.lessons_learned),
    )
    assert changed.objective is not None  # an updated objective is returned
    return p.ObjectiveUpdatePayload(objective=Objective.from_domain(changed.objective))


async def objective_progress_override(
    ctx: Context, input: i.ObjectiveProgressOverrideInput
) -> p.ObjectiveProgressOverridePayload:
    target = target_id(ctx, input.objective_id, "Objective", field="objectiveId")
    changed = await overrides.set_progress_override(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=target.org_id,
        objective_id=target.local_id,
        value=input.value,
        reason=input.reason,
        expires_at=input.expires_at,
        now=ctx.now,
    )
    assert changed.objective is not None  # an overridden objective is there
    return p.ObjectiveProgressOverridePayload(objective=Objective.from_domain(changed.objective))


async def objective_progress_override_clear(
    ctx: Context, objective_id: str
) -> p.ObjectiveProgressOverrideClearPayload:
    target = target_id(ctx, objective_id, "Objective", field="objectiveId")
    changed = await overrides.clear_progress_override(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=target.org_id,
        objective_id=target.local_id,
        now=ctx.now,
    )
    assert changed.objective is not None  # a cleared objective is there
    return p.ObjectiveProgressOverrideClearPayload(
        objective=Objective.from_domain(changed.objective)
    )


async def objective_delete(ctx: Context, id: str) -> p.ObjectiveDeletePayload:
    target = target_id(ctx, id, "Objective", field="id")
    await objectives.delete_objective(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=target.org_id,
        objective_id=target.local_id,
        now=ctx.now,
    )
    return p.ObjectiveDeletePayload(deleted_id=strawberry.ID(id))


def _kind(value: Any) -> model.KeyResultKind | None:
    chosen = given(value)
    return None if chosen is None else model.KeyResultKind(chosen.value)


async def key_result_create(
    ctx: Context, input: i.KeyResultCreateInput
) -> p.KeyResultCreatePayload:
    objective = target_id(ctx, input.objective_id, "Objective", field="objectiveId")
    made = await key_results.create_key_result(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=objective.org_id,
        objective_id=objective.local_id,
        title=input.title,
        now=ctx.now,
        kind=_kind(input.kind),
        # KeyResultCreateInput documents "0 if left out"; the use case needs a number.
        start_value=0.0 if input.start_value is None else input.start_value,
        target_value=input.target_value,
        unit=input.unit,
        department_id=_local(objective, input.department_id, "Department", "departmentId"),
        owner_id=_local(objective, input.owner, "Member", "owner"),
        weight=input.weight,
    )
    assert made.key_result is not None  # a created key result is returned
    return p.KeyResultCreatePayload(key_result=KeyResult.from_domain(made.key_result))


async def key_result_update(
    ctx: Context, id: str, input: i.KeyResultUpdateInput
) -> p.KeyResultUpdatePayload:
    target = target_id(ctx, id, "KeyResult", field="id")
    changed = await key_results.update_key_result(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=target.org_id,
        key_result_id=target.local_id,
        now=ctx.now,
        title=given(input.title),
        kind=_kind(input.kind),
        start_value=given(input.start_value),
        target_value=given(input.target_value),
        unit=given(input.unit),
        department_id=_link(target, input.department_id, "Department", "departmentId"),
        owner_id=_link(target, input.owner, "Member", "owner"),
        weight=given(input.weight),
    )
    assert changed.key_result is not None  # an updated key result is returned
    return p.KeyResultUpdatePayload(key_result=KeyResult.from_domain(changed.key_result))


async def key_result_delete(ctx: Context, id: str) -> p.KeyResultDeletePayload:
    target = target_id(ctx, id, "KeyResult", field="id")
    await key_results.delete_key_result(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=target.org_id,
        key_result_id=target.local_id,
        now=ctx.now,
    )
    return p.KeyResultDeletePayload(deleted_id=strawberry.ID(id))


async def _dependency(
    ctx: Context, key_result_id: str, depends_on_id: str, *, add: bool
) -> KeyResult:
    target = target_id(ctx, key_result_id, "KeyResult", field="keyResultId")
    upstream = _local(target, depends_on_id, "KeyResult", "dependsOnId")
    assert upstream is not None  # a required argument
    change = key_results.add_dependency if add else key_results.remove_dependency
    changed = await change(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=target.org_id,
        key_result_id=target.local_id,
        depends_on_id=upstream,
        now=ctx.now,
    )
    assert changed.key_result is not None  # the downstream key result is returned
    return KeyResult.from_domain(changed.key_result)


async def key_result_dependency_add(
    ctx: Context, input: i.KeyResultDependencyAddInput
) -> p.KeyResultDependencyAddPayload:
    done = await _dependency(ctx, input.key_result_id, input.depends_on_id, add=True)
    return p.KeyResultDependencyAddPayload(key_result=done)


async def key_result_dependency_remove(
    ctx: Context, input: i.KeyResultDependencyRemoveInput
) -> p.KeyResultDependencyRemovePayload:
    done = await _dependency(ctx, input.key_result_id, input.depends_on_id, add=False)
    return p.KeyResultDependencyRemovePayload(key_result=done)


async def key_result_carry_over(
    ctx: Context, id: str, cycle_id: str
) -> p.KeyResultCarryOverPayload:
    target = target_id(ctx, id, "KeyResult", field="id")
    cycle = _local(target, cycle_id, "Cycle", "cycleId")
    assert cycle is not None  # a required argument
    made = await key_results.carry_over(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=target.org_id,
        key_result_id=target.local_id,
        cycle_id=cycle,
        now=ctx.now,
    )
    assert made.key_result is not None  # the new key result is returned
    return p.KeyResultCarryOverPayload(key_result=KeyResult.from_domain(made.key_result))


async def check_in_create(ctx: Context, input: i.CheckInCreateInput) -> p.CheckInCreatePayload:
    target = target_id(ctx, input.key_result_id, "KeyResult", field="keyResultId")
    recorded = await check_ins.record_check_in(
        writer=ctx.writer,
        org_id=target.org_id,
        key_result_id=target.local_id,
        value=input.value,
        now=ctx.now,
        recorded_at=input.recorded_at,
        confidence=input.confidence,
        note=input.note,
        author=ctx.subject,
        idempotency_key=input.idempotency_key,
    )
    return p.CheckInCreatePayload(
        check_in=CheckIn.from_domain(recorded.check_in),
        created=recorded.created,
        key_result=KeyResult.from_domain(recorded.key_result),
    )


async def check_in_delete(ctx: Context, id: str) -> p.CheckInDeletePayload:
    target = target_id(ctx, id, "CheckIn", field="id")
    deleted = await check_ins.delete_check_in(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=target.org_id,
        check_in_id=target.local_id,
        now=ctx.now,
    )
    return p.CheckInDeletePayload(
        deleted_id=strawberry.ID(id), key_result=KeyResult.from_domain(deleted.key_result)
    )


async def action_step_add(ctx: Context, input: i.ActionStepAddInput) -> p.ActionStepAddPayload:
    objective = target_id(ctx, input.objective_id, "Objective", field="objectiveId")
    step = await objectives.add_action_step(
        writer=ctx.writer,
        now=ctx.now,
        actor=ctx.subject,
        org_id=objective.org_id,
        objective_id=objective.local_id,
        title=input.title,
        owner_id=_local(objective, input.owner, "Member", "owner"),
        due_on=input.due_on,
    )
    return p.ActionStepAddPayload(action_step=ActionStep.from_domain(step))


async def action_step_update(
    ctx: Context, id: str, input: i.ActionStepUpdateInput
) -> p.ActionStepUpdatePayload:
    target = target_id(ctx, id, "ActionStep", field="id")
    step = await objectives.update_action_step(
        writer=ctx.writer,
        now=ctx.now,
        actor=ctx.subject,
        org_id=target.org_id,
        step_id=target.local_id,
        title=given(input.title),
        owner_id=_link(target, input.owner, "Member", "owner"),
        due_on=given(input.due_on),
        done=given(input.done),
        position=given(input.position),
    )
    return p.ActionStepUpdatePayload(action_step=ActionStep.from_domain(step))


async def initiative_create(
    ctx: Context, input: i.InitiativeCreateInput
) -> p.InitiativeCreatePayload:
    org = target_id(ctx, input.organization_id, "Organization", field="organizationId")
    await organizations_exist(ctx, org)
    linked = [_local(org, k, "KeyResult", "keyResultIds") for k in input.key_result_ids]
    made = await initiatives.create_initiative(
        writer=ctx.writer,
        now=ctx.now,
        actor=ctx.subject,
        org_id=org.org_id,
        title=input.title,
        cost=input.cost,
        expected_value=input.expected_value,
        key_result_ids=[k for k in linked if k],
        owner_id=_local(org, input.owner, "Member", "owner"),
    )
    return p.InitiativeCreatePayload(initiative=Initiative.from_domain(made))


async def _linking(
    ctx: Context, initiative_id: str, key_result_id: str, *, link: bool
) -> Initiative:
    target = target_id(ctx, initiative_id, "Initiative", field="initiativeId")
    key_result = _local(target, key_result_id, "KeyResult", "keyResultId")
    assert key_result is not None  # a required argument
    change = initiatives.link_initiative if link else initiatives.unlink_initiative
    done = await change(
        writer=ctx.writer,
        actor=ctx.subject,
        org_id=target.org_id,
        initiative_id=target.local_id,
        key_result_id=key_result,
        now=ctx.now,
    )
    return Initiative.from_domain(done)


async def initiative_link(ctx: Context, input: i.InitiativeLinkInput) -> p.InitiativeLinkPayload:
    done = await _linking(ctx, input.initiative_id, input.key_result_id, link=True)
    return p.InitiativeLinkPayload(initiative=done)


async def initiative_unlink(
    ctx: Context, input: i.InitiativeUnlinkInput
) -> p.InitiativeUnlinkPayload:
    done = await _linking(ctx, input.initiative_id, input.key_result_id, link=False)
    return p.InitiativeUnlinkPayload(initiative=done)


# Webhooks -------------------------------------------------------------------------------------
