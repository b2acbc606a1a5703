"""Request limits: refused before execution, with a code, and the cost on every response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from mongomock_motor import AsyncMongoMockClient

from schema import limits
from service.app import create_app
from service.config import Settings
from service.store.mongo import MongoStore
from tests.app.test_app import serving


@pytest.fixture
async def store() -> MongoStore:
    made = MongoStore(AsyncMongoMockClient()["limits"])
    await made.ensure_indexes()
    return made


@pytest.fixture
async def client(store: MongoStore) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(auth="disabled", max_cost=500, introspection=False)
    async with serving(create_app(settings, store=store)) as client:
        yield client


async def ask(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def nested(depth: int) -> str:
    inner = "id"
    for _ in range(depth):
        inner = f"parent {{ {inner} }}"
    return f'{{ node(id: "x") {{ ... on Objective {{ {inner} }} }} }}'


async def test_a_query_deeper_than_twelve_levels_is_refused(client: httpx.AsyncClient) -> None:
    assert codes(await ask(client, nested(9))) == []
    assert codes(await ask(client, nested(12))) == ["QUERY_TOO_DEEP"]


async def test_more_than_thirty_aliases_are_refused(client: httpx.AsyncClient) -> None:
    many = " ".join(f"a{i}: __typename" for i in range(31))
    assert codes(await ask(client, f"{{ {many} }}")) == ["TOO_MANY_ALIASES"]
    fine = " ".join(f"a{i}: __typename" for i in range(30))
    assert codes(await ask(client, f"{{ {fine} }}")) == []


async def test_a_document_of_more_than_5000_tokens_is_refused(client: httpx.AsyncClient) -> None:
    long = "{ " + " ".join("__typename" for _ in range(5001)) + " }"
    assert codes(await ask(client, long)) == ["TOO_MANY_TOKENS"]


async def test_the_cost_is_reported_on_every_response_and_refused_above_the_limit(
    client: httpx.AsyncClient, store: MongoStore
) -> None:
    small = await ask(client, "{ organizations(first: 5) { nodes { name } } }")
    # The connection (1) and its 5 items.
    assert small["extensions"]["cost"] == {"requestedQueryCost": 6, "maximumAvailable": 500}
    costly = """query($n: Int) { organizations(first: $n) { nodes { departments { name }
      cycles { label } } } }"""
    before = store.round_trips
    # 1 + 100 x (1 + 5 departments + 5 cycles) = 1,101 > 500: refused before any store call.
    refused = await ask(client, costly, n=100)
    assert codes(refused) == ["QUERY_TOO_COSTLY"]
    assert refused["extensions"]["cost"]["requestedQueryCost"] == 1101
    assert "data" not in refused or refused["data"] is None
    assert store.round_trips == before
    assert codes(await ask(client, costly, n=10)) == []


async def test_introspection_is_off_unless_configured_or_in_demo_mode(
    client: httpx.AsyncClient, store: MongoStore
) -> None:
    refused = codes(await ask(client, "{ __schema { queryType { name } } }"))
    assert set(refused) == {"INTROSPECTION_DISABLED"}
    assert codes(await ask(client, "{ __typename }")) == []
    async with serving(create_app(Settings(demo=True, auth="disabled"), store=store)) as demo:
        assert codes(await ask(demo, "{ __schema { queryType { name } } }")) == []
    assert Settings(auth="disabled").introspection_allowed is False


@pytest.mark.parametrize(("first", "code"), [(101, "INVALID_PAGE_SIZE"), (-1, "INVALID_PAGE_SIZE")])
async def test_a_page_larger_than_100_is_refused(
    client: httpx.AsyncClient, first: int, code: str
) -> None:
    body = await ask(client, "query($n: Int) { organizations(first: $n) { totalCount } }", n=first)
    assert codes(body) == [code]


async def test_cors_allows_only_the_configured_origins(store: MongoStore) -> None:
    settings = Settings(auth="disabled", cors_origins=["https://app.example"])
    async with serving(create_app(settings, store=store)) as client:
        preflight = {"Access-Control-Request-Method": "POST"}
        allowed = await client.options(
            "/graphql", headers={"Origin": "https://app.example", **preflight}
        )
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        other = await client.options(
            "/graphql", headers={"Origin": "https://evil.example", **preflight}
        )
        assert "access-control-allow-origin" not in other.headers


async def test_a_document_is_validated_once_however_often_it_is_asked(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    validations: list[str] = []
    real = limits.validate_document

    def counted(*args: Any, **kwargs: Any) -> Any:
        validations.append("validated")
        return real(*args, **kwargs)

    monkeypatch.setattr(limits, "validate_document", counted)  # as limits imported it
    query = "query($n: Int) { organizations(first: $n) { nodes { name slug } } }"
    for n in (1, 2, 3):
        assert codes(await ask(client, query, n=n)) == []
    assert len(validations) == 1
    # Remembered or not, an invalid document keeps its errors and the cost follows variables.
    wrong = "{ organizations { nodes { nope } } }"
    for _ in range(2):
        assert codes(await ask(client, wrong)) == ["GRAPHQL_VALIDATION_FAILED"]
    assert len(validations) == 2
    costly = "query($n: Int) { organizations(first: $n) { nodes { departments { name } } } }"
    assert codes(await ask(client, costly, n=5)) == []
    assert codes(await ask(client, costly, n=100)) == ["QUERY_TOO_COSTLY"]
