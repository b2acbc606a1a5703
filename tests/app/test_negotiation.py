"""What a request over HTTP is answered with, by its Accept header and its operation: the
popular clients' defaults (urql lists an event stream among its JSON types for every request;
Apollo's HttpLink asks for multipart for subscriptions), and a subscription that asks only for
JSON is refused with a coded error, not answered with an internal one."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from service.app import create_app
from service.auth import Role, mint
from service.config import Settings
from service.negotiation import is_subscription, media_ranges, protocol_for, stream_preferred
from tests.app.test_app import listening, memory_store, serving
from tests.realtime.world import GraphQL, World, build

SECRET = "negotiation-signing-key-7d2e9b4c1a6f"
SLUG = "acme-negotiation"
URQL = (
    "application/graphql-response+json, application/graphql+json, application/json, "
    "text/event-stream, multipart/mixed"
)
APOLLO_SUBSCRIPTION = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json'
QUERY = "{ viewer { organization { slug } } }"
WATCH = """subscription Watch($scope: ID!) { progressChanged(scopeId: $scope) {
  sequence node { id } current { value status } } }"""


def test_an_accept_header_reads_as_its_types_q_values_and_order() -> None:
    ranges = media_ranges("Application/JSON;q=0.5, text/event-stream, , image/png;q=0, x;q=abc")
    assert [(r.media_type, r.q, r.position) for r in ranges] == [
        ("application/json", 0.5, 0),
        ("text/event-stream", 1.0, 1),
    ]


@pytest.mark.parametrize(
    ("accept", "protocol", "preferred"),
    [
        (URQL, "sse", False),  # listed, but after JSON
        (URQL, "multipart-subscription", False),
        ("text/event-stream", "sse", True),  # graphql-sse
        ("text/event-stream, application/json", "sse", True),
        ("application/json;q=0.5, text/event-stream", "sse", True),
        ("text/event-stream;q=0.2, application/json", "sse", False),
        ("text/event-stream, */*", "sse", True),
        ("*/*, text/event-stream", "sse", False),
        (APOLLO_SUBSCRIPTION, "multipart-subscription", True),
    ],
)
def test_a_stream_is_preferred_only_above_every_json_type(
    accept: str, protocol: str, preferred: bool
) -> None:
    assert stream_preferred(accept, protocol) is preferred


@pytest.mark.parametrize(
    ("accept", "chosen", "subscription", "answered"),
    [
        (URQL, "sse", False, "http"),
        (URQL, "sse", True, "sse"),
        ("text/event-stream", "sse", False, "sse"),
        (APOLLO_SUBSCRIPTION, "multipart-subscription", True, "multipart-subscription"),
        # Apollo's multipart protocol carries subscriptions only: a query gets JSON.
        (APOLLO_SUBSCRIPTION, "multipart-subscription", False, "http"),
        ("application/json", "http", True, "http"),  # refused later, with a code
    ],
)
def test_the_protocol_answered_follows_the_operation_and_the_preference(
    accept: str, chosen: str, subscription: bool, answered: str
) -> None:
    assert protocol_for(accept, chosen, subscription=subscription) == answered


def test_the_operation_run_is_told_by_its_name_and_kind() -> None:
    two = "query A { a } subscription B { b }"
    assert is_subscription(two, "B")
    assert not is_subscription(two, "A")
    assert not is_subscription(two, None)  # ambiguous: validation refuses it
    assert not is_subscription(two, "C")
    assert is_subscription("subscription { b }", None)
    assert not is_subscription("{ a }", None)
    assert not is_subscription("subscription {", None)  # does not parse
    assert not is_subscription(None, None)  # a persisted query's hash, resolved later
    assert not is_subscription("fragment F on Q { a }", None)
    assert not is_subscription("subscription { b }", {"not": "a name"})  # type: ignore[arg-type]
    assert not is_subscription({"not": "a document"}, None)  # type: ignore[arg-type]


def signed_in() -> dict[str, str]:
    token = mint(secret=SECRET, organization=SLUG, role=Role.ADMIN, subject="negotiation")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(jwt_secret=SECRET), store=memory_store())
    async with serving(app) as made:
        made.headers.update(signed_in())
        await build(GraphQL(made), slug=SLUG)
        yield made


async def test_urqls_default_accept_gets_json_for_a_query(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": QUERY}, headers={"accept": URQL})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    assert response.json()["data"] == {"viewer": {"organization": {"slug": SLUG}}}


async def test_a_client_that_prefers_the_event_stream_gets_it_for_a_query(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": QUERY}, headers={"accept": "text/event-stream"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "event: next" in response.text
    assert "event: complete" in response.text


async def test_a_query_with_apollos_multipart_accept_gets_json_without_a_traceback(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        response = await client.post(
            "/graphql", json={"query": QUERY}, headers={"accept": APOLLO_SUBSCRIPTION}
        )
    assert response.status_code == 200
    assert response.json()["data"] == {"viewer": {"organization": {"slug": SLUG}}}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_a_subscription_that_accepts_only_json_is_refused_with_a_code(
    client: httpx.AsyncClient, accept: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"query": WATCH, "variables": {"scope": "nothing"}}
    with caplog.at_level(logging.WARNING):
        response = await client.post("/graphql", json=body, headers={"accept": accept})
    assert response.status_code == 406
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "WebSocket" in error["message"]
    assert "text/event-stream" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("PUT", {}),  # graphql-sse reserves its single connection's stream
        ("GET", {"x-graphql-event-stream-token": "reserved"}),  # then listens on it
        ("POST", {"x-graphql-event-stream-token": "reserved"}),  # and subscribes through it
    ],
)
async def test_graphql_sse_single_connection_mode_is_refused_naming_the_mode_served(
    client: httpx.AsyncClient,
    method: str,
    headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = {"query": WATCH, "variables": {"scope": "nothing"}}
    with caplog.at_level(logging.WARNING):
        response = await client.request(
            method, "/graphql", json=body, headers={"accept": "text/event-stream", **headers}
        )
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "distinct connections mode" in error["message"]
    assert "singleConnection: false" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@asynccontextmanager
async def live_server() -> AsyncIterator[tuple[httpx.AsyncClient, World]]:
    app = create_app(Settings(jwt_secret=SECRET), store=memory_store())
    async with (
        listening(app) as address,
        httpx.AsyncClient(base_url=f"http://{address}", headers=signed_in(), timeout=10) as http,
    ):
        yield http, await build(GraphQL(http), slug=SLUG)


async def parts(response: httpx.Response) -> AsyncIterator[dict[str, object]]:
    """The JSON parts of a multipart/mixed response, heartbeats (`{}`) left out."""
    buffer = ""
    async for chunk in response.aiter_text():
        buffer += chunk
        while "\r\n\r\n" in buffer and "\r\n--graphql" in buffer.split("\r\n\r\n", 1)[1]:
            _, rest = buffer.split("\r\n\r\n", 1)
            body, buffer = rest.split("\r\n--graphql", 1)
            found = json.loads(body)
            if found:
                yield found


async def test_apollos_multipart_subscription_streams_each_event() -> None:
    async with live_server() as (http, world):
        body = {"query": WATCH, "variables": {"scope": world.mql}, "operationName": "Watch"}
        headers = {"accept": APOLLO_SUBSCRIPTION}
        async with http.stream("POST", "/graphql", json=body, headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("multipart/mixed")
            events = parts(response)
            await asyncio.sleep(0.2)  # the subscription reaches the bus
            await GraphQL(http).check_in(world.mql, 100.0)
            found = await asyncio.wait_for(anext(events), 10)
    payload = found["payload"]
    assert isinstance(payload, dict)
    event = payload["data"]["progressChanged"]
    assert event["node"] == {"id": world.mql}
    assert event["current"]["value"] == pytest.approx(0.1)
