"""Resolvers of the fields a large response repeats, called by GraphQL execution directly.

Strawberry runs every resolver through a wrapper that builds its own `Info`, converts each
argument and chains field extensions: about six microseconds a call, most of a dashboard's
time once its rollups are cached (a quarter of 240 key results asks for 740 such fields).
The fields below need none of that: no permission classes, no field extensions, scalar
arguments only (graphql-core has coerced them already), and they read nothing of `info` but
its `context`, which GraphQL's own resolve info carries too (or take no `info` at all).
`install` gives each its resolver unwrapped and refuses, when the schema is built, any field
that stops qualifying.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import strawberry
from graphql import (
    GraphQLNamedType,
    GraphQLObjectType,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from graphql import get_named_type as named
from graphql import get_nullable_type as nullable
from strawberry.types.base import StrawberryObjectDefinition

from schema.execution import Attribute

HOT: Mapping[str, tuple[str, ...]] = {
    "KeyResult": ("progress",),
    "Objective": ("progress", "keyResults", "department", "children"),
    "Cycle": ("progress",),
    "Progress": ("blockedBy", "explanation"),
}
"""The fields, by type, whose resolvers run unwrapped: those repeated per item of a list."""


def install(schema: strawberry.Schema, hot: Mapping[str, tuple[str, ...]] = HOT) -> None:
    """Give each `hot` field of `schema` its resolver unwrapped (see the module's doc), and
    every plain attribute of every object type a direct read of that attribute."""
    _plain_attributes(schema)
    for type_name, field_names in hot.items():
        definition = schema.get_type_by_name(type_name)
        graphql_type = schema._schema.get_type(type_name)
        if not isinstance(definition, StrawberryObjectDefinition) or not isinstance(
            graphql_type, GraphQLObjectType
        ):
            raise TypeError(f"{type_name} is not an object type of the schema")
        for field_name in field_names:
            graphql_type.fields[field_name].resolve = _unwrapped(
                schema, definition, graphql_type, field_name
            )


def _plain_attributes(schema: strawberry.Schema) -> None:
    """A field with no resolver, extension, permission class or argument reads its attribute;
    strawberry gets there through two more calls per field, and a dashboard has 1,500 such
    fields. Its resolver is an `Attribute`, which `schema.execution.Executor` answers itself
    when the field is a scalar or an enum."""
    for name, graphql_type in schema._schema.type_map.items():
        definition = schema.get_type_by_name(name)
        if not isinstance(graphql_type, GraphQLObjectType) or not isinstance(
            definition, StrawberryObjectDefinition
        ):
            continue
        for field in definition.fields:
            if field.base_resolver or field.extensions or field.permission_classes:
                continue
            graphql_name = schema.config.name_converter.from_field(field)
            graphql_field = graphql_type.fields.get(graphql_name)
            if graphql_field is None or graphql_field.args:
                continue
            kind = graphql_field.type
            leaf = named(kind)
            graphql_field.resolve = Attribute(
                field.python_name,
                leaf if is_leaf_type(leaf) and not is_list_type(nullable(kind)) else None,
                non_null=is_non_null_type(kind),
            )


def _unwrapped(
    schema: strawberry.Schema,
    definition: StrawberryObjectDefinition,
    graphql_type: GraphQLObjectType,
    field_name: str,
) -> Callable[..., Any]:
    where = f"{definition.name}.{field_name}"
    [field] = [
        f for f in definition.fields if schema.config.name_converter.from_field(f) == field_name
    ]
    resolver = field.base_resolver
    if resolver is None or field.permission_classes or field.extensions:
        raise TypeError(f"{where} needs strawberry's wrapper: it cannot run unwrapped")
    if resolver.self_parameter is None:
        raise TypeError(f"{where} must be a method (take self) to run unwrapped")
    names: dict[str, str] = {}
    for argument in field.arguments:
        graphql_name = schema.config.name_converter.from_argument(argument)
        kind: GraphQLNamedType = named(graphql_type.fields[field_name].args[graphql_name].type)
        if not is_leaf_type(kind) or kind.name not in _AS_COERCED:
            raise TypeError(f"{where}({graphql_name}:) is not a scalar taken as coerced")
        names[graphql_name] = argument.python_name
    call = cast(Callable[..., Any], resolver.wrapped_func)
    if resolver.info_parameter is None:
        if names:
            raise TypeError(f"{where} takes arguments but not info: run it wrapped")

        def resolve_alone(source: Any, _: Any) -> Any:
            return call(source)

        return resolve_alone
    if not names:

        def resolve(source: Any, info: Any) -> Any:
            return call(source, info)

        return resolve

    def resolve_with(source: Any, info: Any, **given: Any) -> Any:
        return call(source, info, **{names[k]: v for k, v in given.items()})

    return resolve_with


_AS_COERCED = frozenset({"ID", "String", "Int", "Float", "Boolean", "DateTime"})
"""Scalars whose value graphql-core coerces to what the resolver takes."""
