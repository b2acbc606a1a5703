"""ActionStep: one ordered step of an objective's action plan."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLResolveInfo

from schema.context import Context, Info
from schema.fastpath import hot
from schema.nodes import Node
from schema.types import member, objective
from schema.types.common import gid
from service.domain import model

if TYPE_CHECKING:
    from schema.types.member import Member
    from schema.types.objective import Objective


@strawberry.type(description="One ordered step of an objective's action plan.")
class ActionStep(Node):
    title: str = strawberry.field(description="What to do.")
    due_on: date | None = strawberry.field(description="When it is due.")
    done: bool = strawberry.field(description="Whether it is done.")
    position: int = strawberry.field(description="Its place in the plan, from 0.")
    domain: strawberry.Private[model.ActionStep]

    @classmethod
    def from_domain(cls, step: model.ActionStep) -> ActionStep:
        return cls(
            id=gid("ActionStep", step.org_id, step.id),
            title=step.title,
            due_on=step.due_on,
            done=step.done,
            position=step.position,
            domain=step,
        )

    @strawberry.field(
        description="The member who does it; null for nobody.",
        graphql_type=Annotated["Member", strawberry.lazy("schema.types.member")] | None,
    )
    @hot
    def owner(self, info: GraphQLResolveInfo[Context]) -> Member | Awaitable[Member | None] | None:
        return member.owner(info, self.domain.org_id, self.domain.owner_id)

    @strawberry.field(
        description="The objective whose plan it is part of.",
        graphql_type=Annotated["Objective", strawberry.lazy("schema.types.objective")],
    )
    def objective(self, info: Info) -> Objective | Awaitable[Objective]:
        s = self.domain
        return info.context.loaders.answer(
            s.org_id, lambda held: objective.Objective.from_domain(held.objectives[s.objective_id])
        )
