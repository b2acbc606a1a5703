"""Mutation payloads: the object changed (null when refused) and `userErrors`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import strawberry

from schema.context import Info
from schema.enums import UserErrorCode
from schema.types import (
    ActionStep,
    CheckIn,
    Cycle,
    Department,
    Initiative,
    KeyResult,
    Member,
    Objective,
    Organization,
    Webhook,
    WebhookDelivery,
)
from service.domain.errors import DomainError, StoreUnavailable


@strawberry.type(description="Why a mutation was refused: nothing was written.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='The path of the input field at fault, e.g. ["input", "title"].'
    )
    message: str = strawberry.field(description="What is wrong, for people.")
    code: UserErrorCode = strawberry.field(description="What is wrong, for programs.")


def _errors() -> list[UserError]:
    return []


ERRORS = "Why the mutation was refused; empty when it succeeded."


class _Payload(Protocol):
    user_errors: list[UserError]


P = TypeVar("P", bound=_Payload)


async def guarded(
    info: Info,
    payload: Callable[[], P],
    action: Awaitable[P],
    *,
    arguments: tuple[str, ...] = ("id",),
) -> P:
    """Run a mutation; a domain error becomes an empty payload with one userError. Fields that
    name a top-level argument (`arguments`) are reported as such; the rest under `input`."""
    try:
        done = await action
    except StoreUnavailable:
        raise  # not the client's doing: a top-level error (code STORE_UNAVAILABLE), retry later
    except DomainError as error:
        refused = payload()
        path = list(error.field)
        if path and path[0] not in arguments:
            path = ["input", *path]
        refused.user_errors = [
            UserError(
                field=path or None, message=error.message, code=UserErrorCode(error.code.value)
            )
        ]
        return refused
    return done


@strawberry.type(description="The result of organizationCreate.")
class OrganizationCreatePayload:
    organization: Organization | None = strawberry.field(default=None, description="Created.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of organizationUpdate.")
class OrganizationUpdatePayload:
    organization: Organization | None = strawberry.field(default=None, description="Updated.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of departmentCreate.")
class DepartmentCreatePayload:
    department: Department | None = strawberry.field(default=None, description="Created.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of cycleCreate.")
class CycleCreatePayload:
    cycle: Cycle | None = strawberry.field(
        default=None, description="The year (its quarters are its `children`) or the month."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of cycleClose.")
class CycleClosePayload:
    cycle: Cycle | None = strawberry.field(
        default=None, description="The closed cycle; its objectives and key results have scores."
    )
    closed_cycles: list[Cycle] = strawberry.field(
        default_factory=list, description="Every cycle closed: this one and those inside it."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of objectiveCreate.")
class ObjectiveCreatePayload:
    objective: Objective | None = strawberry.field(default=None, description="Created.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of objectiveUpdate.")
class ObjectiveUpdatePayload:
    objective: Objective | None = strawberry.field(default=None, description="Updated.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of objectiveDelete.")
class ObjectiveDeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the deleted objective."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of objectiveProgressOverride.")
class ObjectiveProgressOverridePayload:
    objective: Objective | None = strawberry.field(
        default=None, description="The objective, answering the override."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of objectiveProgressOverrideClear.")
class ObjectiveProgressOverrideClearPayload:
    objective: Objective | None = strawberry.field(
        default=None, description="The objective, answering its computed progress again."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of keyResultCreate.")
class KeyResultCreatePayload:
    key_result: KeyResult | None = strawberry.field(default=None, description="Created.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of keyResultUpdate.")
class KeyResultUpdatePayload:
    key_result: KeyResult | None = strawberry.field(default=None, description="Updated.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of keyResultDelete.")
class KeyResultDeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the deleted key result."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of keyResultDependencyAdd.")
class KeyResultDependencyAddPayload:
    key_result: KeyResult | None = strawberry.field(
        default=None, description="The downstream key result, with its new `dependsOn`."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of keyResultDependencyRemove.")
class KeyResultDependencyRemovePayload:
    key_result: KeyResult | None = strawberry.field(
        default=None, description="The downstream key result, with its new `dependsOn`."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of keyResultCarryOver.")
class KeyResultCarryOverPayload:
    key_result: KeyResult | None = strawberry.field(
        default=None, description="The new key result in the later cycle."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of checkInCreate.")
class CheckInCreatePayload:
    check_in: CheckIn | None = strawberry.field(
        default=None, description="The check-in stored (the first one, for a retried request)."
    )
    created: bool = strawberry.field(
        default=False, description="False when an earlier request with the same key stored it."
    )
    key_result: KeyResult | None = strawberry.field(
        default=None, description="The key result, with its current value and progress."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of checkInDelete.")
class CheckInDeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the deleted check-in."
    )
    key_result: KeyResult | None = strawberry.field(
        default=None, description="The key result, its current value recomputed."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of actionStepAdd.")
class ActionStepAddPayload:
    action_step: ActionStep | None = strawberry.field(default=None, description="Added.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of actionStepUpdate.")
class ActionStepUpdatePayload:
    action_step: ActionStep | None = strawberry.field(default=None, description="Updated.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of initiativeCreate.")
class InitiativeCreatePayload:
    initiative: Initiative | None = strawberry.field(default=None, description="Created.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of memberInvite.")
class MemberInvitePayload:
    member: Member | None = strawberry.field(default=None, description="Invited.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of memberUpdate.")
class MemberUpdatePayload:
    member: Member | None = strawberry.field(default=None, description="Changed.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of memberDeactivate.")
class MemberDeactivatePayload:
    member: Member | None = strawberry.field(default=None, description="Deactivated.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of initiativeLink.")
class InitiativeLinkPayload:
    initiative: Initiative | None = strawberry.field(default=None, description="Linked.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of initiativeUnlink.")
class InitiativeUnlinkPayload:
    initiative: Initiative | None = strawberry.field(default=None, description="Unlinked.")
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of webhookCreate.")
class WebhookCreatePayload:
    webhook: Webhook | None = strawberry.field(default=None, description="Created.")
    secret: str | None = strawberry.field(
        default=None, description="The signing secret: shown here only, keep it."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of webhookUpdate.")
class WebhookUpdatePayload:
    webhook: Webhook | None = strawberry.field(default=None, description="Updated.")
    secret: str | None = strawberry.field(
        default=None,
        description="The new signing secret when it was rotated (shown here only); else null.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of webhookDelete.")
class WebhookDeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the deleted endpoint."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of webhookTest.")
class WebhookTestPayload:
    delivery: WebhookDelivery | None = strawberry.field(
        default=None, description="The test message and how the endpoint answered it."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)


@strawberry.type(description="The result of webhookRedeliver.")
class WebhookRedeliverPayload:
    webhook: Webhook | None = strawberry.field(
        default=None, description="The endpoint, delivering again from the sequence asked."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=_errors, description=ERRORS)
