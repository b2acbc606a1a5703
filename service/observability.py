"""What the service tells its operators: Prometheus metrics, JSON logs that carry a request id,
and OpenTelemetry traces when an OTLP endpoint is configured.

`schema.observe` feeds the GraphQL numbers in.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, parse
from opentelemetry import trace
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.reuse import store_read
from service.store.interface import Store
from service.store.reads import current_operation, operating

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = contextvars.ContextVar[str | None]("request_id", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

tracer = trace.get_tracer("okrgraph")


OTHER_OPERATION = "other"


class Metrics:
    """The service's Prometheus metrics, in a registry of their own (one per app).

    Operation names are chosen by clients: only those of `known_operations` (the documents the
    server ships or trusts) become labels, every other name is counted as `other`, so that the
    label set stays bounded and no client learns another's operation names."""

    def __init__(self, known_operations: Iterable[str] = ()) -> None:
        self.known_operations = frozenset(known_operations)
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "okrgraph_graphql_requests",
            "GraphQL operations executed.",
            ["operation_type", "operation_name"],
            registry=r,
        )
        self.latency = Histogram(
            "okrgraph_graphql_request_seconds",
            "Time to execute a GraphQL operation.",
            ["operation_type", "operation_name"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.errors = Counter(
            "okrgraph_graphql_errors",
            "GraphQL errors and user errors, by code.",
            ["code"],
            registry=r,
        )
        self.round_trips = Counter(
            "okrgraph_store_round_trips",
            "Requests sent to the store, by store operation.",
            ["operation"],
            registry=r,
        )
        self.reuse = Counter(
            "okrgraph_reusable_answers",
            "Answers to requests that may be reused (service/reuse.py), by outcome: executed, "
            "reused (a kept answer still at the log's positions) or joined (an identical "
            "request's execution).",
            ["outcome"],
            registry=r,
        )
        self.subscriptions = Gauge(
            "okrgraph_subscriptions_active", "Subscriptions open on this instance.", registry=r
        )
        self.published = Counter(
            "okrgraph_events_published",
            "Progress events published by this instance.",
            registry=r,
        )
        self.delivered = Counter(
            "okrgraph_events_delivered",
            "Progress events delivered to subscribers here.",
            registry=r,
        )

    def count_reuse(self, outcome: str) -> None:
        """Count one answer of service/reuse.py by its outcome."""
        self.reuse.labels(outcome).inc()

    def operation_label(self, name: str | None) -> str:
        """The label an operation is counted under: its name when the server knows it,
        `anonymous` without a name, `other` for every other name."""
        if not name:
            return "anonymous"
        return name if name in self.known_operations else OTHER_OPERATION

    def round_trip(self) -> None:
        """One request sent to the store, counted under the store operation that sent it."""
        self.round_trips.labels(current_operation()).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def metrics_endpoint(metrics: Metrics) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return endpoint


def metrics_app(metrics: Metrics) -> Starlette:
    """The metrics listener's application: `/metrics` and nothing else. It runs on an address
    of its own (OKRGRAPH_METRICS_HOST/PORT, loopback by default), never on the API's."""
    return Starlette(routes=[Route("/metrics", metrics_endpoint(metrics), methods=["GET"])])


def operation_names(*documents: str) -> set[str]:
    """The names of the operations defined in GraphQL documents (unparsable ones name none)."""
    names: set[str] = set()
    for text in documents:
        try:
            parsed = parse(text)
        except GraphQLError:
            continue
        names.update(
            definition.name.value
            for definition in parsed.definitions
            if isinstance(definition, OperationDefinitionNode) and definition.name is not None
        )
    return names


class ObservedStore:
    """The store with every call named (for the round-trip metric) and traced (a span per
    call; no-ops unless tracing is configured)."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        async def observed(*args: Any, **kwargs: Any) -> Any:
            store_read(name)  # what a reused answer may depend on (service/reuse.py)
            with operating(name), tracer.start_as_current_span(f"store.{name}"):
                return await attribute(*args, **kwargs)

        return observed


def request_id() -> str | None:
    """The id of the request being served, if any."""
    return _REQUEST_ID.get()


class RequestIds:
    """Gives every HTTP request an id (the caller's `X-Request-Id` when it is sane, else a new
    one), puts it on every log line written while serving it, and returns it as a header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.lower().encode(), b"")
        text = given.decode("latin-1")
        chosen = text if _SAFE_ID.match(text) else uuid.uuid4().hex
        token = _REQUEST_ID.set(chosen)

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, chosen)
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            _REQUEST_ID.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        found = request_id()
        if found is not None:
            line["request_id"] = found
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


def configure_tracing(service_name: str = "okrgraph") -> bool:
    """Export spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set; True if it is."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return True
