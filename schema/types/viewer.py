"""Viewer: who is asking."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Info
from schema.types import member, organization

if TYPE_CHECKING:
    from schema.types.member import Member
    from schema.types.organization import Organization


@strawberry.type(description="Who is asking: the authenticated subject, organization and role.")
class Viewer:
    subject: str | None = strawberry.field(description="The token's subject; null without auth.")
    role: str | None = strawberry.field(description="viewer, editor or admin; null without auth.")
    organization_id: strawberry.Private[str | None]
    member_id: strawberry.Private[str | None] = None

    @strawberry.field(
        description="The organization the token is for; null without auth.",
        graphql_type=Annotated["Organization", strawberry.lazy("schema.types.organization")] | None,
    )
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_id is None:
            return None
        return await organization.organization_or_none(info, self.organization_id)

    @strawberry.field(
        description="The member the token's subject is in its organization (made on the "
        "subject's first request); null without auth.",
        graphql_type=Annotated["Member", strawberry.lazy("schema.types.member")] | None,
    )
    async def member(self, info: Info) -> Member | None:
        if self.organization_id is None:
            return None
        found = member.owner(info, self.organization_id, self.member_id)
        return found if not isinstance(found, Awaitable) else await found
