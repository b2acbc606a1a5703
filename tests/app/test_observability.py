"""Metrics, request ids, JSON logs and traces."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from mongomock_motor import AsyncMongoMockClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from service.app import OPERATIONS_DIR, create_app, known_operations
from service.config import Settings
from service.observability import JsonFormatter, RequestIds, metrics_app
from service.persisted import PersistedQueries
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
def app() -> Starlette:
    return create_app(
        Settings(auth="disabled"), store=MongoStore(AsyncMongoMockClient()["observed"])
    )


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app) as client:
        yield client


async def scrape(app: Starlette) -> str:
    """The exposition, as the metrics listener (`okrgraph serve` runs it apart) serves it."""
    transport = httpx.ASGITransport(app=metrics_app(app.state.metrics))
    async with httpx.AsyncClient(transport=transport, base_url="http://metrics.test") as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    return response.text


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition, 0 when absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


SHIPPED = (OPERATIONS_DIR / "Organizations.graphql").read_text(encoding="utf-8")
CREATE = """mutation Make { organizationCreate(input: {name: "Acme", slug: "acme"}) {
  organization { id } userErrors { code } } }"""


async def test_metrics_count_operations_errors_and_store_round_trips(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await client.post("/graphql", json={"query": SHIPPED})
    await client.post("/graphql", json={"query": CREATE})
    await client.post("/graphql", json={"query": CREATE})  # the slug is taken: DUPLICATE
    await client.post("/graphql", json={"query": "{ nope }"})
    text = await scrape(app)
    total = "okrgraph_graphql_requests_total"
    assert metric(text, total, operation_type="query", operation_name="Organizations") == 1
    assert metric(text, total, operation_type="mutation", operation_name="other") == 2
    assert metric(text, "okrgraph_graphql_errors_total", code="DUPLICATE") == 1
    assert metric(text, "okrgraph_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    trips = "okrgraph_store_round_trips_total"
    assert metric(text, trips, operation="list_organizations") >= 1
    assert metric(text, trips, operation="append_change") >= 1
    assert "okrgraph_graphql_request_seconds_bucket" in text
    assert "okrgraph_subscriptions_active" in text


async def test_only_operation_names_the_server_knows_are_labels(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    """Client-chosen names (another tenant's, or a flood of fresh ones) are all `other`: the
    exposition neither shows them nor grows with them."""
    await client.post("/graphql", json={"query": "query Warmup { organizations { totalCount } }"})
    before = await scrape(app)
    for n in range(300):
        query = f"query BetaSecretPlan{n} {{ organizations {{ totalCount }} }}"
        await client.post("/graphql", json={"query": query})
    after = await scrape(app)
    assert "BetaSecretPlan" not in after
    assert len(after) < len(before) + 200  # the counts change, the label set does not
    total = "okrgraph_graphql_requests_total"
    assert metric(after, total, operation_type="query", operation_name="other") == 301


async def test_the_api_does_not_serve_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404


def test_the_known_names_are_the_shipped_and_the_trusted_operations(tmp_path: Path) -> None:
    shipped = {path.stem for path in OPERATIONS_DIR.glob("*.graphql")}
    assert known_operations(PersistedQueries()) == shipped
    (tmp_path / "Mine.graphql").write_text("query TeamBoard { organizations { totalCount } }")
    trusted = PersistedQueries.configure(tmp_path)
    assert known_operations(trusted) == shipped | {"TeamBoard"}


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
