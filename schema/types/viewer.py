"""Viewer: who is asking."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Info
from schema.types import organization

if TYPE_CHECKING:
    from schema.types.organization import Organization


@strawberry.type(description="Who is asking: the authenticated subject, organization and role.")
class Viewer:
    subject: str | None = strawberry.field(description="The token's subject; null without auth.")
    role: str | None = strawberry.field(description="viewer, editor or admin; null without auth.")
    organization_id: strawberry.Private[str | None]

    @strawberry.field(
        description="The organization the token is for; null without auth.",
        graphql_type=Annotated["Organization", strawberry.lazy("schema.types.organization")] | None,
    )
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_id is None:
            return None
        return await organization.organization_or_none(info, self.organization_id)
