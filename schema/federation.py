"""okrgraph as an Apollo Federation 2 subgraph (OKRGRAPH_FEDERATION=true).

Organization, Department, Objective and KeyResult become entities keyed by their global `id`;
other subgraphs can extend them and the router resolves them through `_entities`. The
federation keys are added when the subgraph schema is built, which a process does at start and
only in federation mode, so the plain schema (and schema/schema.graphql) stays free of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types.base import get_object_definition

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


def build_subgraph(
    *,
    types: Sequence[type],
    extensions: Sequence[Callable[[], SchemaExtension] | type[SchemaExtension]],
    schema_class: type[strawberry.federation.Schema],
    execution_context_class: type[Executor],
) -> strawberry.federation.Schema:
    """The federated schema: the same operations plus `_service` and `_entities`."""
    _keyed()
    return schema_class(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Node, *types],
        extensions=list(extensions),
        execution_context_class=execution_context_class,
    )


__all__ = ["ENTITIES", "build_subgraph"]
