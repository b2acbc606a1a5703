"""Member: a person of an organization, who owns OKRs and signs in."""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry

from schema.context import Info
from schema.nodes import Node
from schema.types.common import gid
from service.domain import model
from service.readmodel import Snapshot


@strawberry.type(description="A person of the organization: who owns OKRs and who signs in.")
class Member(Node):
    name: str = strawberry.field(description="How the member is called.")
    email: str = strawberry.field(
        description="Their email, unique in the organization (compared case-insensitively)."
    )
    role: str = strawberry.field(description="viewer, editor or admin.")
    active: bool = strawberry.field(
        description="False once deactivated: they keep their history and what they own, but "
        "can no longer sign in nor be given OKRs."
    )
    domain: strawberry.Private[model.Member]

    @classmethod
    def from_domain(cls, member: model.Member) -> Member:
        return cls(
            id=gid("Member", member.org_id, member.id),
            name=member.name,
            email=member.email,
            role=member.role.value,
            active=member.active,
            domain=member,
        )


def owner(
    info: Info, org_id: str, member_id: str | None
) -> Member | Awaitable[Member | None] | None:
    """The member who owns something of the organization; None when nobody does."""
    if member_id is None:
        return None

    def found(snapshot: Snapshot) -> Member | None:
        held = snapshot.members.get(member_id or "")
        return Member.from_domain(held) if held is not None else None

    return info.context.loaders.answer(org_id, found)
