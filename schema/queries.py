"""The root Query: node lookups, the organizations, and who is asking."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry
from graphql import GraphQLError

from schema.connections import Connection, connection, window
from schema.context import Info
from schema.nodes import Node, argument_id, load_node
from schema.types import Organization, Viewer, organization_or_none
from service.domain import model

MAX_NODES = 100


def _org_key(org: model.Organization) -> str:
    return org.id


@strawberry.type(description="Everything that can be read.")
class Query:
    @strawberry.field(description="The object with this global id; null when there is none.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")],
    ) -> Node | None:
        return await load_node(info, id)

    @strawberry.field(
        description="The objects with these ids, in the same order; null for each unknown id."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="At most 100 global ids.")
        ],
    ) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise GraphQLError(
                f"at most {MAX_NODES} ids at once; got {len(ids)}",
                extensions={"code": "TOO_MANY_IDS"},
            )
        return list(await asyncio.gather(*(load_node(info, i) for i in ids)))

    @strawberry.field(description="Who is asking: the token's subject, role and organization.")
    def viewer(self, info: Info) -> Viewer:
        found = info.context.principal
        role = found.role.name.lower() if found else None
        return Viewer(
            subject=info.context.subject,
            role=role,
            organization_id=info.context.org_id,
            member_id=info.context.member_id,
        )

    @strawberry.field(description="The organization with this id; null when there is none.")
    async def organization(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Its global id.")],
    ) -> Organization | None:
        return await organization_or_none(info, argument_id(id, "Organization", field="id").org_id)

    @strawberry.field(description="The organization with this slug; null when there is none.")
    async def organization_by_slug(
        self, info: Info, slug: Annotated[str, strawberry.argument(description="Its slug.")]
    ) -> Organization | None:
        org_id = await info.context.reads.organization_id(slug)
        return await organization_or_none(info, org_id) if org_id is not None else None

    @strawberry.field(description="Every organization, by creation.")
    async def organizations(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="How many items: 0-100, default 20.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="The previous page's `endCursor`.")
        ] = None,
    ) -> Connection[Organization]:
        size, after_id = window(first, after)
        page = await info.context.store.list_organizations(after=after_id, limit=size)
        return connection(page, Organization.from_domain, _org_key, after=after)
