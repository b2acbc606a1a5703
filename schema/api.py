"""The schema: Query and Mutation over the use cases, and its SDL."""

from __future__ import annotations

import logging

import strawberry
import strawberry.federation
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from schema import fastpath
from schema.execution import configured
from schema.limits import Limits, extensions
from schema.mutations import Mutation
from schema.nodes import Node
from schema.observe import Observe
from schema.queries import Query
from schema.subscriptions import Subscription
from schema.types import (
    ActionStep,
    Change,
    CheckIn,
    Cycle,
    Department,
    Initiative,
    KeyResult,
    Objective,
    Organization,
    Webhook,
)
from service.domain.errors import DomainError

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
    Change,
    Webhook,
]


def unexpected(error: GraphQLError) -> bool:
    """Mask faults of the service; keep the errors raised on purpose (bad arguments, limits) and
    GraphQL's own parse and validation errors, which tell a client what it did wrong."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | DomainError)


MASKED_MESSAGE = "Internal server error"
_client_errors = logging.getLogger("schema.client_errors")


def _log(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    for error in errors:
        if unexpected(error):
            StrawberryLogger.error(error, execution_context)
        else:
            _client_errors.debug("client error: %s", error.message)


class OkrSchema(strawberry.Schema):
    """Logs the service's faults as errors, with their traceback; a client's mistakes (syntax,
    validation, variables, refused arguments) at DEBUG only: they are not the service's."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        _log(errors, execution_context)


class FederatedOkrSchema(strawberry.federation.Schema):
    """The subgraph schema, logging errors as `OkrSchema` does."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        _log(errors, execution_context)


class Masking(MaskErrors):
    """Faults become "Internal server error" with code INTERNAL_SERVER_ERROR, nothing more."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=unexpected, error_message=MASKED_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


def build_schema(
    limits: Limits | None = None,
    *,
    federation: bool = False,
    router: str | None = None,
    fast: bool = True,
) -> strawberry.Schema:
    """The schema with `limits` (the service's defaults unless given), unexpected errors
    masked, and a code on every error; with `federation`, an Apollo Federation 2 subgraph
    whose `_service` answers only the token whose subject is `router`.
    `fast` installs the resolvers a dashboard repeats unwrapped (`schema.fastpath`); without
    it every field runs through strawberry as written (the tests compare the two)."""
    chosen = limits or Limits()
    # ErrorCodes first: the outermost extension, it names what the others leave uncoded.
    codes, *limiting = extensions(chosen)
    executor = configured(deadline=chosen.timeout, quiet=not chosen.introspection)
    if federation:
        from schema.federation import build_subgraph  # it marks the entity types: only then

        built: strawberry.Schema = build_subgraph(
            types=NODE_TYPES,
            extensions=[Observe, codes, Masking, *limiting],
            schema_class=FederatedOkrSchema,
            execution_context_class=executor,
            router=router,
        )
    else:
        built = OkrSchema(
            query=Query,
            mutation=Mutation,
            subscription=Subscription,
            types=[Node, *NODE_TYPES],
            extensions=[Observe, codes, Masking, *limiting],
            execution_context_class=executor,
        )
    if fast:
        fastpath.install(built)
    return built


schema = build_schema()


def sdl() -> str:
    """The schema in SDL, as checked in at schema/schema.graphql."""
    return schema.as_str() + "\n"
