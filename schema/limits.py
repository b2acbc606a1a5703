"""What one request may ask: depth, aliases, tokens and an estimated cost, checked before
anything runs, and a code on every error a client can cause.

The cost follows GitHub's and Shopify's idea: every object requested counts one, a connection
multiplies what is under it by its `first` (default 20), and a list without a page size counts
LIST_ESTIMATE items. The estimate is reported in `extensions.cost` of every response.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    parse,
)
from graphql.validation import ASTValidationRule, validate
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from schema.connections import DEFAULT_PAGE
from schema.fragments import FragmentExpansion
from service.domain.errors import DomainError

LIST_ESTIMATE = 5
MAX_WALK = 64  # fragments nest; validation reports cycles, the walk just stops


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits of one request; the defaults are the service's."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_cost: int = 10_000
    introspection: bool = True
    timeout: float | None = 10.0
    """Seconds an operation may execute before it is cancelled (None: no limit)."""


def _is_list(kind: GraphQLOutputType) -> bool:
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


class _Cost:
    """Walks one operation with the schema's types and the request's variables."""

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def page_size(self, field: FieldNode) -> int:
        for argument in field.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(0, int(value.value))
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                return max(0, given) if isinstance(given, int) else DEFAULT_PAGE
        return DEFAULT_PAGE

    def selection(self, selections: SelectionSetNode, parent: Any, depth: int = 0) -> int:
        if depth > MAX_WALK:
            return 0
        total = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent, depth)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                kind = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection(node.selection_set, kind or parent, depth + 1)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                if fragment is not None:
                    kind = self.schema.get_type(fragment.type_condition.name.value) or parent
                    total += self.selection(fragment.selection_set, kind, depth + 1)
        return total

    def field(self, node: FieldNode, parent: Any, depth: int, *, single: bool = False) -> int:
        name = node.name.value
        fields = getattr(parent, "fields", {})
        if name.startswith("__") or name not in fields or node.selection_set is None:
            return 0
        definition = fields[name]
        result = get_named_type(definition.type)
        if not is_composite_type(result):
            return 0
        if "first" in definition.args:
            return 1 + self.connection(node.selection_set, result, self.page_size(node), depth)
        count = LIST_ESTIMATE if _is_list(definition.type) and not single else 1
        return count * (1 + self.selection(node.selection_set, result, depth + 1))

    def connection(self, selections: SelectionSetNode, kind: Any, count: int, depth: int) -> int:
        """A connection's items (`edges`, `nodes`) count `count` times; the rest once."""
        total = 0
        for child in selections.selections:
            if isinstance(child, FieldNode) and child.name.value in ("edges", "nodes"):
                total += count * self.field(child, kind, depth + 1, single=True)
            elif isinstance(child, FieldNode):
                total += self.field(child, kind, depth + 1)
            elif isinstance(child, InlineFragmentNode | FragmentSpreadNode) and depth < MAX_WALK:
                # A fragment on the connection: its items count `count` times too.
                inner = self.fragment_selections(child)
                if inner is not None:
                    total += self.connection(inner, kind, count, depth + 1)
        return total

    def fragment_selections(
        self, node: InlineFragmentNode | FragmentSpreadNode
    ) -> SelectionSetNode | None:
        if isinstance(node, InlineFragmentNode):
            return node.selection_set
        fragment = self.fragments.get(node.name.value)
        return fragment.selection_set if fragment is not None else None


VALIDATIONS_KEPT = 256
"""Documents whose validation each schema remembers, least recently used out first."""

_validated: WeakKeyDictionary[GraphQLSchema, OrderedDict[str, tuple[GraphQLError, ...]]] = (
    WeakKeyDictionary()
)


def validate_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    *,
    hide_suggestions: bool = False,
) -> list[GraphQLError]:
    """Strawberry's validation (`rules` and its own two), with no "Did you mean …?" in any
    message when `hide_suggestions`."""
    every = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return validate(schema, document, every, hide_suggestions=hide_suggestions)


def validated(
    schema: GraphQLSchema,
    query: str | None,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    *,
    hide_suggestions: bool = False,
) -> list[GraphQLError]:
    """The errors of validating `document` (the text `query`) with `rules`, remembered per
    schema and text: a schema's rules and limits never change, so a dashboard polled all day
    is validated once, not on every request."""
    if query is None:
        return validate_document(schema, document, rules, hide_suggestions=hide_suggestions)
    kept = _validated.setdefault(schema, OrderedDict())
    found = kept.get(query)
    if found is None:
        found = tuple(validate_document(schema, document, rules, hide_suggestions=hide_suggestions))
        kept[query] = found
        while len(kept) > VALIDATIONS_KEPT:
            kept.popitem(last=False)
    else:
        kept.move_to_end(query)
    return list(found)


@lru_cache(maxsize=VALIDATIONS_KEPT)
def _parsed(query: str, max_tokens: int | None) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


class Parsed(SchemaExtension):
    """Documents parsed once per text and token limit (LRU, shared by every request); a text
    that does not parse is left to strawberry, which reports the syntax error."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            with contextlib.suppress(GraphQLError):
                context.graphql_document = _parsed(
                    context.query, context.parse_options.get("max_tokens")
                )
        yield


class QueryCost(SchemaExtension):
    """Validates the document (remembered per text, `validated`), then estimates the cost of a
    valid one with the request's variables, refuses what is over the limit, and reports
    `extensions.cost` on every response. With `hide_suggestions` (introspection off), no
    error suggests a name of the schema."""

    def __init__(self, *, limit: int, hide_suggestions: bool = False) -> None:
        self.limit = limit
        self.hide_suggestions = hide_suggestions
        self.cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        # Errors already set (a refused fragment expansion) stop validation, as strawberry's.
        if document is not None and context.pre_execution_errors is None:
            schema = context.schema._schema
            errors = validated(
                schema,
                context.query,
                document,
                context.validation_rules,
                hide_suggestions=self.hide_suggestions,
            )
            # Set, even empty: strawberry then leaves validation to this extension.
            context.pre_execution_errors = errors or self._priced(schema, document)
        yield

    def _priced(self, schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
        estimate = _Cost(schema, document, self.execution_context.variables or {})
        refused: list[GraphQLError] = []
        for node in document.definitions:
            if not isinstance(node, OperationDefinitionNode):
                continue
            cost = estimate.selection(node.selection_set, schema.get_root_type(node.operation))
            self.cost = max(cost, self.cost or 0)
            if cost > self.limit:
                refused.append(
                    GraphQLError(
                        f"the query's estimated cost {cost} is over the limit of {self.limit}: "
                        "ask for smaller pages (`first`) or fewer fields",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": self.limit},
                    )
                )
        return refused

    def get_results(self) -> dict[str, Any]:
        return {"cost": {"requestedQueryCost": self.cost, "maximumAvailable": self.limit}}


# Messages of graphql-core and of strawberry's limiters, and the code each gets.
_CODES = (
    ("tokens. Parsing aborted", "TOO_MANY_TOKENS"),
    ("Syntax Error", "GRAPHQL_PARSE_FAILED"),
    ("exceeds maximum operation depth", "QUERY_TOO_DEEP"),
    ("aliases found", "TOO_MANY_ALIASES"),
    ("introspection has been disabled", "INTROSPECTION_DISABLED"),
    ("Variable '$", "BAD_USER_INPUT"),
)


def code_of(error: GraphQLError) -> str:
    """The code a client-caused error carries."""
    if isinstance(error.original_error, DomainError):
        return error.original_error.code.value
    for fragment, code in _CODES:
        if fragment in error.message:
            return code
    return "GRAPHQL_VALIDATION_FAILED" if error.path is None else "BAD_REQUEST"


class ErrorCodes(SchemaExtension):
    """Every error gets `extensions.code`: the domain's code for a domain error (the store
    unavailable, above all), a code for each limit, and GraphQL's parse and validation codes."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = (result.errors if result else None) or self.execution_context.pre_execution_errors
        for error in errors or []:
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": code_of(error)}


def _introspection_field(context: Any) -> bool:
    return bool(context.field_name.startswith("__"))


def extensions(limits: Limits) -> list[Callable[[], SchemaExtension]]:
    """Factories of the schema extensions that enforce `limits` (one set per request)."""
    found: list[Callable[[], SchemaExtension]] = [
        ErrorCodes,
        FragmentExpansion,
        partial(QueryDepthLimiter, max_depth=limits.max_depth, should_ignore=_introspection_field),
        partial(MaxAliasesLimiter, max_alias_count=limits.max_aliases),
        partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
        # Parsed documents remembered by text (and token limit); validation is in QueryCost.
        Parsed,
        partial(QueryCost, limit=limits.max_cost, hide_suggestions=not limits.introspection),
    ]
    if not limits.introspection:
        found.append(DisableIntrospection)
    return found
