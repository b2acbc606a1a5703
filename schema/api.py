"""The schema: Query and Mutation over the use cases, and its SDL."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

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


MASKED_MESSAGE = "Internal server error"
_client_errors = logging.getLogger("schema.client_errors")


class OkrSchema(strawberry.Schema):
    """Logs the service's faults as errors, with their traceback; a client's mistakes (syntax,
    validation, variables, refused arguments) at DEBUG only: they are not the service's."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if unexpected(error):
                StrawberryLogger.error(error, execution_context)
            else:
                _client_errors.debug("client error: %s", error.message)


def _masking() -> MaskErrors:
    return MaskErrors(should_mask_error=unexpected, error_message=MASKED_MESSAGE)


def build_schema() -> strawberry.Schema:
    """The schema, with unexpected errors masked: a client sees only its own mistakes."""
    return OkrSchema(
        query=Query,
        mutation=Mutation,
        types=[Node, *NODE_TYPES],
        extensions=[_masking],
    )


schema = build_schema()


def sdl() -> str:
    """The schema in SDL, as checked in at schema/schema.graphql."""
    return schema.as_str() + "\n"
