"""Persisted queries through the app: Apollo's automatic persisted queries over POST and GET,
and trusted-documents mode over HTTP and both WebSocket protocols."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse, print_ast
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from service.app import create_app
from service.config import Settings
from service.persisted import QueryCache, TrustedDocumentsError, sha256_hex
from tests.app.test_app import listening, serving
from tests.kit.kit import (
    NOW,
    OPERATIONS,
    by_hash,
    data_of,
    demo_store,
    document,
    error_code,
    memory_store,
    persisted,
)
from tests.realtime.wire import until_active

QUERY = "query Count { organizations { totalCount } }"
CREATE = (
    'mutation Create { organizationCreate(input: {name: "Acme", slug: "acme"}) '
    "{ organization { slug } } }"
)


def apq_app() -> Starlette:
    return create_app(Settings(auth="disabled"), store=memory_store())


def trusted_app(directory: Path = OPERATIONS) -> Starlette:
    return create_app(Settings(auth="disabled", trusted_documents=directory), store=memory_store())


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with serving(apq_app()) as client:
        yield client


async def send(
    client: httpx.AsyncClient, extensions: dict[str, Any], query: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"extensions": extensions}
    if query is not None:
        body["query"] = query
    return await client.post("/graphql", json=body)


# Automatic persisted queries ------------------------------------------------------------------
async def test_an_unknown_hash_is_persisted_query_not_found_with_200_and_no_caching(
    client: httpx.AsyncClient,
) -> None:
    response = await send(client, persisted(sha256_hex(QUERY)))
    assert error_code(response) == "PERSISTED_QUERY_NOT_FOUND"
    assert response.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert response.headers["cache-control"] == "private, no-store"
    # As Apollo Server, whatever the client accepts: the client retries with the query.
    strict = await client.post(
        "/graphql",
        json={"extensions": persisted(sha256_hex(QUERY))},
        headers={"accept": "application/graphql-response+json"},
    )
    assert strict.status_code == 200
    assert strict.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_the_hash_with_its_query_runs_and_registers_it_for_hash_only_requests(
    client: httpx.AsyncClient,
) -> None:
    sha256 = sha256_hex(QUERY)
    first = await send(client, persisted(sha256), QUERY)
    assert data_of(first) == {"organizations": {"totalCount": 0}}
    again = await send(client, persisted(sha256.upper()))  # hex digits in either case
    assert data_of(again) == {"organizations": {"totalCount": 0}}


async def test_a_hash_that_is_not_the_querys_is_refused_and_nothing_is_registered(
    client: httpx.AsyncClient,
) -> None:
    claimed = sha256_hex("{ __typename }")
    refused = await send(client, persisted(claimed), QUERY)
    assert error_code(refused) == "PERSISTED_QUERY_HASH_MISMATCH"
    assert error_code(await send(client, persisted(claimed))) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "extension",
    [
        {"version": 2, "sha256Hash": "0" * 64},
        {"version": 1, "sha256Hash": "not-a-hash"},
        {"version": 1},
        "v1",
    ],
)
async def test_a_persisted_query_extension_of_another_shape_is_not_supported(
    client: httpx.AsyncClient, extension: object
) -> None:
    response = await send(client, {"persistedQuery": extension})
    assert error_code(response) == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_get_runs_a_registered_hash_with_variables_and_not_graphiql(
    client: httpx.AsyncClient,
) -> None:
    """The URL a CDN caches: the hash, the variables and the operation name, no query. A
    client that accepts anything (`*/*`, or HTML) still gets JSON, not the GraphiQL page."""
    query = "query Org($id: ID!) { organization(id: $id) { name } }"
    await send(client, persisted(sha256_hex(query)), query)
    params = {
        "extensions": json.dumps(persisted(sha256_hex(query))),
        "variables": json.dumps({"id": "T3JnYW5pemF0aW9uOm5vbmU="}),
        "operationName": "Org",
    }
    for accept in ("*/*", "text/html,application/json"):
        response = await client.get("/graphql", params=params, headers={"accept": accept})
        assert response.headers["content-type"] == "application/json"
        assert data_of(response) == {"organization": None}


async def test_get_refuses_a_persisted_mutation_with_405_and_runs_nothing(
    client: httpx.AsyncClient,
) -> None:
    sha256 = sha256_hex(CREATE)
    unknown = await client.get("/graphql", params={"extensions": json.dumps(persisted(sha256))})
    assert error_code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    registering = await client.get(
        "/graphql", params={"query": CREATE, "extensions": json.dumps(persisted(sha256))}
    )
    assert registering.status_code == 405
    by_hash_only = await client.get(
        "/graphql", params={"extensions": json.dumps(persisted(sha256))}
    )
    assert by_hash_only.status_code == 405
    count = await client.post("/graphql", json={"query": QUERY})
    assert data_of(count) == {"organizations": {"totalCount": 0}}


async def test_each_instance_has_its_own_cache_and_a_miss_is_cured_by_the_retry() -> None:
    """Behind a load balancer: the instance that never saw the hash answers NOT_FOUND, the
    client sends the query with the hash, and from then on both know it."""
    sha256 = sha256_hex(QUERY)
    async with serving(apq_app()) as first, serving(apq_app()) as second:
        data_of(await send(first, persisted(sha256), QUERY))
        assert error_code(await send(second, persisted(sha256))) == "PERSISTED_QUERY_NOT_FOUND"
        data_of(await send(second, persisted(sha256), QUERY))
        data_of(await send(second, persisted(sha256)))


def test_the_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    cache = QueryCache(max_entries=2, max_chars=10)
    cache.put("a", "1234")
    cache.put("b", "1234")
    assert cache.get("a") == "1234"  # now "b" is the least recently used
    cache.put("c", "1234")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("1234", None, "1234")
    cache.put("d", "123456789")  # 4 + 9 characters: over the size, "a" and "c" go
    assert len(cache) == 1
    assert cache.get("d") == "123456789"
    cache.put("e", "x" * 11)  # larger than the whole cache: never kept
    assert cache.get("e") is None


# Trusted documents ----------------------------------------------------------------------------
def test_the_setting_is_read_from_okrgraph_trusted_documents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OKRGRAPH_TRUSTED_DOCUMENTS", str(OPERATIONS))
    assert Settings().trusted_documents == OPERATIONS


async def test_trusted_mode_refuses_any_other_document_before_parsing_it() -> None:
    async with serving(trusted_app()) as client:
        other = await client.post("/graphql", json={"query": QUERY})
        assert error_code(other) == "OPERATION_NOT_ALLOWED"
        broken = await client.post("/graphql", json={"query": "{ not graphql"})
        assert error_code(broken) == "OPERATION_NOT_ALLOWED"  # not GRAPHQL_PARSE_FAILED
        get = await client.get("/graphql", params={"query": "{ __typename }"})
        assert error_code(get) == "OPERATION_NOT_ALLOWED"


async def test_trusted_mode_refuses_an_unregistered_hash_and_registers_nothing() -> None:
    async with serving(trusted_app()) as client:
        sha256 = sha256_hex(QUERY)
        assert error_code(await send(client, persisted(sha256))) == "PERSISTED_QUERY_NOT_ALLOWED"
        with_query = await send(client, persisted(sha256), QUERY)
        assert error_code(with_query) == "OPERATION_NOT_ALLOWED"
        assert error_code(await send(client, persisted(sha256))) == "PERSISTED_QUERY_NOT_ALLOWED"


async def test_trusted_mode_runs_a_registered_document_by_hash_by_text_or_printed() -> None:
    text = document("Organizations")
    printed = print_ast(parse(text))  # what graphql-js `print` sends for the whole file
    async with serving(trusted_app()) as client:
        expected = {"organizations": {"totalCount": 0, "pageInfo": {}, "nodes": []}}
        for response in (
            await by_hash(client, "Organizations"),
            await by_hash(client, "Organizations", with_query=True),
            await client.post("/graphql", json={"query": text}),
            await client.post("/graphql", json={"query": printed}),
            await send(client, persisted(sha256_hex(printed))),
        ):
            found = data_of(response)
            found["organizations"]["pageInfo"] = {}
            assert found == expected


async def test_trusted_mode_refuses_unregistered_documents_over_server_sent_events() -> None:
    async with serving(trusted_app()) as client:
        response = await client.post(
            "/graphql", json={"query": QUERY}, headers={"accept": "text/event-stream"}
        )
        assert error_code(response) == "OPERATION_NOT_ALLOWED"


async def test_trusted_mode_loads_a_codegen_manifest_of_sha256_hashes(tmp_path: Path) -> None:
    text = "query Named { organizations { totalCount } }"
    (tmp_path / "persisted-documents.json").write_text(json.dumps({sha256_hex(text): text}))
    async with serving(trusted_app(tmp_path)) as client:
        assert data_of(await send(client, persisted(sha256_hex(text)))) == {
            "organizations": {"totalCount": 0}
        }


@pytest.mark.parametrize(
    ("files", "complaint"),
    [
        ({}, "no *.graphql file"),
        ({"Broken.graphql": "query {"}, "Broken.graphql"),
        ({"documents.json": json.dumps({"0" * 64: "{ __typename }"})}, "not the SHA-256"),
        ({"documents.json": "[1, 2]"}, "map"),
    ],
)
def test_a_trusted_documents_directory_that_cannot_work_stops_the_app(
    tmp_path: Path, files: dict[str, str], complaint: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(TrustedDocumentsError, match="trusted documents") as raised:
        trusted_app(tmp_path)
    assert complaint in str(raised.value)
    with pytest.raises(TrustedDocumentsError, match="not a directory"):
        trusted_app(tmp_path / "missing")


# Trusted documents over WebSocket -------------------------------------------------------------
async def ws_init(ws: Any) -> None:
    await ws.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await ws.recv()) == {"type": "connection_ack"}


@pytest.mark.parametrize(
    ("protocol", "start"), [("graphql-transport-ws", "subscribe"), ("graphql-ws", "start")]
)
async def test_trusted_mode_refuses_other_documents_over_both_websocket_protocols(
    protocol: str, start: str
) -> None:
    async with (
        listening(trusted_app()) as address,
        connect(f"ws://{address}/graphql", subprotocols=[Subprotocol(protocol)]) as ws,
    ):
        await ws_init(ws)
        query = 'subscription { progressChanged(scopeId: "x") { at } }'
        await ws.send(json.dumps({"id": "1", "type": start, "payload": {"query": query}}))
        answer = json.loads(await ws.recv())
        while answer["type"] == "ka":  # graphql-ws keeps the connection alive first
            answer = json.loads(await ws.recv())
        assert (answer["id"], answer["type"]) == ("1", "error")
        errors = answer["payload"] if protocol == "graphql-transport-ws" else [answer["payload"]]
        assert [e["extensions"]["code"] for e in errors] == ["OPERATION_NOT_ALLOWED"]


async def test_the_registered_subscription_delivers_a_check_in_in_trusted_mode() -> None:
    """ProgressChanged over graphql-transport-ws, CheckInCreate by hash over HTTP: the event
    arrives, with the key result's new progress."""
    store = await demo_store()
    app = create_app(
        Settings(auth="disabled", trusted_documents=OPERATIONS), store=store, clock=lambda: NOW
    )
    async with (
        listening(app) as address,
        httpx.AsyncClient(base_url=f"http://{address}") as client,
        connect(
            f"ws://{address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws,
    ):
        org = data_of(await by_hash(client, "Organizations"))["organizations"]["nodes"][0]
        variables = {"organizationId": org["id"], "cycleId": org["currentCycle"]["id"]}
        board = data_of(await by_hash(client, "Dashboard", variables))["cycle"]
        kr = board["objectives"]["nodes"][0]["keyResults"][0]
        await ws_init(ws)
        payload = {
            "query": document("ProgressChanged"),
            "operationName": "ProgressChanged",
            "variables": {"scopeId": kr["id"]},
        }
        await ws.send(json.dumps({"id": "live", "type": "subscribe", "payload": payload}))
        await until_active(
            app.state.metrics, 1
        )  # a check-in before the subscription is live is unheard
        check_in = {"input": {"keyResultId": kr["id"], "value": kr["targetValue"]}}
        made = data_of(await by_hash(client, "CheckInCreate", check_in))["checkInCreate"]
        assert made["userErrors"] == []
        event = json.loads(await ws.recv())
        assert (event["id"], event["type"]) == ("live", "next")
        changed = event["payload"]["data"]["progressChanged"]
        assert changed["node"] == {"__typename": "KeyResult", "id": kr["id"]}
        assert changed["current"]["status"] == "ACHIEVED"
        assert changed["cause"]["id"] == made["checkIn"]["id"]
