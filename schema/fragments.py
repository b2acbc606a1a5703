"""Fragments written out: a document is refused before validation when its fragments cycle,
are missing, nest too deep or expand too far.

The depth and alias limiters and the cost estimate each walk an operation with every fragment
spread written out, recursively. A few nested fragments each spread many times (`fragment F1
{ ...F2 ...F2 ... }`), or one that spreads itself twice, make that walk exponential (a 1 kB
query held a worker for hours); a chain of a few hundred fragments overflows Python's stack; a
spread of an unknown fragment raises KeyError in strawberry's depth limiter. This check sizes
the expansion in one pass over the document, each fragment once, and refuses those first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

MAX_EXPANDED = 10_000  # a document of 5,000 tokens holds fewer selections without fragments
MAX_NESTING = 100  # selection sets inside each other, fragments written out; depth 12 in fields


class Refused(Exception):
    """A document the validators must not walk; the message says why."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class Expansion:
    """An operation or fragment with every fragment spread written out."""

    selections: int  # fields, inline fragments and spreads, capped
    nesting: int  # selection sets inside each other


@dataclass(frozen=True, slots=True)
class _Shape:
    """A selection set as written: its selections, its nesting, and the fragments it spreads
    with the nesting at which each spread stands."""

    selections: int
    nesting: int
    spreads: list[tuple[str, int]]

    @classmethod
    def of(cls, selections: SelectionSetNode) -> _Shape:
        count, deepest, spreads = 0, 1, []
        pending = [(selections, 1)]
        while pending:
            current, level = pending.pop()
            deepest = max(deepest, level)
            for node in current.selections:
                count += 1
                if isinstance(node, FragmentSpreadNode):
                    spreads.append((node.name.value, level))
                elif isinstance(node, FieldNode | InlineFragmentNode) and node.selection_set:
                    pending.append((node.selection_set, level + 1))
        return cls(count, deepest, spreads)

    def expand(self, expanded: dict[str, Expansion], cap: int) -> Expansion:
        """Written out with the expansions of the fragments it spreads."""
        size, nesting = self.selections, self.nesting
        for name, level in self.spreads:
            size += expanded[name].selections
            nesting = max(nesting, level + expanded[name].nesting)
        return Expansion(min(cap, size), nesting)


def expand(document: DocumentNode, *, cap: int) -> Expansion:
    """The document's operations with every fragment spread written out (selections at most
    `cap`); Refused when a spread names no fragment or fragments spread each other in a cycle."""
    shapes = {
        d.name.value: _Shape.of(d.selection_set)
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    operations = [
        _Shape.of(d.selection_set)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]
    for shape in (*shapes.values(), *operations):
        for name, _ in shape.spreads:
            if name not in shapes:
                raise Refused(f"Unknown fragment '{name}'.", "GRAPHQL_VALIDATION_FAILED")
    expanded: dict[str, Expansion] = {}
    # Depth-first, without recursion: a chain of fragments can be as long as the document.
    for root in shapes:
        on_path: set[str] = set()
        stack = [(root, False)]
        while stack:
            name, leaving = stack.pop()
            if leaving:
                expanded[name] = shapes[name].expand(expanded, cap)
                on_path.discard(name)
                continue
            if name in expanded:
                continue
            if name in on_path:
                raise Refused(
                    f"Cannot spread fragment '{name}' within itself.", "GRAPHQL_VALIDATION_FAILED"
                )
            on_path.add(name)
            stack.append((name, True))
            stack.extend((s, False) for s, _ in shapes[name].spreads if s not in expanded)
    written = [operation.expand(expanded, cap) for operation in operations]
    return Expansion(
        min(cap, sum(e.selections for e in written)), max((e.nesting for e in written), default=0)
    )


class FragmentExpansion(SchemaExtension):
    """Refuses, before any validation rule runs, a document that spreads an unknown fragment or
    fragments in a cycle (code GRAPHQL_VALIDATION_FAILED), nests deeper than MAX_NESTING
    (QUERY_TOO_DEEP) or expands to more than `limit` selections (QUERY_TOO_COSTLY)."""

    def __init__(self, *, limit: int = MAX_EXPANDED) -> None:
        self.limit = limit

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            error = self._check(document)
            if error is not None:
                # Errors set before validation stop it (strawberry's `_run_validation`).
                context.pre_execution_errors = [error]
        yield

    def _check(self, document: DocumentNode) -> GraphQLError | None:
        try:
            found = expand(document, cap=self.limit + 1)
        except Refused as refused:
            return GraphQLError(refused.message, extensions={"code": refused.code})
        if found.nesting > MAX_NESTING:
            return GraphQLError(
                f"selections nest {found.nesting} deep with the fragments written out; at most "
                f"{MAX_NESTING} are allowed",
                extensions={"code": "QUERY_TOO_DEEP"},
            )
        if found.selections > self.limit:
            return GraphQLError(
                f"the query expands to more than {self.limit} selections with its fragments "
                "written out: spread fewer fragments",
                extensions={"code": "QUERY_TOO_COSTLY", "limit": self.limit},
            )
        return None
