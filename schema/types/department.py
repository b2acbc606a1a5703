"""Department: a team that owns objectives and key results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema import standings, tracking
from schema.connections import Connection, connection, window
from schema.context import Info
from schema.nodes import Node, load_node
from schema.tracking import ProgressPoint
from schema.types import key_result, organization
from schema.types.common import (
    After,
    AsOf,
    CycleArgument,
    First,
    From,
    Step,
    To,
    cycle_argument,
    gid,
    key,
    page_of,
    snapshot_of,
)
from schema.types.progress import Progress
from service.domain import model

if TYPE_CHECKING:
    from schema.types.key_result import KeyResult
    from schema.types.organization import Organization


@strawberry.type(description="A team that owns objectives and key results (Marketing, Sales).")
class Department(Node):
    name: str = strawberry.field(description="Unique within the organization.")
    domain: strawberry.Private[model.Department]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Department | None:
        """The entity a federation router asks for by `id` (Apollo Federation)."""
        found = await load_node(info, id)
        return found if isinstance(found, Department) else None

    @classmethod
    def from_domain(cls, department: model.Department) -> Department:
        return cls(
            id=gid("Department", department.org_id, department.id),
            name=department.name,
            domain=department,
        )

    @strawberry.field(
        description="The organization it belongs to.",
        graphql_type=Annotated["Organization", strawberry.lazy("schema.types.organization")],
    )
    async def organization(self, info: Info) -> Organization:
        held = await snapshot_of(info, self.domain.org_id)
        return organization.Organization.from_domain(held.organization)

    @strawberry.field(
        description="Its progress in a cycle: the weighted mean of the key results it owns there "
        "(and in the cycles inside it)."
    )
    async def progress(self, info: Info, cycle_id: CycleArgument, as_of: AsOf = None) -> Progress:
        held = await snapshot_of(info, self.domain.org_id)
        cycle = cycle_argument(held, cycle_id)
        return await standings.settled(
            standings.department_progress(
                info.context, self.domain.org_id, self.domain.id, cycle.year, cycle.id, as_of
            )
        )

    @strawberry.field(description="Its progress in a cycle at each instant from `from` to `to`.")
    async def progress_series(
        self, info: Info, cycle_id: CycleArgument, from_: From, to: To, interval: Step
    ) -> list[ProgressPoint]:
        held = await snapshot_of(info, self.domain.org_id)
        cycle = cycle_argument(held, cycle_id)
        pick = standings.department_pick(self.domain.id, cycle.id)
        return await tracking.series(
            info, self.domain.org_id, cycle.year, from_, to, interval, pick
        )

    @strawberry.field(
        description="The key results it owns, by creation; in a cycle if given.",
        graphql_type=Connection[Annotated["KeyResult", strawberry.lazy("schema.types.key_result")]],
    )
    async def key_results(
        self,
        info: Info,
        cycle_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only those in this cycle and the cycles inside it."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[KeyResult]:
        size, after_id = window(first, after)
        held = await snapshot_of(info, self.domain.org_id)
        inside = None
        if cycle_id is not None:
            inside = held.cycles_inside(cycle_argument(held, cycle_id).id)
        owned = [
            k
            for k in held.key_result_list()
            if k.department_id == self.domain.id and (inside is None or k.cycle_id in inside)
        ]
        page = page_of(owned, after=after_id, limit=size)
        return connection(page, key_result.KeyResult.from_domain, key, after=after)
