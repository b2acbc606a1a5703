"""The root Mutation: one field per use case, each delegating to `schema.writes`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema import alignment, csv_import, member_writes, webhook_writes, writes
from schema import inputs as i
from schema import payloads as p
from schema.context import Info
from schema.payloads import guarded
from schema.permissions import Admin, Editor

Input = strawberry.argument(description="What to create or change.")
Id = Annotated[strawberry.ID, strawberry.argument(description="The global id of the target.")]
FromSequence = Annotated[
    int, strawberry.argument(description="The sequence of the first change to deliver again.")
]
ObjectiveId = Annotated[
    strawberry.ID, strawberry.argument(description="The objective whose override to clear.")
]
CycleId = Annotated[strawberry.ID, strawberry.argument(description="The cycle to carry it into.")]


@strawberry.type(description="Everything that can be changed. Refusals come back as userErrors.")
class Mutation:
    @strawberry.mutation(
        description="Create an organization with a unique, permanent slug.",
        permission_classes=[Admin],
    )
    async def organization_create(
        self, info: Info, input: Annotated[i.OrganizationCreateInput, Input]
    ) -> p.OrganizationCreatePayload:
        return await guarded(
            info, p.OrganizationCreatePayload, writes.organization_create(info.context, input)
        )

    @strawberry.mutation(
        description="Change an organization's name, mission, vision or policy.",
        permission_classes=[Admin],
    )
    async def organization_update(
        self, info: Info, id: Id, input: Annotated[i.OrganizationUpdateInput, Input]
    ) -> p.OrganizationUpdatePayload:
        return await guarded(
            info, p.OrganizationUpdatePayload, writes.organization_update(info.context, id, input)
        )

    @strawberry.mutation(
        description="Import objectives and key results from CSV (README: CSV import and "
        "export): every row is reported (line, what it does, or why it is refused by column "
        "and code); the file is written as one change, or not at all when a row is refused or "
        "on a dry run. Importing the same file again changes nothing.",
        permission_classes=[Admin],
    )
    async def organization_import_csv(
        self, info: Info, input: Annotated[csv_import.OrganizationImportCsvInput, Input]
    ) -> csv_import.OrganizationImportCsvPayload:
        return await guarded(
            info,
            csv_import.OrganizationImportCsvPayload,
            csv_import.organization_import_csv(info.context, input),
        )

    @strawberry.mutation(
        description="Create a department (team) in an organization.", permission_classes=[Admin]
    )
    async def department_create(
        self, info: Info, input: Annotated[i.DepartmentCreateInput, Input]
    ) -> p.DepartmentCreatePayload:
        return await guarded(
            info, p.DepartmentCreatePayload, writes.department_create(info.context, input)
        )

    @strawberry.mutation(
        description="Create a YEAR cycle with its four quarters, or a MONTH inside a year.",
        permission_classes=[Admin],
    )
    async def cycle_create(
        self, info: Info, input: Annotated[i.CycleCreateInput, Input]
    ) -> p.CycleCreatePayload:
        return await guarded(info, p.CycleCreatePayload, writes.cycle_create(info.context, input))

    @strawberry.mutation(
        description="Close a cycle and those inside it: each key result's and objective's "
        "score is frozen (its progress rounded to 2 decimals, half up) and no more changes "
        "are taken.",
        permission_classes=[Admin],
    )
    async def cycle_close(self, info: Info, id: Id) -> p.CycleClosePayload:
        return await guarded(info, p.CycleClosePayload, writes.cycle_close(info.context, id))

    @strawberry.mutation(
        description="Create an objective: the year's global objective, or one serving a parent.",
        permission_classes=[Editor],
    )
    async def objective_create(
        self, info: Info, input: Annotated[i.ObjectiveCreateInput, Input]
    ) -> p.ObjectiveCreatePayload:
        return await guarded(
            info, p.ObjectiveCreatePayload, writes.objective_create(info.context, input)
        )

    @strawberry.mutation(
        description="Change an objective; moving it keeps it inside its year.",
        permission_classes=[Editor],
    )
    async def objective_update(
        self, info: Info, id: Id, input: Annotated[i.ObjectiveUpdateInput, Input]
    ) -> p.ObjectiveUpdatePayload:
        return await guarded(
            info, p.ObjectiveUpdatePayload, writes.objective_update(info.context, id, input)
        )

    @strawberry.mutation(
        description="Delete an objective without children, with its key results and plan.",
        permission_classes=[Editor],
    )
    async def objective_delete(self, info: Info, id: Id) -> p.ObjectiveDeletePayload:
        return await guarded(
            info, p.ObjectiveDeletePayload, writes.objective_delete(info.context, id)
        )

    @strawberry.mutation(
        description="Set an objective's progress by hand, with a reason and an optional expiry: "
        "the objective, and every rollup above it, answers the override until it expires or is "
        "cleared; its explanation shows who set it, when, why, and the computed value beside it.",
        permission_classes=[Editor],
    )
    async def objective_progress_override(
        self, info: Info, input: Annotated[i.ObjectiveProgressOverrideInput, Input]
    ) -> p.ObjectiveProgressOverridePayload:
        return await guarded(
            info,
            p.ObjectiveProgressOverridePayload,
            writes.objective_progress_override(info.context, input),
        )

    @strawberry.mutation(
        description="Clear the override of an objective's progress: it answers its computed "
        "progress again (the override stays in its history).",
        permission_classes=[Editor],
    )
    async def objective_progress_override_clear(
        self, info: Info, objective_id: ObjectiveId
    ) -> p.ObjectiveProgressOverrideClearPayload:
        return await guarded(
            info,
            p.ObjectiveProgressOverrideClearPayload,
            writes.objective_progress_override_clear(info.context, objective_id),
            arguments=("objectiveId",),
        )

    @strawberry.mutation(
        description="Create a measurable key result of an objective.", permission_classes=[Editor]
    )
    async def key_result_create(
        self, info: Info, input: Annotated[i.KeyResultCreateInput, Input]
    ) -> p.KeyResultCreatePayload:
        return await guarded(
            info, p.KeyResultCreatePayload, writes.key_result_create(info.context, input)
        )

    @strawberry.mutation(
        description="Change a key result of an open cycle.", permission_classes=[Editor]
    )
    async def key_result_update(
        self, info: Info, id: Id, input: Annotated[i.KeyResultUpdateInput, Input]
    ) -> p.KeyResultUpdatePayload:
        return await guarded(
            info, p.KeyResultUpdatePayload, writes.key_result_update(info.context, id, input)
        )

    @strawberry.mutation(
        description="Delete a key result with its check-ins.", permission_classes=[Editor]
    )
    async def key_result_delete(self, info: Info, id: Id) -> p.KeyResultDeletePayload:
        return await guarded(
            info, p.KeyResultDeletePayload, writes.key_result_delete(info.context, id)
        )

    @strawberry.mutation(
        description="Make a key result wait on an upstream one; loops are refused.",
        permission_classes=[Editor],
    )
    async def key_result_dependency_add(
        self, info: Info, input: Annotated[i.KeyResultDependencyAddInput, Input]
    ) -> p.KeyResultDependencyAddPayload:
        return await guarded(
            info,
            p.KeyResultDependencyAddPayload,
            writes.key_result_dependency_add(info.context, input),
        )

    @strawberry.mutation(
        description=(
            "Remove a dependency between key results; NOT_FOUND when the key result does not"
            " depend on `dependsOnId`."
        ),
        permission_classes=[Editor],
    )
    async def key_result_dependency_remove(
        self, info: Info, input: Annotated[i.KeyResultDependencyRemoveInput, Input]
    ) -> p.KeyResultDependencyRemovePayload:
        return await guarded(
            info,
            p.KeyResultDependencyRemovePayload,
            writes.key_result_dependency_remove(info.context, input),
        )

    @strawberry.mutation(
        description="Make a key result count in another objective of its year too (of any "
        "department), with the link's own weight: DUPLICATE when it serves that objective "
        "already (its own included; the same weight again is a retry, and changes nothing), "
        "CYCLE_MISMATCH across years.",
        permission_classes=[Editor],
    )
    async def key_result_align(
        self, info: Info, input: Annotated[alignment.KeyResultAlignInput, Input]
    ) -> alignment.KeyResultAlignPayload:
        return await guarded(
            info,
            alignment.KeyResultAlignPayload,
            alignment.key_result_align(info.context, input),
        )

    @strawberry.mutation(
        description="Stop a key result counting in an objective it was aligned with: NOT_FOUND "
        "when it was not aligned with it, INVALID_VALUE for its own objective (it serves its "
        "home for as long as it exists).",
        permission_classes=[Editor],
    )
    async def key_result_unalign(
        self, info: Info, input: Annotated[alignment.KeyResultUnalignInput, Input]
    ) -> alignment.KeyResultUnalignPayload:
        return await guarded(
            info,
            alignment.KeyResultUnalignPayload,
            alignment.key_result_unalign(info.context, input),
        )

    @strawberry.mutation(
        description="Record a key result's value at a time; idempotent with `idempotencyKey`.",
        permission_classes=[Editor],
    )
    async def check_in_create(
        self, info: Info, input: Annotated[i.CheckInCreateInput, Input]
    ) -> p.CheckInCreatePayload:
        return await guarded(
            info, p.CheckInCreatePayload, writes.check_in_create(info.context, input)
        )

    @strawberry.mutation(
        description="Delete a check-in recorded by mistake; the current value is recomputed.",
        permission_classes=[Editor],
    )
    async def check_in_delete(self, info: Info, id: Id) -> p.CheckInDeletePayload:
        return await guarded(info, p.CheckInDeletePayload, writes.check_in_delete(info.context, id))

    @strawberry.mutation(
        description="Add a step at the end of an objective's action plan.",
        permission_classes=[Editor],
    )
    async def action_step_add(
        self, info: Info, input: Annotated[i.ActionStepAddInput, Input]
    ) -> p.ActionStepAddPayload:
        return await guarded(
            info, p.ActionStepAddPayload, writes.action_step_add(info.context, input)
        )

    @strawberry.mutation(
        description="Change, complete or move an action step.", permission_classes=[Editor]
    )
    async def action_step_update(
        self, info: Info, id: Id, input: Annotated[i.ActionStepUpdateInput, Input]
    ) -> p.ActionStepUpdatePayload:
        return await guarded(
            info, p.ActionStepUpdatePayload, writes.action_step_update(info.context, id, input)
        )

    @strawberry.mutation(
        description="Create an initiative with its cost, expected value and key results.",
        permission_classes=[Editor],
    )
    async def initiative_create(
        self, info: Info, input: Annotated[i.InitiativeCreateInput, Input]
    ) -> p.InitiativeCreatePayload:
        return await guarded(
            info, p.InitiativeCreatePayload, writes.initiative_create(info.context, input)
        )

    @strawberry.mutation(
        description="Add a person to an organization (DUPLICATE when the email is taken).",
        permission_classes=[Admin],
    )
    async def member_invite(
        self, info: Info, input: Annotated[i.MemberInviteInput, Input]
    ) -> p.MemberInvitePayload:
        return await guarded(
            info, p.MemberInvitePayload, member_writes.member_invite(info.context, input)
        )

    @strawberry.mutation(
        description="Change a member's name, email or role, or bring a deactivated one back.",
        permission_classes=[Admin],
    )
    async def member_update(
        self, info: Info, id: Id, input: Annotated[i.MemberUpdateInput, Input]
    ) -> p.MemberUpdatePayload:
        return await guarded(
            info, p.MemberUpdatePayload, member_writes.member_update(info.context, id, input)
        )

    @strawberry.mutation(
        description="Deactivate a member: they can no longer sign in nor be given OKRs; what "
        "they own stays theirs, flagged OWNER_INACTIVE by the health report.",
        permission_classes=[Admin],
    )
    async def member_deactivate(self, info: Info, id: Id) -> p.MemberDeactivatePayload:
        return await guarded(
            info, p.MemberDeactivatePayload, member_writes.member_deactivate(info.context, id)
        )

    @strawberry.mutation(
        description="Link an initiative to a key result it serves.", permission_classes=[Editor]
    )
    async def initiative_link(
        self, info: Info, input: Annotated[i.InitiativeLinkInput, Input]
    ) -> p.InitiativeLinkPayload:
        return await guarded(
            info, p.InitiativeLinkPayload, writes.initiative_link(info.context, input)
        )

    @strawberry.mutation(
        description="Unlink an initiative from a key result.", permission_classes=[Editor]
    )
    async def initiative_unlink(
        self, info: Info, input: Annotated[i.InitiativeUnlinkInput, Input]
    ) -> p.InitiativeUnlinkPayload:
        return await guarded(
            info, p.InitiativeUnlinkPayload, writes.initiative_unlink(info.context, input)
        )

    @strawberry.mutation(
        description="Carry an unfinished key result into a later cycle, from where it stands.",
        permission_classes=[Editor],
    )
    async def key_result_carry_over(
        self, info: Info, id: Id, cycle_id: CycleId
    ) -> p.KeyResultCarryOverPayload:
        return await guarded(
            info,
            p.KeyResultCarryOverPayload,
            writes.key_result_carry_over(info.context, id, cycle_id),
            arguments=("id", "cycleId"),
        )

    @strawberry.mutation(
        description="Create a webhook endpoint: it receives the organization's changes from "
        "now on as signed CloudEvents. The payload shows its secret, once.",
        permission_classes=[Admin],
    )
    async def webhook_create(
        self, info: Info, input: Annotated[i.WebhookCreateInput, Input]
    ) -> p.WebhookCreatePayload:
        return await guarded(
            info, p.WebhookCreatePayload, webhook_writes.webhook_create(info.context, input)
        )

    @strawberry.mutation(
        description="Change a webhook endpoint's URL, scopes or events, or rotate its secret "
        "(both secrets sign for 24 hours).",
        permission_classes=[Admin],
    )
    async def webhook_update(
        self, info: Info, id: Id, input: Annotated[i.WebhookUpdateInput, Input]
    ) -> p.WebhookUpdatePayload:
        return await guarded(
            info, p.WebhookUpdatePayload, webhook_writes.webhook_update(info.context, id, input)
        )

    @strawberry.mutation(
        description="Delete a webhook endpoint and its deliveries.", permission_classes=[Admin]
    )
    async def webhook_delete(self, info: Info, id: Id) -> p.WebhookDeletePayload:
        return await guarded(
            info, p.WebhookDeletePayload, webhook_writes.webhook_delete(info.context, id)
        )

    @strawberry.mutation(
        description="Send a webhook endpoint a test message now (once, signed like every "
        "message) and answer how it went.",
        permission_classes=[Admin],
    )
    async def webhook_test(self, info: Info, id: Id) -> p.WebhookTestPayload:
        return await guarded(
            info, p.WebhookTestPayload, webhook_writes.webhook_test(info.context, id)
        )

    @strawberry.mutation(
        description="Deliver a webhook endpoint's messages again from a change on (in order, "
        "with their original webhook-ids); also restarts a dead-lettered endpoint.",
        permission_classes=[Admin],
    )
    async def webhook_redeliver(
        self, info: Info, id: Id, from_sequence: FromSequence
    ) -> p.WebhookRedeliverPayload:
        return await guarded(
            info,
            p.WebhookRedeliverPayload,
            webhook_writes.webhook_redeliver(info.context, id, from_sequence),
            arguments=("id", "fromSequence"),
        )
