"""Initiative: an action that serves key results, with a cost and an expected value."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLResolveInfo

from schema.context import Context, Info
from schema.fastpath import hot
from schema.nodes import Node
from schema.types import key_result, member
from schema.types.common import gid
from service.domain import model

if TYPE_CHECKING:
    from schema.types.key_result import KeyResult
    from schema.types.member import Member


@strawberry.type(description="An action serving key results, with a cost and expected value.")
class Initiative(Node):
    title: str = strawberry.field(description="What it is.")
    cost: float = strawberry.field(description="What it costs.")
    expected_value: float = strawberry.field(description="What it is expected to bring.")
    roi: float | None = strawberry.field(
        description="(expectedValue - cost) / cost; null when it costs nothing."
    )
    aligned: bool = strawberry.field(description="Whether it serves at least one key result.")
    domain: strawberry.Private[model.Initiative]

    @classmethod
    def from_domain(cls, initiative: model.Initiative) -> Initiative:
        return cls(
            id=gid("Initiative", initiative.org_id, initiative.id),
            title=initiative.title,
            cost=initiative.cost,
            expected_value=initiative.expected_value,
            roi=initiative.roi,
            aligned=initiative.aligned,
            domain=initiative,
        )

    @strawberry.field(
        description="The member who answers for it; null for nobody.",
        graphql_type=Annotated["Member", strawberry.lazy("schema.types.member")] | None,
    )
    @hot
    def owner(self, info: GraphQLResolveInfo[Context]) -> Member | Awaitable[Member | None] | None:
        return member.owner(info, self.domain.org_id, self.domain.owner_id)

    @strawberry.field(
        description="The key results it serves.",
        graphql_type=list[Annotated["KeyResult", strawberry.lazy("schema.types.key_result")]],
    )
    def key_results(self, info: Info) -> list[KeyResult] | Awaitable[list[KeyResult]]:
        i = self.domain
        return info.context.loaders.answer(
            i.org_id,
            lambda s: [
                key_result.KeyResult.from_domain(s.key_results[k])
                for k in i.key_result_ids
                if k in s.key_results
            ],
        )
