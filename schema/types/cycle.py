"""Cycle: a planning period (a year, a quarter of it, or a month of a quarter)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLResolveInfo

from schema import standings, tracking
from schema.connections import Connection
from schema.context import Context, Info
from schema.enums import CycleKind, cycle_kind_of
from schema.fastpath import hot
from schema.nodes import Node
from schema.tracking import ProgressPoint
from schema.types import objective
from schema.types.common import After, AsOf, First, From, Step, To, gid
from schema.types.progress import Progress
from service.domain import model
from service.readmodel import Snapshot

if TYPE_CHECKING:
    from schema.types.objective import Objective


@strawberry.type(description="A planning cycle: a YEAR, one of its QUARTERs, or a MONTH.")
class Cycle(Node):
    kind: CycleKind = strawberry.field(description="YEAR, QUARTER or MONTH.")
    label: str = strawberry.field(description="A short name: `2027`, `2027-Q1`, `2027-02`.")
    year: int = strawberry.field(description="The calendar year it lies in.")
    quarter: int | None = strawberry.field(description="1-4 for a quarter or a month in it.")
    month: int | None = strawberry.field(description="1-12 for a month.")
    starts_on: date = strawberry.field(description="Its first day.")
    ends_on: date = strawberry.field(description="Its last day (inclusive).")
    closed: bool = strawberry.field(description="Closed cycles are frozen, with scores.")
    closed_at: datetime | None = strawberry.field(description="When it was closed.")
    domain: strawberry.Private[model.Cycle]

    @classmethod
    def from_domain(cls, cycle: model.Cycle) -> Cycle:
        return cls(
            id=gid("Cycle", cycle.org_id, cycle.id),
            kind=cycle_kind_of(cycle.kind),
            label=cycle.label,
            year=cycle.year,
            quarter=cycle.quarter,
            month=cycle.month,
            starts_on=cycle.starts_on,
            ends_on=cycle.ends_on,
            closed=cycle.closed,
            closed_at=cycle.closed_at,
            domain=cycle,
        )

    @strawberry.field(
        description="The cycle that contains it (a quarter's year).",
        graphql_type=Annotated["Cycle", strawberry.lazy("schema.types.cycle")] | None,
    )
    def parent(self, info: Info) -> Cycle | Awaitable[Cycle | None] | None:
        parent_id = self.domain.parent_id
        if parent_id is None:
            return None

        def found(snapshot: Snapshot) -> Cycle | None:
            held = snapshot.cycles.get(parent_id)
            return Cycle.from_domain(held) if held else None

        return info.context.loaders.answer(self.domain.org_id, found)

    @strawberry.field(
        description="The cycles directly inside it, in time order.",
        graphql_type=list[Annotated["Cycle", strawberry.lazy("schema.types.cycle")]],
    )
    def children(self, info: Info) -> list[Cycle] | Awaitable[list[Cycle]]:
        own = self.domain.id
        return info.context.loaders.answer(
            self.domain.org_id, lambda s: [Cycle.from_domain(c) for c in s.cycle_children(own)]
        )

    @strawberry.field(
        graphql_type=Progress,
        description="Its progress: the weighted mean of its top-level objectives.",
    )
    @hot
    def progress(self, info: GraphQLResolveInfo[Context], as_of: AsOf = None) -> standings.Answer:
        c = self.domain
        return standings.cycle_progress(info.context, c.org_id, c.year, c.id, as_of)

    @strawberry.field(description="Its progress at each instant from `from` to `to`.")
    async def progress_series(
        self, info: Info, from_: From, to: To, interval: Step
    ) -> list[ProgressPoint]:
        c = self.domain
        return await tracking.series(
            info, c.org_id, c.year, from_, to, interval, lambda _, done: done.cycle(c.id)
        )

    @strawberry.field(
        description="Its objectives, by creation; of one department if given.",
        graphql_type=Connection[Annotated["Objective", strawberry.lazy("schema.types.objective")]],
    )
    async def objectives(
        self,
        info: Info,
        department_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this department's.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Objective]:
        own_id = gid("Cycle", self.domain.org_id, self.domain.id)
        return await objective.objective_connection(
            info, self.domain.org_id, own_id, department_id, first, after
        )
