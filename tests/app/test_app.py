"""The app over HTTP, in process: httpx's ASGITransport with the app's lifespan running, on the
service's schema and the in-process store (mongomock-motor)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from mongomock_motor import AsyncMongoMockClient
from starlette.applications import Starlette
from starlette.routing import Route
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from service import app as app_module
from service.app import create_app
from service.config import Settings
from service.domain.errors import StoreUnavailable
from service.domain.model import Organization
from service.graphql_http import GraphQLApp
from service.http_rules import accepts_graphql_response
from service.store.interface import Page
from service.store.mongo import MongoStore
from tests.processes import children
from tests.store.test_embedded import running

GRAPHQL_RESPONSE = "application/graphql-response+json"
WANTS_GRAPHQL_RESPONSE = {"accept": GRAPHQL_RESPONSE}


def memory_store() -> MongoStore:
    return MongoStore(AsyncMongoMockClient(tz_aware=True)["okrgraph_test"])


class UnreachableStore(MongoStore):
    async def ping(self) -> None:
        raise StoreUnavailable("the store is unavailable (ServerSelectionTimeoutError)")


class SilentStore(MongoStore):
    async def ping(self) -> None:
        await asyncio.Event().wait()


class BrokenStore(MongoStore):
    async def list_organizations(
        self, *, after: str | None, limit: int, ids: Sequence[str] | None = None
    ) -> Page[Organization]:
        raise RuntimeError("secret internals: mongodb://admin:hunter2@db")


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app`, with the app's lifespan running around it (ASGITransport runs none)."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://okrgraph.test"
        ) as client,
    ):
        yield client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with serving(
        create_app(Settings(demo=False, auth="disabled"), store=memory_store())
    ) as client:
        yield client


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


# Health ---------------------------------------------------------------------------------------
async def test_healthz_says_the_process_is_alive(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_the_store_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "store": "ok", "bus": "ok"}


async def test_readyz_is_503_when_the_store_is_unreachable() -> None:
    store = UnreachableStore(AsyncMongoMockClient()["okrgraph_test"])
    async with serving(create_app(Settings(demo=False, auth="disabled"), store=store)) as client:
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "store": "unreachable", "hosts": []}
        assert (await client.get("/healthz")).status_code == 200


async def test_readyz_is_503_when_the_store_does_not_answer_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app_module, "READY_TIMEOUT", 0.05)
    store = SilentStore(AsyncMongoMockClient()["okrgraph_test"])
    async with serving(create_app(Settings(demo=False, auth="disabled"), store=store)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "store": "unreachable", "hosts": []}


# GraphiQL -------------------------------------------------------------------------------------
async def test_a_browser_gets_graphiql_with_every_file_from_the_service_itself(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "GraphiQL.createFetcher" in page.text
    assert "subscriptionUrl" in page.text  # subscriptions over the WebSocket on /graphql
    assets = re.findall(r'(?:src|href)="([^"]+)"\s+integrity="([^"]+)"', page.text)
    assert {Path(url).name for url, _ in assets} == {
        "react.production.min.js",
        "react-dom.production.min.js",
        "js.cookie.min.js",
        "graphiql.min.css",
        "graphiql.min.js",
        "plugin-explorer.umd.js",
        "plugin-explorer.css",
    }
    assert "//" not in " ".join(url for url, _ in assets)  # nothing from another host
    for url, integrity in assets:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        digest = base64.b64encode(hashlib.sha384(asset.content).digest()).decode()
        assert integrity == f"sha384-{digest}", f"{url}: the browser would refuse it"


# Queries over HTTP ----------------------------------------------------------------------------
async def test_post_runs_a_query(client: httpx.AsyncClient) -> None:
    response = await post(client, "{ __typename organizations { totalCount } }")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"] == {"__typename": "Query", "organizations": {"totalCount": 0}}
    assert response.json()["extensions"]["cost"]["requestedQueryCost"] == 1


async def test_get_runs_a_query(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


async def test_get_refuses_a_mutation_with_405_and_runs_nothing(
    client: httpx.AsyncClient,
) -> None:
    mutation = (
        'mutation { organizationCreate(input: {name: "Acme", slug: "acme"}) '
        "{ userErrors { message } } }"
    )
    response = await client.get(
        "/graphql", params={"query": mutation}, headers=WANTS_GRAPHQL_RESPONSE
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    count = await post(client, "{ organizations { totalCount } }")
    assert count.json()["data"] == {"organizations": {"totalCount": 0}}


async def test_other_methods_are_refused_with_405(client: httpx.AsyncClient) -> None:
    response = await client.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


# GraphQL over HTTP: application/graphql-response+json ----------------------------------------
async def test_a_graphql_response_client_gets_that_content_type(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, "{ __typename }", headers=WANTS_GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param("{ organizations { totalCount }", None, id="does not parse"),
        pytest.param("{ nothingHere }", None, id="does not validate"),
        pytest.param("query($id: ID!) { node(id: $id) { id } }", {}, id="variable missing"),
        pytest.param(
            "query($n: Int) { organizations(first: $n) { totalCount } }",
            {"n": "x"},
            id="variable of the wrong type",
        ),
    ],
)
async def test_a_request_that_cannot_run_is_400_without_data(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None
) -> None:
    response = await post(client, query, variables, headers=WANTS_GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"]


async def test_a_plain_json_client_still_gets_200_for_a_request_error(
    client: httpx.AsyncClient,
) -> None:
    """GraphQL over HTTP keeps the legacy answer for `application/json`: 200 with the errors."""
    response = await post(client, "{ nothingHere }", headers={"accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"] is None


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        (GRAPHQL_RESPONSE, True),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", True),
        ("Application/GraphQL-Response+JSON; charset=utf-8", True),
        (f"application/json, {GRAPHQL_RESPONSE};q=0", False),
        ("application/json", False),
        ("*/*", False),
        ("", False),
    ],
)
def test_accept_negotiation(accept: str, wanted: bool) -> None:
    assert accepts_graphql_response(accept) is wanted


# Faults -------------------------------------------------------------------------------------
async def test_an_unexpected_fault_is_masked() -> None:
    store = BrokenStore(AsyncMongoMockClient()["okrgraph_test"])
    async with serving(create_app(Settings(demo=False, auth="disabled"), store=store)) as client:
        response = await post(client, "{ organizations { totalCount } }")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["path"] == ["organizations"]
    assert "secret" not in response.text
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text


async def test_the_masked_message_says_internal_server_error() -> None:
    store = BrokenStore(AsyncMongoMockClient()["okrgraph_test"])
    async with serving(create_app(Settings(demo=False, auth="disabled"), store=store)) as client:
        response = await post(client, "{ organizations { totalCount } }")
    assert response.json()["errors"][0]["message"] == "Internal server error"


async def test_a_client_mistake_is_not_logged_as_an_error(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await post(client, "{ nothingHere")
    await post(client, "{ nothingHere }")
    await post(client, "query($id: ID!) { node(id: $id) { id } }", {})
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_body_over_1_mib_is_refused_with_413(client: httpx.AsyncClient) -> None:
    padding = " " * (1 << 20)
    response = await client.post(
        "/graphql",
        content=f'{{"query": "{{ __typename }}{padding}"}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    just_below = " " * ((1 << 20) - 100)
    response = await client.post(
        "/graphql",
        content=f'{{"query": "{{ __typename }}{just_below}"}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200


# Lifespan -------------------------------------------------------------------------------------
async def test_the_lifespan_seeds_the_demo_into_an_empty_store_once() -> None:
    store = memory_store()
    clock = lambda: datetime(2027, 5, 10, 9, tzinfo=UTC)  # noqa: E731
    query = "{ organizations { totalCount nodes { slug cycles { year } } } }"
    for _ in range(2):
        app = create_app(Settings(demo=True, auth="disabled"), store=store, clock=clock)
        async with serving(app) as client:
            response = await post(client, query)
        organizations = response.json()["data"]["organizations"]
        assert organizations["totalCount"] == 1
        [demo] = organizations["nodes"]
        assert demo["slug"] == "acme-inbound"
        assert 2027 in {cycle["year"] for cycle in demo["cycles"]}


async def test_without_a_store_the_lifespan_runs_the_embedded_one_and_stops_it() -> None:
    before = children(os.getpid())
    app = create_app(Settings(memory=True, mongodb_uri=None, demo=False, auth="disabled"))
    async with serving(app) as client:
        started = children(os.getpid()) - before
        assert (await client.get("/readyz")).json() == {
            "status": "ready",
            "store": "ok",
            "bus": "ok",
        }
    [nx] = started
    assert not running(nx)


# WebSocket ------------------------------------------------------------------------------------
@asynccontextmanager
async def listening(app: Starlette) -> AsyncIterator[str]:
    """`app` under a real uvicorn on a free loopback port, in this event loop: its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done(), "uvicorn did not start"
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_both_websocket_protocols_are_spoken_on_graphql(protocol: str) -> None:
    app = create_app(Settings(demo=False, auth="disabled"), store=memory_store())
    async with (
        listening(app) as address,
        connect(f"ws://{address}/graphql", subprotocols=[Subprotocol(protocol)]) as ws,
    ):
        assert ws.subprotocol == protocol
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}


async def test_an_operation_over_graphql_transport_ws_reaches_the_store() -> None:
    """The WebSocket's context is built like a request's (the legacy graphql-ws protocol runs
    subscriptions only, so it waits for the schema's first subscription)."""
    app = create_app(Settings(demo=False, auth="disabled"), store=memory_store())
    async with (
        listening(app) as address,
        connect(
            f"ws://{address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws,
    ):
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}
        query = {"query": "{ organizations { totalCount } }"}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": query}))
        answer = json.loads(await ws.recv())
        assert (answer["id"], answer["type"]) == ("1", "next")
        assert answer["payload"]["data"] == {"organizations": {"totalCount": 0}}
        assert json.loads(await ws.recv()) == {"id": "1", "type": "complete"}


async def test_responses_are_compact_json_and_what_orjson_refuses_still_is_written(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename organizations { totalCount } }"}
    )
    assert response.text.startswith(
        '{"data":{"__typename":"Query","organizations":{"totalCount":0}}'
    )
    assert response.json()["data"] == {"__typename": "Query", "organizations": {"totalCount": 0}}
    assert " " not in response.text
    graphql = next(
        route.endpoint
        for route in create_app(Settings(auth="disabled"), store=memory_store()).routes
        if isinstance(route, Route) and route.path == "/graphql"
    )
    assert isinstance(graphql, GraphQLApp)
    huge = {"sequence": 2**70, "value": 0.1, "label": "é"}
    assert json.loads(graphql.encode_json(huge)) == huge
    assert graphql.encode_json({"value": 0.5}) == '{"value":0.5}'
