"""okrgraph as an Apollo Federation 2 subgraph (OKRGRAPH_FEDERATION=true).

Organization, Department, Objective and KeyResult become entities keyed by their global `id`;
other subgraphs can extend them and the router resolves them through `_entities`. The
federation keys are added when the subgraph schema is built, which a process does at start and
only in federation mode, so the plain schema (and schema/schema.graphql) stays free of them.

`_service { sdl }` hands out the whole schema, which introspection may be keeping from clients:
it answers only the router, a token whose `sub` is OKRGRAPH_FEDERATION_ROUTER (unset: nobody);
anyone else gets FORBIDDEN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.printer import print_schema
from strawberry.types.base import get_object_definition

from schema.context import Info
from schema.execution import Executor
from schema.mutations import Mutation
from schema.nodes import Node
from schema.queries import Query
from schema.subscriptions import Subscription
from schema.types import Department, KeyResult, Objective, Organization

ENTITIES = (Organization, Department, Objective, KeyResult)


def _keyed() -> None:
    """Mark the entity types with `@key(fields: "id")`, once per process."""
    for entity in ENTITIES:
        definition = get_object_definition(entity, strict=True)
        present = list(definition.directives or ())
        if not any(isinstance(d, Key) for d in present):
            definition.directives = [*present, Key(fields=FieldSet("id"), resolvable=True)]


@strawberry.type(name="_Service", description="This subgraph, as the federation router sees it.")
class Service:
    sdl: str = strawberry.field(description="The subgraph's schema in SDL.")


def _query(router: str | None) -> type:
    """Query, with a `_service` that answers only the token whose subject is `router`."""

    @strawberry.type(name="Query", description="Everything that can be read.")
    class Federated(Query):
        @strawberry.field(
            name="_service",
            description="The subgraph's schema, for the federation router only (FORBIDDEN "
            "to any other caller).",
        )
        def service(self, info: Info) -> Service:
            principal = info.context.principal
            if router is None or principal is None or principal.subject != router:
                raise GraphQLError(
                    "only the federation router may read the subgraph's schema",
                    extensions={"code": "FORBIDDEN"},
                )
            return Service(sdl=print_schema(info.schema))

    return Federated


def build_subgraph(
    *,
    types: Sequence[type],
    extensions: Sequence[Callable[[], SchemaExtension] | type[SchemaExtension]],
    schema_class: type[strawberry.federation.Schema],
    execution_context_class: type[Executor],
    router: str | None = None,
) -> strawberry.federation.Schema:
    """The federated schema: the same operations plus `_service` (for `router`, the subject
    of the router's token) and `_entities`."""
    _keyed()
    return schema_class(
        query=_query(router),
        mutation=Mutation,
        subscription=Subscription,
        types=[Node, *types],
        extensions=list(extensions),
        execution_context_class=execution_context_class,
    )


__all__ = ["ENTITIES", "build_subgraph"]
