"""Member: a person of an organization, who owns OKRs and signs in; "my OKRs" are theirs."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLResolveInfo

from schema import standings
from schema.context import Context, Info
from schema.nodes import Node
from schema.types import key_result, objective
from schema.types.common import AsOf, CycleArgument, cycle_argument, gid, snapshot_of
from schema.types.progress import Progress
from service.domain import model
from service.readmodel import Snapshot

if TYPE_CHECKING:
    from schema.types.key_result import KeyResult
    from schema.types.objective import Objective


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

    @strawberry.field(
        description="The key results they own in a cycle and the cycles inside it, by creation.",
        graphql_type=list[Annotated["KeyResult", strawberry.lazy("schema.types.key_result")]],
    )
    async def key_results(self, info: Info, cycle_id: CycleArgument) -> list[KeyResult]:
        held = await snapshot_of(info, self.domain.org_id)
        _, owned = held.owned_by(self.domain.id, cycle_argument(held, cycle_id).id)
        return [key_result.KeyResult.from_domain(k) for k in owned]

    @strawberry.field(
        description="The objectives they own in a cycle and the cycles inside it, by creation.",
        graphql_type=list[Annotated["Objective", strawberry.lazy("schema.types.objective")]],
    )
    async def objectives(self, info: Info, cycle_id: CycleArgument) -> list[Objective]:
        held = await snapshot_of(info, self.domain.org_id)
        owned, _ = held.owned_by(self.domain.id, cycle_argument(held, cycle_id).id)
        return [objective.Objective.from_domain(o) for o in owned]

    @strawberry.field(
        description='Their progress in a cycle ("my OKRs"): the weighted mean of the key '
        "results they own there and in the cycles inside it, weighted as a department's; its "
        "explanation lists each key result. Nothing to measure (value null) when they own none."
    )
    async def progress(
        self, info: Info, cycle_id: CycleArgument, as_of: AsOf = None
    ) -> Progress | None:
        held = await snapshot_of(info, self.domain.org_id)
        cycle = cycle_argument(held, cycle_id)
        return await standings.settled(
            standings.member_progress(
                info.context, self.domain.org_id, self.domain.id, cycle.year, cycle.id, as_of
            )
        )


def owner(
    info: Info | GraphQLResolveInfo[Context], org_id: str, member_id: str | None
) -> Member | Awaitable[Member | None] | None:
    """The member who owns something of the organization; None when nobody does."""
    if member_id is None:
        return None

    def found(snapshot: Snapshot) -> Member | None:
        held = snapshot.members.get(member_id or "")
        return Member.from_domain(held) if held is not None else None

    context: Context = info.context
    return context.loaders.answer(org_id, found)
