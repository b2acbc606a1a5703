"""The hot fields run their resolvers unwrapped (schema.fastpath): the same answers as through
strawberry's wrapper, and a field that stops qualifying is refused when the schema is built."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.permission import BasePermission

from schema.api import NODE_TYPES, OkrSchema, schema
from schema.context import Info, build_context
from schema.execution import Attribute
from schema.fastpath import hot, install
from schema.mutations import Mutation
from schema.nodes import Node
from schema.queries import Query
from schema.subscriptions import Subscription
from tests.schema.conftest import NOW, Client, World

BOARD = """
query Board($q1: ID!, $global: ID!) {
  q1: node(id: $q1) {
    ... on Cycle {
      progress { value status expected }
      before: progress(asOf: "2027-02-09T00:00:00Z") { value status }
      objectives { nodes {
        department { name }
        progress { value status explanation { formula inputs { label value } statusReason } }
        then: progress(asOf: "2027-02-11T00:00:00Z") { value status }
        keyResults {
          title
          progress { value attainment status blockedBy { id title } explanation { formula } }
          then: progress(asOf: "2027-02-11T00:00:00Z") { value }
        }
      } }
    }
  }
  global: node(id: $global) { ... on Objective { progress { value } keyResults { id } } }
  never: node(id: $q1) { ... on Cycle { progress(asOf: "1999-01-01T00:00:00Z") { value } } }
}
"""


async def test_the_unwrapped_fields_answer_as_the_wrapped_do(gql: Client, world: World) -> None:
    wrapped = OkrSchema(
        query=Query, mutation=Mutation, subscription=Subscription, types=[Node, *NODE_TYPES]
    )
    variables = {"q1": world.quarters[0], "global": world.global_objective}

    async def run(on: strawberry.Schema) -> Any:
        context = build_context(gql.store, clock=lambda: NOW)
        result = await on.execute(BOARD, variable_values=variables, context_value=context)
        return result.data, [(e.message, e.path) for e in result.errors or []]

    def resolver(of: strawberry.Schema) -> Any:
        kind = of._schema.get_type("KeyResult")
        assert isinstance(kind, GraphQLObjectType)
        return kind.fields["progress"].resolve

    assert resolver(schema) is not resolver(wrapped)
    unwrapped_data, unwrapped_errors = await run(schema)
    assert unwrapped_data["q1"]["objectives"]["nodes"]
    assert (unwrapped_data, unwrapped_errors) == await run(wrapped)


class Nobody(BasePermission):
    message = "no"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return False


@strawberry.input
class Window:
    days: int


@strawberry.type
class Guarded:
    @strawberry.field(permission_classes=[Nobody])  # type: ignore[untyped-decorator]
    @hot
    def guarded(self) -> str:
        return "no"


@strawberry.type
class Windowed:
    @strawberry.field
    @hot
    def windowed(self, info: GraphQLResolveInfo[Any], window: Window) -> str:
        return "no"


@strawberry.type
class Plain:
    name: str

    @strawberry.field
    @hot
    def plain(self, info: GraphQLResolveInfo[Any], times: int = 1) -> str:
        assert not hasattr(info, "_raw_info")  # graphql-core's info, never strawberry's
        return self.name * times


@pytest.mark.parametrize(("kind", "why"), [(Guarded, "wrapper"), (Windowed, "scalar")])
def test_a_hot_field_that_needs_the_wrapper_is_refused(kind: type, why: str) -> None:
    with pytest.raises(TypeError, match=why):
        install(strawberry.Schema(query=kind))


def test_a_hot_resolver_must_take_graphql_cores_info() -> None:
    with pytest.raises(TypeError, match="GraphQLResolveInfo"):

        @hot
        def typed_as_strawberrys(self: Any, info: Info) -> str:
            return ""


async def test_an_unwrapped_field_takes_its_arguments_by_their_python_names() -> None:
    @strawberry.type
    class Only:
        @strawberry.field
        def thing(self) -> Plain:
            return Plain(name="x")

    small = strawberry.Schema(query=Only)
    install(small)
    result = await small.execute("{ thing { name a: plain b: plain(times: 3) } }")
    assert result.errors is None
    assert result.data == {"thing": {"name": "x", "a": "x", "b": "xxx"}}
    # A plain attribute reads it directly (not through strawberry's default resolver).
    thing = small._schema.get_type("Plain")
    assert isinstance(thing, GraphQLObjectType)
    assert isinstance(thing.fields["name"].resolve, Attribute)


async def test_a_hot_field_runs_the_same_through_strawberry() -> None:
    @strawberry.type
    class Only:
        @strawberry.field
        def thing(self) -> Plain:
            return Plain(name="x")

    result = await strawberry.Schema(query=Only).execute("{ thing { b: plain(times: 2) } }")
    assert result.errors is None
    assert result.data == {"thing": {"b": "xx"}}
