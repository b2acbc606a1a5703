"""Resolvers that GraphQL execution calls directly, and the fields marked to run that way.

Strawberry runs every resolver through a wrapper that builds its own `Info`, converts each
argument and chains field extensions: about six microseconds a call, most of a dashboard's
time once its rollups are in memory (a quarter of 240 key results asks for 740 such fields).
A resolver marked `@hot` needs none of that: no permission classes, no field extensions,
scalar arguments only (graphql-core has coerced them already), and it is written against
graphql-core's own `GraphQLResolveInfo`, which is what it is called with unwrapped. It reads
of its info only its `context` and what belongs to the field of the document (never `path`):
the executor makes that info once per field of the document (`schema.execution.Hot`).
Through strawberry (a schema built without the fast path) it is called with the same raw
info. `install` gives every hot field its resolver unwrapped and refuses, when the schema is
built, a hot field that does not qualify.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

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
from strawberry.types import Info
from strawberry.types.base import StrawberryObjectDefinition

from schema.execution import Attribute, Hot

F = TypeVar("F", bound=Callable[..., Any])


def hot(resolve: F) -> F:
    """Mark a resolver to run unwrapped (see the module's doc); put it under
    `strawberry.field`. Its `info`, if it takes one, must be annotated `GraphQLResolveInfo`."""
    signature = inspect.signature(resolve)
    info = signature.parameters.get("info")
    if info is not None and not str(info.annotation).startswith("GraphQLResolveInfo"):
        raise TypeError(f"{resolve.__qualname__}: a hot resolver takes GraphQLResolveInfo")
    if info is None:
        setattr(resolve, "unwrapped", resolve)  # noqa: B010 - an attribute of our own
        return resolve

    @functools.wraps(resolve)
    def through_strawberry(self: Any, info: Info[Any, Any], *args: Any, **kwargs: Any) -> Any:
        return resolve(self, info._raw_info, *args, **kwargs)

    # What strawberry reads to find the info parameter and the arguments.
    parameters = [
        p.replace(annotation=Info) if p.name == "info" else p for p in signature.parameters.values()
    ]
    through_strawberry.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    through_strawberry.__annotations__ = {**resolve.__annotations__, "info": Info}
    through_strawberry.unwrapped = resolve  # type: ignore[attr-defined]
    return cast(F, through_strawberry)


def install(schema: strawberry.Schema) -> None:
    """Give each hot field of `schema` its resolver unwrapped (see the module's doc), and every
    plain attribute of every object type a direct read of that attribute."""
    _plain_attributes(schema)
    for name, graphql_type in schema._schema.type_map.items():
        definition = schema.get_type_by_name(name)
        if not isinstance(graphql_type, GraphQLObjectType) or not isinstance(
            definition, StrawberryObjectDefinition
        ):
            continue
        for field in definition.fields:
            resolver = field.base_resolver
            if resolver is None or not hasattr(resolver.wrapped_func, "unwrapped"):
                continue
            field_name = schema.config.name_converter.from_field(field)
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
) -> Hot:
    where = f"{definition.name}.{field_name}"
    [field] = [
        f for f in definition.fields if schema.config.name_converter.from_field(f) == field_name
    ]
    resolver = field.base_resolver
    if resolver is None or field.permission_classes or field.extensions:
        raise TypeError(f"{where} needs strawberry's wrapper: it cannot run unwrapped")
    if resolver.self_parameter is None:
        raise TypeError(f"{where} must be a method (take self) to run unwrapped")
    raw = getattr(resolver.wrapped_func, "unwrapped", resolver.wrapped_func)
    names: dict[str, str] = {}
    for argument in field.arguments:
        graphql_name = schema.config.name_converter.from_argument(argument)
        kind: GraphQLNamedType = named(graphql_type.fields[field_name].args[graphql_name].type)
        if not is_leaf_type(kind) or kind.name not in _AS_COERCED:
            raise TypeError(f"{where}({graphql_name}:) is not a scalar taken as coerced")
        names[graphql_name] = argument.python_name
    call = cast(Callable[..., Any], raw)
    if resolver.info_parameter is None:
        if names:
            raise TypeError(f"{where} takes arguments but not info: run it wrapped")

        def resolve_alone(source: Any, _: Any) -> Any:
            return call(source)

        return Hot(resolve_alone, names)
    return Hot(call, names)


_AS_COERCED = frozenset({"ID", "String", "Int", "Float", "Boolean", "DateTime"})
"""Scalars whose value graphql-core coerces to what the resolver takes."""
