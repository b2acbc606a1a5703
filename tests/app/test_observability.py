"""Metrics, request ids, JSON logs and traces."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from mongomock_motor import AsyncMongoMockClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.config import Settings
from service.observability import JsonFormatter, RequestIds
from service.store.mongo import MongoStore
from tests.app.test_app import serving

SPANS = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def tracing() -> None:
    """One in-memory tracer provider for the process (OpenTelemetry allows setting it once)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(SPANS))
        trace.set_tracer_provider(provider)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    store = MongoStore(AsyncMongoMockClient()["observed"])
    async with serving(create_app(Settings(auth="disabled"), store=store)) as client:
        yield client


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition, 0 when absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


CREATE = """mutation Make { organizationCreate(input: {name: "Acme", slug: "acme"}) {
  organization { id } userErrors { code } } }"""


async def test_metrics_count_operations_errors_and_store_round_trips(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/graphql", json={"query": "query Orgs { organizations { totalCount } }"})
    await client.post("/graphql", json={"query": CREATE})
    await client.post("/graphql", json={"query": CREATE})  # the slug is taken: DUPLICATE
    await client.post("/graphql", json={"query": "{ nope }"})
    text = (await client.get("/metrics")).text
    total = "okrgraph_graphql_requests_total"
    assert metric(text, total, operation_type="query", operation_name="Orgs") == 1
    assert metric(text, total, operation_type="mutation", operation_name="Make") == 2
    assert metric(text, "okrgraph_graphql_errors_total", code="DUPLICATE") == 1
    assert metric(text, "okrgraph_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    trips = "okrgraph_store_round_trips_total"
    assert metric(text, trips, operation="list_organizations") >= 1
    assert metric(text, trips, operation="append_change") >= 1
    assert "okrgraph_graphql_request_seconds_bucket" in text
    assert "okrgraph_subscriptions_active" in text


async def test_every_response_carries_a_request_id_and_a_sane_given_one_is_kept(
    client: httpx.AsyncClient,
) -> None:
    fresh = await client.get("/healthz")
    assert len(fresh.headers["x-request-id"]) == 32
    kept = await client.get("/healthz", headers={"X-Request-Id": "trace-42"})
    assert kept.headers["x-request-id"] == "trace-42"
    hostile = await client.get("/healthz", headers={"X-Request-Id": 'x" injected=1'})
    assert hostile.headers["x-request-id"] != 'x" injected=1'


async def test_log_lines_are_json_with_the_request_id() -> None:
    seen: list[str] = []

    async def app(scope: object, receive: object, send: object) -> None:
        record = logging.LogRecord(
            "service.test", logging.INFO, __file__, 1, "hello %s", ("you",), None
        )
        seen.append(JsonFormatter().format(record))

    async def nothing() -> dict[str, object]:
        return {}

    async def ignore(message: object) -> None:
        return None

    scope = {"type": "http", "headers": [(b"x-request-id", b"req-7")]}
    await RequestIds(app)(scope, nothing, ignore)
    line = json.loads(seen[0])
    assert line["message"] == "hello you"
    assert line["request_id"] == "req-7"
    assert line["level"] == "INFO"


async def test_each_operation_and_store_call_is_a_span(client: httpx.AsyncClient) -> None:
    SPANS.clear()
    await client.post("/graphql", json={"query": "query Orgs { organizations { totalCount } }"})
    names = [s.name for s in SPANS.get_finished_spans()]
    assert "graphql.operation" in names
    assert "store.list_organizations" in names
