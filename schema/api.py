"""The schema: Query and Mutation over the use cases, and its SDL."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from schema.mutations import Mutation
from schema.nodes import Node
from schema.queries import Query
from schema.types import (
    ActionStep,
    CheckIn,
    Cycle,
    Department,
    Initiative,
    KeyResult,
    Objective,
    Organization,
)

# Every Node type, so `node(id:)` can return any of them even when no field names it directly.
NODE_TYPES = [
    Organization,
    Department,
    Cycle,
    Objective,
    KeyResult,
    CheckIn,
    ActionStep,
    Initiative,
]


def unexpected(error: GraphQLError) -> bool:
    """Mask faults of the service; keep the errors raised on purpose (bad arguments, limits) and
    GraphQL's own parse and validation errors, which tell a client what it did wrong."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def _masking() -> MaskErrors:
    return MaskErrors(should_mask_error=unexpected)


def build_schema() -> strawberry.Schema:
    """The schema, with unexpected errors masked: a client sees only its own mistakes."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[Node, *NODE_TYPES],
        extensions=[_masking],
    )


schema = build_schema()


def sdl() -> str:
    """The schema in SDL, as checked in at schema/schema.graphql."""
    return schema.as_str() + "\n"
