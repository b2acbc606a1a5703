"""The documents these tests run reach every field of every object type and every mutation, so a
field added to the schema without a test here fails this module."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_schema,
    get_named_type,
    parse,
    visit,
)

import tests.schema
from schema.api import sdl


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def documents() -> Iterator[str]:
    """Every GraphQL operation held in a module-level name of this package."""
    for module_info in pkgutil.iter_modules(tests.schema.__path__):
        module = importlib.import_module(f"tests.schema.{module_info.name}")
        for name, value in vars(module).items():
            if name.startswith("_") or not name.isupper():
                continue
            for text in strings(value):
                if text.lstrip().startswith(("query", "mutation", "{")):
                    yield text


class Reached(Visitor):
    """Collects (type, field) for every field selected, on the type it was selected on."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.found: set[tuple[str, str]] = set()

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        parent = self.type_info.get_parent_type()
        if parent is not None:
            self.found.add((parent.name, node.name.value))


def reached(graphql_schema: GraphQLSchema) -> set[tuple[str, str]]:
    """Every (type, field) the documents select; documents that must fail validation count too,
    for the fields they do name."""
    found: set[tuple[str, str]] = set()
    for text in documents():
        document = parse(text)
        type_info = TypeInfo(graphql_schema)
        visitor = Reached(type_info)
        visit(document, TypeInfoVisitor(type_info, visitor))
        found |= visitor.found
    # A field selected on an interface is selected on every type that implements it.
    for type_name, field in list(found):
        kind = graphql_schema.get_type(type_name)
        if isinstance(kind, GraphQLInterfaceType):
            for implementation in graphql_schema.get_implementations(kind).objects:
                found.add((implementation.name, field))
    return found


def every_field(graphql_schema: GraphQLSchema) -> set[tuple[str, str]]:
    """Every field of every object type reachable from Query and Mutation (subscriptions are
    tested with `schema.subscribe`, elsewhere)."""
    roots = [graphql_schema.query_type, graphql_schema.mutation_type]
    seen: dict[str, GraphQLObjectType] = {}
    frontier: list[Any] = [r for r in roots if r is not None]
    while frontier:
        kind = frontier.pop()
        if kind.name in seen:
            continue
        if isinstance(kind, GraphQLInterfaceType):
            frontier += graphql_schema.get_implementations(kind).objects
            continue
        if not isinstance(kind, GraphQLObjectType):
            continue
        seen[kind.name] = kind
        frontier += [get_named_type(f.type) for f in kind.fields.values()]
    return {(name, field) for name, kind in seen.items() for field in kind.fields}


def test_every_field_and_mutation_of_the_schema_is_selected_by_some_test() -> None:
    graphql_schema = build_schema(sdl())
    wanted = every_field(graphql_schema)
    found = reached(graphql_schema)
    # The walk itself works: both sides know the roots' fields.
    assert {("Query", "organizations"), ("Mutation", "keyResultCarryOver")} <= wanted & found
    missing = wanted - found
    assert not missing, sorted(missing)
