"""What the member mutations do: decode their ids and role, call their use case, build their
payload (see `schema.writes`)."""

from __future__ import annotations

import strawberry

from schema import inputs as i
from schema import payloads as p
from schema.context import Context
from schema.types import Member
from schema.writes import given, organizations_exist, target_id
from service.domain.errors import ErrorCode, InvalidInput
from service.domain.model import MemberRole
from service.okrs import members


def role(value: str, *, field: str = "role") -> MemberRole:
    """The role a text names (viewer, editor or admin, in any case); INVALID_VALUE otherwise."""
    cleaned = value.strip().lower()
    if cleaned not in {r.value for r in MemberRole}:
        raise InvalidInput(
            "role must be viewer, editor or admin", field=(field,), code=ErrorCode.INVALID_VALUE
        )
    return MemberRole(cleaned)


async def member_invite(ctx: Context, input: i.MemberInviteInput) -> p.MemberInvitePayload:
    org = target_id(ctx, input.organization_id, "Organization", field="organizationId")
    await organizations_exist(ctx, org)
    made = await members.invite_member(
        writer=ctx.writer,
        now=ctx.now,
        actor=ctx.subject,
        org_id=org.org_id,
        name=input.name,
        email=input.email,
        role=role(input.role),
        subject=input.subject,
    )
    return p.MemberInvitePayload(member=Member.from_domain(made))


async def member_update(
    ctx: Context, id: strawberry.ID, input: i.MemberUpdateInput
) -> p.MemberUpdatePayload:
    target = target_id(ctx, id, "Member", field="id")
    given_role = given(input.role)
    updated = await members.update_member(
        writer=ctx.writer,
        now=ctx.now,
        actor=ctx.subject,
        org_id=target.org_id,
        member_id=target.local_id,
        name=given(input.name),
        email=given(input.email),
        role=role(given_role) if given_role is not None else None,
        active=given(input.active),
    )
    return p.MemberUpdatePayload(member=Member.from_domain(updated))


async def member_deactivate(ctx: Context, id: strawberry.ID) -> p.MemberDeactivatePayload:
    target = target_id(ctx, id, "Member", field="id")
    done = await members.deactivate_member(
        writer=ctx.writer,
        now=ctx.now,
        actor=ctx.subject,
        org_id=target.org_id,
        member_id=target.local_id,
    )
    return p.MemberDeactivatePayload(member=Member.from_domain(done))
