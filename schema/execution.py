"""GraphQL execution with a short way for the leaves that read an attribute.

graphql-core executes every field alike: it builds a resolve info, looks for arguments, calls
the resolver, asks whether the answer is awaitable, then walks `complete_value` down through
non-null and list before it coerces a scalar. Two thirds of a dashboard's fields are leaves
that read an attribute of an object already in hand (a title, a value, a status), and for
them all of that comes down to reading the attribute and coercing it. `Executor` does just
that for fields whose resolver is an `Attribute` (schema/fastpath.py installs one on every
plain attribute) and whose type is a scalar or an enum, with graphql-core's own errors and
null handling; every other field goes through graphql-core unchanged.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLLeafType, GraphQLObjectType
from graphql.pyutils import Path, Undefined, UndefinedType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class Attribute:
    """The resolver of a field that reads `source.<name>` and takes no arguments. `leaf` is
    the field's scalar or enum type (None for any other type) and `non_null` whether the
    field may not be null: what the executor needs to answer the field by itself."""

    __slots__ = ("leaf", "name", "non_null")

    def __init__(self, name: str, leaf: GraphQLLeafType | None, *, non_null: bool) -> None:
        self.name = name
        self.leaf = leaf
        self.non_null = non_null

    def __call__(self, source: Any, _info: Any) -> Any:
        return getattr(source, self.name)


class Executor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, answering attribute leaves without the per-field machinery."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        # Middleware (a schema extension's `resolve`) wraps every resolver: then every field
        # goes through graphql-core, so that the middleware sees it. (Copies made for deferred
        # work and subscription events keep this.)
        self._wrapped = manager is not None and bool(manager.middlewares)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any | UndefinedType:
        name = field_details_list[0].node.name.value
        field = parent_type.fields.get(name)  # None for __typename: graphql-core's business
        resolve = None if field is None else field.resolve
        if type(resolve) is not Attribute or resolve.leaf is None or self._wrapped:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        assert field is not None  # resolve came from it
        try:
            value = getattr(source, resolve.name)
            if isinstance(value, Exception):
                raise value
            if value is None or value is Undefined:
                if resolve.non_null:
                    raise TypeError(
                        f"Cannot return null for non-nullable field {parent_type.name}.{name}."
                    )
                return None
            return self.complete_leaf_value(resolve.leaf, value)
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.type, field_details_list, path)
            return None
