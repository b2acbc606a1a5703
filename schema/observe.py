"""GraphQL numbers for `service.observability`: operations, latency, error codes, and a span
per operation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from service.observability import tracer


def _user_error_codes(data: Any) -> list[str]:
    """The codes of the userErrors a mutation's payloads carry (when the client asked)."""
    if not isinstance(data, dict):
        return []
    return [
        e["code"]
        for payload in data.values()
        if isinstance(payload, dict)
        for e in payload.get("userErrors") or []
        if isinstance(e, dict) and isinstance(e.get("code"), str)
    ]


class Observe(SchemaExtension):
    """Counts and times every operation by type and name (a name the server knows, else
    `other`: see `Metrics.operation_label`), counts error codes, and wraps the operation in a
    span."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        with tracer.start_as_current_span("graphql.operation") as span:
            yield
            context = self.execution_context
            metrics = getattr(context.context, "metrics", None)
            kind = self._operation_type()
            span.set_attribute("graphql.operation.type", kind)
            if metrics is None:
                return
            name = metrics.operation_label(context.operation_name)
            span.set_attribute("graphql.operation.name", name)
            metrics.requests.labels(kind, name).inc()
            metrics.latency.labels(kind, name).observe(time.perf_counter() - started)
            result = context.result
            errors = (result.errors if result else None) or context.pre_execution_errors or []
            for error in errors:
                metrics.errors.labels(str((error.extensions or {}).get("code", "UNKNOWN"))).inc()
            for code in _user_error_codes(result.data if result else None):
                metrics.errors.labels(code).inc()

    def _operation_type(self) -> str:
        context = self.execution_context
        document = context.graphql_document
        for definition in document.definitions if document else ():
            named = getattr(getattr(definition, "name", None), "value", None)
            if isinstance(definition, OperationDefinitionNode) and context.operation_name in (
                None,
                named,
            ):
                return definition.operation.value
        return "unknown"
