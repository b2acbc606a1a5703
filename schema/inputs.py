"""Mutation inputs: `<Mutation>Input`. Fields left out of an update input are left unchanged;
for `parentId` and `departmentId` an explicit null clears the link."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from schema.enums import KeyResultKind
from schema.types.webhook import WebhookEventType

UNSET = strawberry.UNSET


@strawberry.input(description="Policy settings to change; those left out stay as they are.")
class PolicyInput:
    on_track_ratio: float | None = strawberry.field(
        default=UNSET, description="ON_TRACK from this share of expected progress, in (0, 1]."
    )
    at_risk_ratio: float | None = strawberry.field(
        default=UNSET, description="AT_RISK from this share, in [0, onTrackRatio]."
    )
    max_objectives_per_team: int | None = strawberry.field(
        default=UNSET,
        description="The most objectives a team may have in a quarter, its months included (≥ 1).",
    )
    min_objectives_per_team: int | None = strawberry.field(
        default=UNSET, description="The fewest objectives a team should have (≤ the most)."
    )
    roi_threshold: float | None = strawberry.field(
        default=UNSET, description="Initiatives below this return are discard candidates."
    )
    stale_after_days: int | None = strawberry.field(
        default=UNSET,
        description="Days a key result without a check-in stays PENDING after its cycle starts "
        "or it is created, and a check-in stays fresh (1-366).",
    )
    check_in_cadence_days: int | None = strawberry.field(
        default=UNSET,
        description="How often each key result should be checked in, in days (1-366): one "
        "silent for longer is due.",
    )


@strawberry.input(description="A new organization.")
class OrganizationCreateInput:
    name: str = strawberry.field(description="Its name (1-500 characters).")
    slug: str = strawberry.field(
        description="Unique permanent short name: lowercase letters, digits and dashes."
    )
    mission: str | None = strawberry.field(default=None, description="Why it exists.")
    vision: str | None = strawberry.field(default=None, description="Where it is heading.")


@strawberry.input(description="Changes to an organization; its slug never changes.")
class OrganizationUpdateInput:
    name: str | None = strawberry.field(default=UNSET, description="A new name.")
    mission: str | None = strawberry.field(default=UNSET, description="A new mission.")
    vision: str | None = strawberry.field(default=UNSET, description="A new vision.")
    policy: PolicyInput | None = strawberry.field(
        default=UNSET, description="Policy settings to change."
    )


@strawberry.input(description="A new department (team).")
class DepartmentCreateInput:
    organization_id: strawberry.ID = strawberry.field(description="Its organization.")
    name: str = strawberry.field(description="Unique within the organization.")


@strawberry.input(description="A new cycle: a year with its four quarters, or a month of a year.")
class CycleCreateInput:
    organization_id: strawberry.ID = strawberry.field(description="Its organization.")
    year: int = strawberry.field(description="The calendar year.")
    month: int | None = strawberry.field(
        default=None,
        description="1-12 for a MONTH cycle inside the (existing) year; leave out for the year.",
    )


@strawberry.input(description="A new objective.")
class ObjectiveCreateInput:
    cycle_id: strawberry.ID = strawberry.field(description="The cycle it belongs to.")
    title: str = strawberry.field(description="What to achieve (1-500 characters).")
    description: str | None = strawberry.field(default=None, description="More context.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The objective it serves; leave out only for the year's global objective.",
    )
    department_id: strawberry.ID | None = strawberry.field(
        default=None, description="The team that owns it."
    )
    owner: strawberry.ID | None = strawberry.field(
        default=None, description="The member who answers for it (an active member's id)."
    )
    weight: float = strawberry.field(default=1.0, description="Its weight in its parent (> 0).")


@strawberry.input(description="Changes to an objective.")
class ObjectiveUpdateInput:
    title: str | None = strawberry.field(default=UNSET, description="A new title.")
    description: str | None = strawberry.field(default=UNSET, description="A new description.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="A new parent in the same year; null makes it a root."
    )
    department_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="A new owning team; null for none."
    )
    owner: strawberry.ID | None = strawberry.field(
        default=UNSET, description="A new owner (an active member's id); null for none."
    )
    weight: float | None = strawberry.field(default=UNSET, description="A new weight (> 0).")
    lessons_learned: str | None = strawberry.field(
        default=UNSET, description="What the cycle taught, written at its retrospective."
    )


@strawberry.input(description="A new key result.")
class KeyResultCreateInput:
    objective_id: strawberry.ID = strawberry.field(description="The objective it measures.")
    title: str = strawberry.field(description="The result (1-500 characters).")
    kind: KeyResultKind | None = strawberry.field(
        default=None, description="How it is measured; inferred from start and target if left out."
    )
    unit: str | None = strawberry.field(default=None, description="What the numbers count.")
    start_value: float | None = strawberry.field(
        default=None, description="The value now (0 if left out)."
    )
    target_value: float | None = strawberry.field(
        default=None, description="The value to reach; required except for MILESTONE."
    )
    department_id: strawberry.ID | None = strawberry.field(
        default=None, description="The team that owns it."
    )
    owner: strawberry.ID | None = strawberry.field(
        default=None, description="The member who answers for it (an active member's id)."
    )
    weight: float = strawberry.field(default=1.0, description="Its weight in its objective.")


@strawberry.input(description="Changes to a key result.")
class KeyResultUpdateInput:
    title: str | None = strawberry.field(default=UNSET, description="A new title.")
    kind: KeyResultKind | None = strawberry.field(default=UNSET, description="A new kind.")
    unit: str | None = strawberry.field(default=UNSET, description="A new unit.")
    start_value: float | None = strawberry.field(default=UNSET, description="A new start.")
    target_value: float | None = strawberry.field(default=UNSET, description="A new target.")
    department_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="A new owning team; null for none."
    )
    owner: strawberry.ID | None = strawberry.field(
        default=UNSET, description="A new owner (an active member's id); null for none."
    )
    weight: float | None = strawberry.field(default=UNSET, description="A new weight (> 0).")


@strawberry.input(description="A dependency to add: `keyResultId` waits on `dependsOnId`.")
class KeyResultDependencyAddInput:
    key_result_id: strawberry.ID = strawberry.field(description="The downstream key result.")
    depends_on_id: strawberry.ID = strawberry.field(description="The upstream key result.")


@strawberry.input(description="A dependency to remove.")
class KeyResultDependencyRemoveInput:
    key_result_id: strawberry.ID = strawberry.field(description="The downstream key result.")
    depends_on_id: strawberry.ID = strawberry.field(description="The upstream key result.")


@strawberry.input(description="A value of a key result, recorded at a time.")
class CheckInCreateInput:
    key_result_id: strawberry.ID = strawberry.field(description="The key result measured.")
    value: float = strawberry.field(description="Its value at `recordedAt`.")
    confidence: float | None = strawberry.field(
        default=None, description="Confidence in reaching the target, in [0, 1]."
    )
    note: str | None = strawberry.field(default=None, description="What happened.")
    recorded_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When the value was true: now if left out; the past back-fills history, back to the"
            " start of the key result's cycle (earlier is INVALID_VALUE: a value from before"
            " the cycle is its startValue)."
        ),
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A retried request with the same key returns the first check-in.",
    )


@strawberry.input(description="An objective's progress set by hand, with why and until when.")
class ObjectiveProgressOverrideInput:
    objective_id: strawberry.ID = strawberry.field(description="The objective.")
    value: float = strawberry.field(
        description="The progress it answers, in [0, 1] (the scale of Progress.value)."
    )
    reason: str = strawberry.field(description="Why it is set by hand (required).")
    expires_at: datetime | None = strawberry.field(
        default=None,
        description="When it stops holding by itself, with a time zone and in the future; "
        "left out: until cleared.",
    )


@strawberry.input(description="A new step of an objective's action plan, added at its end.")
class ActionStepAddInput:
    objective_id: strawberry.ID = strawberry.field(description="The objective.")
    title: str = strawberry.field(description="What to do.")
    owner: strawberry.ID | None = strawberry.field(
        default=None, description="The member who does it (an active member's id)."
    )
    due_on: date | None = strawberry.field(default=None, description="When it is due.")


@strawberry.input(description="Changes to an action step.")
class ActionStepUpdateInput:
    title: str | None = strawberry.field(default=UNSET, description="A new title.")
    owner: strawberry.ID | None = strawberry.field(
        default=UNSET, description="A new owner (an active member's id); null for none."
    )
    due_on: date | None = strawberry.field(default=UNSET, description="A new due date.")
    done: bool | None = strawberry.field(default=UNSET, description="Done or not.")
    position: int | None = strawberry.field(
        default=UNSET, description="A new place in the plan, from 0; the others shift."
    )


@strawberry.input(description="A new initiative.")
class InitiativeCreateInput:
    organization_id: strawberry.ID = strawberry.field(description="Its organization.")
    title: str = strawberry.field(description="What it is.")
    cost: float = strawberry.field(description="What it costs (≥ 0).")
    expected_value: float = strawberry.field(description="What it is expected to bring.")
    key_result_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="The key results it serves."
    )
    owner: strawberry.ID | None = strawberry.field(
        default=None, description="The member who answers for it (an active member's id)."
    )


@strawberry.input(description="A link between an initiative and a key result it serves.")
class InitiativeLinkInput:
    initiative_id: strawberry.ID = strawberry.field(description="The initiative.")
    key_result_id: strawberry.ID = strawberry.field(description="The key result.")


@strawberry.input(description="A link to remove between an initiative and a key result.")
class InitiativeUnlinkInput:
    initiative_id: strawberry.ID = strawberry.field(description="The initiative.")
    key_result_id: strawberry.ID = strawberry.field(description="The key result.")


@strawberry.input(
    description="A new webhook endpoint; it receives the changes written from now on."
)
class WebhookCreateInput:
    organization_id: strawberry.ID = strawberry.field(description="Its organization.")
    url: str = strawberry.field(
        description="Where to POST messages: http(s), to a host that resolves to public "
        "addresses (or one the allow-list names); redirects are not followed."
    )
    scope_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="The key results, objectives, cycles, departments or the organization to "
        "follow; empty: every scope.",
    )
    events: list[WebhookEventType] = strawberry.field(
        default_factory=lambda: [WebhookEventType.PROGRESS_CHANGED],
        description="What to receive (at least one).",
    )
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret, `whsec_` + base64 of 24-64 random bytes; left out: "
        "one is made and returned once.",
    )


@strawberry.input(description="Changes to a webhook endpoint; fields left out stay as they are.")
class WebhookUpdateInput:
    url: str | None = strawberry.field(default=UNSET, description="A new URL.")
    scope_ids: list[strawberry.ID] | None = strawberry.field(
        default=UNSET, description="New scopes to follow; empty: every scope."
    )
    events: list[WebhookEventType] | None = strawberry.field(
        default=UNSET, description="New events to receive."
    )
    secret: str | None = strawberry.field(
        default=UNSET,
        description="A new signing secret; the previous one keeps signing for 24 hours.",
    )
    rotate_secret: bool = strawberry.field(
        default=False,
        description="Make a new signing secret (returned once); the previous one keeps signing "
        "for 24 hours.",
    )


@strawberry.input(description="A person to add to an organization.")
class MemberInviteInput:
    organization_id: strawberry.ID = strawberry.field(description="Their organization.")
    name: str = strawberry.field(description="How they are called (≤ 200 characters).")
    email: str = strawberry.field(
        description="Their email: unique in the organization, compared case-insensitively."
    )
    role: str = strawberry.field(default="viewer", description="viewer, editor or admin.")
    subject: str | None = strawberry.field(
        default=None,
        description="The token subject (`sub`) they will sign in as, when known; else their "
        "first sign-in with a subject equal to their email claims them.",
    )


@strawberry.input(description="Changes to a member; fields left out stay as they are.")
class MemberUpdateInput:
    name: str | None = strawberry.field(default=UNSET, description="A new name.")
    email: str | None = strawberry.field(default=UNSET, description="A new, unused email.")
    role: str | None = strawberry.field(default=UNSET, description="viewer, editor or admin.")
    active: bool | None = strawberry.field(
        default=UNSET, description="true brings a deactivated member back."
    )
