"""What the object types share: argument annotations, global ids, pages of a snapshot's lists,
and the lookups of ids given as arguments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Protocol, TypeVar, cast

import strawberry
from graphql import GraphQLError

from schema.context import Info
from schema.ids import to_global_id
from schema.nodes import argument_id
from schema.standings import AS_OF
from schema.tracking import SeriesInterval
from service.domain import model
from service.readmodel import Snapshot
from service.store.interface import Page

Year = Annotated[int, strawberry.argument(description="The calendar year, e.g. 2027.")]
From = Annotated[datetime, strawberry.argument(name="from", description="The first instant.")]
To = Annotated[datetime, strawberry.argument(description="The last instant (included).")]
Step = Annotated[SeriesInterval, strawberry.argument(description="The step between points.")]
AsOf = Annotated[datetime | None, strawberry.argument(description=AS_OF)]
First = Annotated[int | None, strawberry.argument(description="How many items: 0-100, default 20.")]
After = Annotated[str | None, strawberry.argument(description="The previous page's `endCursor`.")]
CycleArgument = Annotated[strawberry.ID, strawberry.argument(description="The cycle.")]

# A node's global id, typed as the ID it is: `to_global_id` itself, called directly (a response
# builds hundreds of nodes, and each wrapper call shows).
gid = cast(Callable[[str, str, str], strawberry.ID], to_global_id)


class Identified(Protocol):
    @property
    def id(self) -> str: ...


E = TypeVar("E", bound=Identified)

EMPTY: Page[object] = Page(items=[], total=0, has_next=False)


def key(item: Identified) -> str:
    """An item's cursor key: its id (lists are ordered by id)."""
    return item.id


def page_of(every: Sequence[E], *, after: str | None, limit: int) -> Page[E]:
    """One page of a list ordered by id: the items past `after`, at most `limit`."""
    rest = every if after is None else [item for item in every if item.id > after]
    return Page(items=list(rest[:limit]), total=len(every), has_next=len(rest) > limit)


def cycle_argument(snapshot: Snapshot, cycle_id: str) -> model.Cycle:
    """The cycle a `cycleId` argument names in the snapshot's organization; a GraphQL error
    otherwise."""
    found_id = argument_id(cycle_id, "Cycle", field="cycleId")
    found = snapshot.cycles.get(found_id.local_id) if found_id.org_id == snapshot.org_id else None
    if found is None:
        raise GraphQLError(
            "no cycle with this id in the organization", extensions={"code": "NOT_FOUND"}
        )
    return found


async def snapshot_of(info: Info, org_id: str) -> Snapshot:
    """The request's snapshot of an organization an object of the response belongs to."""
    found = await info.context.loaders.snapshot(org_id)
    if found is None:
        raise GraphQLError("the organization is gone", extensions={"code": "NOT_FOUND"})
    return found
