"""Relay connections: `edges { cursor node }`, `nodes`, `pageInfo` and `totalCount`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry
from graphql import GraphQLError

from schema.ids import from_cursor, to_cursor
from service.domain.errors import DomainError
from service.store.interface import Page

T = TypeVar("T")
E = TypeVar("E")

DEFAULT_PAGE = 20
MAX_PAGE = 100


@strawberry.type(description="Where a page sits in its list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(
        description="Items come before this page (true when `after` was given)."
    )
    start_cursor: str | None = strawberry.field(description="The cursor of the first item.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last item: pass it as `after` for the next page."
    )


@strawberry.type(description="One item of a page, with the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque; pass as `after` to continue after it.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list that can grow, in a stable order.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of the page with cursors.")
    nodes: list[T] = strawberry.field(description="The items of the page, without cursors.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="How many items the whole list holds.")


def window(first: int | None, after: str | None) -> tuple[int, str | None]:
    """The page size and the local id to start after; a GraphQL error for values out of range."""
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE:
        raise GraphQLError(
            f"`first` must be between 0 and {MAX_PAGE}; got {size}",
            extensions={"code": "INVALID_PAGE_SIZE"},
        )
    try:
        return size, from_cursor(after)
    except DomainError as error:
        raise GraphQLError(error.message, extensions={"code": "INVALID_CURSOR"}) from error


def connection(
    page: Page[E], convert: Callable[[E], T], key: Callable[[E], str], *, after: str | None
) -> Connection[T]:
    """A connection over one page from the store."""
    nodes = [convert(item) for item in page.items]
    cursors = [to_cursor(key(item)) for item in page.items]
    return Connection(
        edges=[Edge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=after is not None,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
        total_count=page.total,
    )
