"""GraphQL execution with a short way for the leaves that read an attribute.

graphql-core executes every field alike: it builds a resolve info, looks for arguments, calls
the resolver, asks whether the answer is awaitable, then walks `complete_value` down through
non-null and list before it coerces a scalar. Two thirds of a dashboard's fields are leaves
that read an attribute of an object already in hand (a title, a value, a status), and for
them all of that comes down to reading the attribute and coercing it. `Executor` does just
that for fields whose resolver is an `Attribute` (schema/fastpath.py installs one on every
plain attribute) and whose type is a scalar or an enum, with graphql-core's own errors and
null handling; every other field goes through graphql-core unchanged. It also remembers, per
field of the document, that a list is not streamed (see `get_stream_usage`), and completes a
list that is not streamed in one loop (`complete_iterable_value`), and coerces a field's
arguments once per field of the document (`execute_field`).

`Executor.deadline` bounds an operation's execution: one that runs longer is cancelled and
answered with a single error coded TIMEOUT; `Executor.quiet` leaves "Did you mean …?" out of
the errors of coercing variables and arguments (`configured` makes an executor of both).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.execution.executor import StreamUsage
from graphql.execution.values import get_argument_values
from graphql.language import FieldNode
from graphql.pyutils import Path, Undefined
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from graphql.pyutils.ref_map import RefMap
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from service.domain.errors import StoreUnavailable


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


class Hot:
    """The resolver of a hot field (schema/fastpath.py): `call(source, info, **arguments)`,
    with graphql-core's info and coerced arguments, each named as `names` maps its GraphQL
    name to the resolver's parameter. Such a resolver reads of its info only what
    is the same for every object a field of the document is asked of (its context, the field,
    its nodes), so the executor makes that info once per field of the document, not once per
    object (see `Executor.execute_fields`)."""

    __slots__ = ("call", "names")

    def __init__(self, call: Callable[..., Any], names: dict[str, str]) -> None:
        self.call = call
        self.names = names

    def __call__(self, source: Any, info: Any, **arguments: Any) -> Any:
        return self.call(source, info, **self.named(arguments))

    def named(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """`arguments` by the resolver's parameter names."""
        return {self.names[name]: value for name, value in arguments.items()}


class Executor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, answering attribute leaves without the per-field machinery, and
    within `deadline` seconds (None: unbounded)."""

    deadline: float | None = None
    quiet: bool = False

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        """graphql-core's, suggesting no names of the schema when `quiet`."""
        if cls.quiet:
            kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        # Middleware (a schema extension's `resolve`) wraps every resolver: then every field
        # goes through graphql-core, so that the middleware sees it. (Copies made for deferred
        # work and subscription events keep this.)
        self._wrapped = manager is not None and bool(manager.middlewares)
        self._streams: dict[int, tuple[Any, StreamUsage | None]] = {}
        self._fields: dict[tuple[int, str], tuple[Any, list[FieldNode], dict[str, Any] | None]] = {}
        self._hot: dict[tuple[int, str], tuple[Any, Any, dict[str, Any]]] = {}

    def build_per_event_executor(self, payload: Any) -> Executor:
        """The executor of one subscription event, with memos of its own. Each event collects
        its fields anew, and every memo keyed by a collected list keeps that list alive, so
        memos shared with the subscription's executor (graphql-core copies it shallowly) would
        grow by every event's fields for as long as the subscription lives."""
        executor = cast(Executor, super().build_per_event_executor(payload))
        executor._relevant_sub_fields = {}
        executor._stream_usages = RefMap()
        executor._fields = {}
        executor._hot = {}
        executor._streams = {}
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        """graphql-core's, with what it leaves to await bounded by the deadline: past it the
        work is cancelled (a mutation's field may have been written by then) and the answer is
        one TIMEOUT error and no data."""
        result = super().execute_operation(serially)
        if self.deadline is None or not self.is_awaitable(result):
            return result
        return _within(result, self.deadline)

    def get_stream_usage(self, field_details_list: Any, path: Path) -> StreamUsage | None:
        """Whether a list is streamed (`@stream`), asked once per field of the document, not
        once per list: graphql-core remembers only the lists it streams, so for every other
        list of a response it raised and caught a KeyError and read the directives again."""
        if isinstance(path.key, int):
            return None  # an inner list of a list is never streamed
        found = self._streams.get(id(field_details_list))
        if found is None:
            usage = super().get_stream_usage(field_details_list, path)
            # The list is kept with its answer, so that its id cannot be reused meanwhile.
            found = self._streams[id(field_details_list)] = (field_details_list, usage)
        return found[1]

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> Any:
        """graphql-core's, for a list or tuple that is not streamed: one `for` over it, where
        graphql-core steps an iterator until StopIteration and asks at every item whether to
        stream (a dashboard has three hundred lists, most of them empty)."""
        if type(items) not in _SEQUENCES or self.get_stream_usage(field_details_list, path):
            return super().complete_iterable_value(
                item_type, field_details_list, info, path, items, position_context
            )
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = path.add_key(index, None)
                if is_awaitable(item):
                    completed.append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, field_details_list, info, item_path, position_context
                        )
                    )
                    awaitable_indices.append(index)
                elif self.complete_list_item_value(
                    item,
                    completed,
                    item_type,
                    field_details_list,
                    info,
                    item_path,
                    position_context,
                ):
                    awaitable_indices.append(index)
        except Exception:
            # As graphql-core does: settle what was started, and what the rest of the list holds.
            started = [completed[index] for index in awaitable_indices]
            rest = cast(Sequence[Any], items)[len(completed) + 1 :]
            started += [item for item in rest if is_awaitable(item)]
            if started:
                self.settle_in_background(started)
            raise
        if not awaitable_indices:
            return completed
        return _awaited(completed, awaitable_indices)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_field`, with a field's nodes and coerced arguments made once
        per field of the document, not once per object: they depend only on the document and
        the variables, both fixed for the execution (a dashboard asks `progress(asOf:)` of
        three hundred objects)."""
        node = field_details_list[0].node
        field_def = self.schema.get_field(parent_type, node.name.value)
        if not field_def:
            return Undefined
        return_type = field_def.type
        resolve_fn = field_def.resolve or self.field_resolver
        if self.middleware_manager:
            resolve_fn = self.middleware_manager.get_field_resolver(resolve_fn)
        key = (id(field_details_list), parent_type.name)
        known = self._fields.get(key)
        if known is None:
            known = (field_details_list, [details.node for details in field_details_list], None)
        info = self.build_resolve_info(field_def, known[1], parent_type, path)
        try:
            args = known[2]
            if args is None:
                args = (
                    get_argument_values(
                        field_def,
                        node,
                        self.variable_values,
                        field_details_list[0].fragment_variable_values,
                        self.hide_suggestions,
                    )
                    if field_def.args or node.arguments
                    else {}
                )
                # Kept with the list, so that its id cannot be reused while it is known.
                self._fields[key] = (field_details_list, known[1], args)
            result = resolve_fn(source, info, **args)
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, result, position_context
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
            if self.is_awaitable(completed):
                return self._completed_later(completed, return_type, field_details_list, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return completed

    def _execute_hot(
        self,
        resolve: Hot,
        field: GraphQLField,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        parent_path: Path | None,
        response_name: str,
        position_context: Any,
    ) -> Any:
        """`execute_field` for a hot field: its info and coerced arguments made once per field
        of the document (its first object's path in the info, which a hot resolver does not
        read), and a path made for the object only when the answer is more than a null."""
        return_type = field.type
        try:
            key = (id(field_details_list), parent_type.name)
            known = self._hot.get(key)
            if known is None:
                nodes = [details.node for details in field_details_list]
                node = nodes[0]
                first = Path(parent_path, response_name, parent_type.name)
                args = (
                    get_argument_values(
                        field,
                        node,
                        self.variable_values,
                        field_details_list[0].fragment_variable_values,
                        self.hide_suggestions,
                    )
                    if field.args or node.arguments
                    else {}
                )
                info = self.build_resolve_info(field, nodes, parent_type, first)
                args = resolve.named(args)
                # Kept with the list, so that its id cannot be reused while it is known.
                known = self._hot[key] = (field_details_list, info, args)
            info = known[1]
            result = resolve.call(source, info, **known[2])
            if result is None and type(return_type) is not GraphQLNonNull:
                return None
            path = Path(parent_path, response_name, parent_type.name)
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, result, position_context
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
            if self.is_awaitable(completed):
                return self._completed_later(completed, return_type, field_details_list, path)
        except Exception as raw_error:
            self.handle_field_error(
                raw_error,
                return_type,
                field_details_list,
                Path(parent_path, response_name, parent_type.name),
            )
            return None
        return completed

    async def _completed_later(
        self, completed: Any, return_type: GraphQLOutputType, field_details_list: Any, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_fields`, with attribute leaves answered in the loop itself:
        no path, resolve info, resolver call or completion walk for them (a path is made only
        for an error's location)."""
        if self._wrapped:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        fields = parent_type.fields
        try:
            for response_name, field_details_list in grouped_field_set.items():
                field_name = field_details_list[0].node.name.value
                # None for __typename and the other meta fields: graphql-core's business.
                field = fields.get(field_name)
                resolve = None if field is None else field.resolve
                if type(resolve) is Attribute and resolve.leaf is not None:
                    try:
                        value = getattr(source_value, resolve.name)
                        if value is None or value is Undefined or isinstance(value, Exception):
                            _null_or_raise(value, resolve, parent_type, field_name)
                            value = None
                        else:
                            value = self.complete_leaf_value(resolve.leaf, value)
                    except Exception as raw_error:
                        assert field is not None  # resolve came from it
                        self.handle_field_error(
                            raw_error,
                            field.type,
                            field_details_list,
                            Path(path, response_name, parent_type.name),
                        )
                        value = None
                    results[response_name] = value
                    continue
                if type(resolve) is Hot:
                    assert field is not None  # resolve came from it
                    result = self._execute_hot(
                        resolve,
                        field,
                        parent_type,
                        source_value,
                        field_details_list,
                        path,
                        response_name,
                        position_context,
                    )
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
                    continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                # Settle what other fields started: they may fail too.
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return _awaited(results, awaitable_fields)


def configured(*, deadline: float | None, quiet: bool) -> type[Executor]:
    """An executor whose operations run at most `deadline` seconds (None: unbounded) and whose
    errors suggest no names when `quiet`."""
    return type(
        "Executor",
        (Executor,),
        {"deadline": deadline, "quiet": quiet, "__doc__": Executor.__doc__},
    )


async def _within(result: Awaitable[Any], seconds: float) -> Any:
    """`result` awaited, or TIMEOUT once `seconds` have passed: whatever the cancelled work
    made of its cancellation (a store call cut off may come back as an outage, caught by a
    resolver as a field error), an operation past its deadline answers TIMEOUT and nothing
    else."""
    deadline = asyncio.timeout(seconds)
    loop = asyncio.get_running_loop()
    try:
        async with deadline:
            answer = await result
    except TimeoutError:
        return ExecutionResult(data=None, errors=[timed_out(seconds)])
    except StoreUnavailable:
        if _past(deadline, loop):
            return ExecutionResult(data=None, errors=[timed_out(seconds)])
        raise
    if _past(deadline, loop):
        return ExecutionResult(data=None, errors=[timed_out(seconds)])
    return answer


def _past(deadline: asyncio.Timeout, loop: asyncio.AbstractEventLoop) -> bool:
    """Whether the deadline fired, or its time came (a busy loop may not have run it yet)."""
    when = deadline.when()
    return deadline.expired() or (when is not None and loop.time() >= when)


def timed_out(seconds: float) -> GraphQLError:
    """The error of an operation cut at its deadline."""
    return GraphQLError(
        f"the operation ran longer than {seconds:g} s and was stopped; ask for less (a shorter "
        "series, fewer nodes). A mutation may have been written: read it back, or send it "
        "again with the same idempotencyKey",
        extensions={"code": "TIMEOUT"},
    )


_SEQUENCES = frozenset({list, tuple})
"""What resolvers return for lists (a membership test of the exact type: cheaper than
`isinstance` with a union, which shows in a response of three hundred lists)."""


def _null_or_raise(
    value: Any, resolve: Attribute, parent_type: GraphQLObjectType, field_name: str
) -> None:
    """What graphql-core's completion makes of an absent value or an exception: an error, or
    (returning) a null."""
    if isinstance(value, Exception):
        raise value
    if resolve.non_null:
        raise TypeError(
            f"Cannot return null for non-nullable field {parent_type.name}.{field_name}."
        )


Awaited = TypeVar("Awaited", list[Any], dict[str, Any])


async def _awaited(found: Awaited, awaitables: list[Any]) -> Awaited:
    """A list's items or an object's fields, with those at `awaitables` (indices or names)
    awaited together and put in place, as graphql-core does."""
    if len(awaitables) == 1:
        at = awaitables[0]
        found[at] = await found[at]
    else:
        awaited = await gather_with_cancel(*(found[at] for at in awaitables))
        for at, value in zip(awaitables, awaited, strict=True):
            found[at] = value
    return found
