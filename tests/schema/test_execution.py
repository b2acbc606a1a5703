"""Attribute leaves answered by the executor itself (schema.execution): the same data, errors
and paths as graphql-core's own execution, and every field through graphql-core when a schema
extension wraps the resolvers."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Optional, cast

import pytest
import strawberry
from graphql import ExperimentalIncrementalExecutionResults, GraphQLObjectType, GraphQLResolveInfo
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from schema.execution import Attribute, Executor, Hot
from schema.fastpath import hot, install


@strawberry.enum
class Mood(enum.Enum):
    CALM = "calm"
    CROSS = "cross"


@strawberry.type
class Leafy:
    name: str
    nickname: str | None
    mood: Mood
    score: float
    tags: list[str]

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def repeat(self, times: int, sep: str = "") -> str:
        return sep.join([self.nickname or "-"] * times)


class Broken:
    """A source whose `name` fails as it is read, and whose `score` is not a float."""

    nickname = None
    mood = Mood.CALM
    tags: ClassVar[list[str]] = []
    score = "high"

    @property
    def name(self) -> str:
        raise ValueError("no name today")


def leaves() -> list[Any]:
    return [
        Leafy(name="ada", nickname=None, mood=Mood.CROSS, score=0.5, tags=["a"]),
        Leafy(name=None, nickname="x", mood=Mood.CALM, score=1.0, tags=[]),  # type: ignore[arg-type]
        Broken(),
    ]


@strawberry.type
class Query:
    @strawberry.field
    def leaves(self) -> list[Leafy | None]:
        return leaves()

    @strawberry.field(graphql_type=list[str] | None)  # type: ignore[untyped-decorator]
    def waited(self, fail: bool) -> Any:
        """A list of awaitables and values; with `fail`, its third item fails."""

        async def later(text: str) -> str:
            if text == "boom":
                raise ValueError("boom")
            return text

        return [later("a"), "b", later("boom" if fail else "c"), later("d"), "e"]

    @strawberry.field
    def leaf(self) -> Leafy:
        return cast(Leafy, leaves()[1])


DOCUMENT = """
{
  leaves { name nickname mood score tags shout __typename alias: name }
  leaf { nickname name }
}
"""


def built(*, short: bool, extensions: list[type[SchemaExtension]] | None = None) -> Any:
    made = strawberry.Schema(
        query=Query,
        extensions=extensions or [],
        execution_context_class=Executor if short else None,
    )
    if short:
        install(made)
    return made


def outcome(result: Any) -> tuple[Any, list[tuple[str, Any, Any]]]:
    errors = sorted(
        (e.message, e.path, [(loc.line, loc.column) for loc in e.locations or []])
        for e in result.errors or []
    )
    return result.data, errors


async def test_attribute_leaves_answer_as_graphql_core_does() -> None:
    short = await built(short=True).execute(DOCUMENT)
    plain = await built(short=False).execute(DOCUMENT)
    data, errors = outcome(short)
    assert data is None  # `leaf.name` is null in a non-null field, and leaf is non-null
    assert (data, errors) == outcome(plain)
    messages = {message for message, _, _ in errors}
    assert "Cannot return null for non-nullable field Leafy.name." in messages
    assert "no name today" in messages
    # A value its scalar cannot represent: the item is nulled, the rest of the list answered.
    lone = "{ leaves { nickname mood score } }"
    data, errors = outcome(await built(short=True).execute(lone))
    assert (data, errors) == outcome(await built(short=False).execute(lone))
    assert data == {
        "leaves": [
            {"nickname": None, "mood": "CROSS", "score": 0.5},
            {"nickname": "x", "mood": "CALM", "score": 1.0},
            None,
        ]
    }
    [(message, path, _)] = errors
    assert message.startswith("Float cannot represent")
    assert path == ["leaves", 2, "score"]


@pytest.mark.parametrize("fail", [False, True])
async def test_a_list_of_awaitables_completes_as_graphql_core_completes_it(fail: bool) -> None:
    document = "query($fail: Boolean!) { waited(fail: $fail) }"
    variables = {"fail": fail}
    short = outcome(await built(short=True).execute(document, variable_values=variables))
    assert short == outcome(await built(short=False).execute(document, variable_values=variables))
    data, errors = short
    if fail:
        assert data == {"waited": None}
        assert [(message, path) for message, path, _ in errors] == [("boom", ["waited", 2])]
    else:
        assert data == {"waited": ["a", "b", "c", "d", "e"]}


async def test_arguments_coerced_once_per_field_still_follow_each_field_and_variable() -> None:
    document = """query($n: Int!, $sep: String) {
      leaves { a: repeat(times: $n) b: repeat(times: 2, sep: $sep) c: repeat(times: 1) }
      leaf { a: repeat(times: $n, sep: ".") }
    }"""
    for variables in ({"n": 3, "sep": "+"}, {"n": 1}):
        short = outcome(await built(short=True).execute(document, variable_values=variables))
        plain = outcome(await built(short=False).execute(document, variable_values=variables))
        assert short == plain
    data, _ = short
    assert data is not None
    assert data["leaf"] == {"a": "x"}
    assert data["leaves"][1] == {"a": "x", "b": "xx", "c": "x"}


def test_only_scalar_and_enum_attributes_are_answered_by_the_executor() -> None:
    made = built(short=True)
    kind = made._schema.get_type("Leafy")
    assert isinstance(kind, GraphQLObjectType)
    resolvers = {name: field.resolve for name, field in kind.fields.items()}
    for name in ("name", "nickname", "mood", "score"):
        resolve = resolvers[name]
        assert isinstance(resolve, Attribute), name
        assert resolve.leaf is not None, name
    tags = resolvers["tags"]
    assert isinstance(tags, Attribute)
    assert tags.leaf is None  # a list: graphql-core's
    assert not isinstance(resolvers["shout"], Attribute)


class Upper(SchemaExtension):
    """Middleware that sees every field: it must still see the attribute leaves."""

    seen: ClassVar[list[str]] = []

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        Upper.seen.append(info.field_name)
        return _next(root, info, *args, **kwargs)


@pytest.mark.parametrize("short", [True, False])
async def test_with_middleware_every_field_goes_through_it(short: bool) -> None:
    Upper.seen = []
    result = await built(short=short, extensions=[Upper]).execute("{ leaf { nickname mood } }")
    assert result.errors is None
    assert result.data == {"leaf": {"nickname": "x", "mood": "CALM"}}
    assert sorted(Upper.seen) == ["leaf", "mood", "nickname"]


async def test_a_streamed_list_is_streamed_as_graphql_core_streams_it() -> None:
    """The executor remembers per field whether a list is streamed: a `@stream` list still is,
    and a list beside it in the same document is not."""
    document = """{
      leaves @stream(initialCount: 1) { nickname mood }
      again: leaves { mood }
    }"""

    async def parts(*, short: bool) -> list[Any]:
        made = strawberry.Schema(
            query=Query,
            config=StrawberryConfig(enable_experimental_incremental_execution=True),
            execution_context_class=Executor if short else None,
        )
        if short:
            install(made)
        result = await made.execute(document)
        assert isinstance(result, ExperimentalIncrementalExecutionResults)
        seen = [result.initial_result.formatted]
        seen += [part.formatted async for part in result.subsequent_results]
        return seen

    streamed = await parts(short=True)
    assert streamed == await parts(short=False)
    first = streamed[0]["data"]
    assert first["leaves"] == [{"nickname": None, "mood": "CROSS"}]
    assert len(first["again"]) == 3
    assert len(streamed) > 1


@strawberry.type
class Warm:
    """Hot fields: answered by the executor with one info per field of the document."""

    n: int

    @strawberry.field
    @hot
    def twice(self, info: GraphQLResolveInfo[Any], by: int = 2) -> int | None:
        if self.n == 3:
            raise ValueError(f"no {info.field_name} for three")
        return None if self.n == 0 else self.n * by

    @strawberry.field
    @hot
    def sure(self, info: GraphQLResolveInfo[Any]) -> int:
        return cast(int, None) if self.n == 0 else self.n

    @strawberry.field(graphql_type=Optional["Warm"])  # type: ignore[untyped-decorator]
    @hot
    def later(self, info: GraphQLResolveInfo[Any]) -> Awaitable[Warm | None]:
        async def found() -> Warm | None:
            if self.n == 1:
                raise ValueError("not yet")
            return Warm(n=self.n + 10) if self.n else None

        return found()


@strawberry.type
class WarmQuery:
    @strawberry.field
    def warm(self) -> list[Warm | None]:
        return [Warm(n=n) for n in range(5)]


async def test_hot_fields_answer_as_graphql_core_does() -> None:
    """Nulls, errors at each object's own path, a null of a non-null field, arguments per alias,
    awaited objects and their fields: the same as graphql-core executing each field alike."""
    document = """{ warm { twice by3: twice(by: 3) sure later { n twice sure } } }"""

    def schema_of(short: bool) -> Any:
        made = strawberry.Schema(
            query=WarmQuery, execution_context_class=Executor if short else None
        )
        if short:
            install(made)
        return made

    short, plain = schema_of(True), schema_of(False)
    warm = short._schema.get_type("Warm")
    assert isinstance(warm, GraphQLObjectType)
    assert isinstance(warm.fields["twice"].resolve, Hot)
    ours, theirs = await short.execute(document), await plain.execute(document)
    assert outcome(ours) == outcome(theirs)
    data, errors = outcome(ours)
    assert sorted(e[1] for e in errors) == [
        ["warm", 0, "sure"],
        ["warm", 1, "later"],
        ["warm", 3, "by3"],
        ["warm", 3, "twice"],
    ]
    assert data["warm"][2] == {
        "twice": 4,
        "by3": 6,
        "sure": 2,
        "later": {"n": 12, "twice": 24, "sure": 12},
    }
    assert data["warm"][0] is None
    assert data["warm"][4]["later"]["twice"] == 28
