"""The whole schema, fuzzed: queries and mutations generated from schema/schema.graphql for
every field and argument (hypothesis-graphql), sent over HTTP by the admin of an organization
built through the API, with the organization's real ids and dates at the edges of time in the
arguments. Every answer is coded and prompt; afterwards the store is still consistent.

The examples are a fixed, bounded sequence (`derandomize`), so the run is the same every time
and takes seconds (half a minute on a busy machine).
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import graphql
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from mongomock_motor import AsyncMongoMockClient
from starlette.applications import Starlette

from schema.ids import to_global_id
from service.app import create_app
from service.auth import Role, mint
from service.config import Settings
from service.store.mongo import MongoStore
from tests.security.model import SECRET, Ids
from tests.security.world import NOW, build_organization, nowhere

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = graphql.build_schema((ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8"))
DEADLINE = 5.0  # the app's request timeout, in seconds
EXAMPLES = 300
TOKEN = mint(secret=SECRET, organization="alpha", role=Role.ADMIN)

# Instants a client may send: ordinary ones, ones at the edges of what a date holds (in UTC
# or only in their own offset), bare dates and times without a zone.
INSTANTS = [
    "2027-02-10T12:00:00Z",
    "2027-02-15T00:00:00+14:00",
    "2027-01-01T00:00:00-12:00",
    "2027-02-15T00:04:00Z",
    "9999-12-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T20:00:00-05:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T05:00:00+14:00",
    "1970-01-01T00:00:00Z",
    "2026-11-02",
    "2027-01-01T00:00:00",
]
DATES = ["2027-01-01", "2027-02-15", "0001-01-01", "9999-12-31", "2027-02-30"]
TEXTS = ["Grow", "alpha", "new-org", "Q1 plan", " ", "", "a\x00b", "[$where]", "é" * 3]
# Numbers a client may send: ordinary ones and the edges of the bounds.
FLOATS = [0.0, 0.5, 1.0, 10.0, 100.0, -5.0, 1e-10, 5e-324, 1e15, -1e15, 1.0000001e15, 1.7e308]
INTS = [0, 1, 3, 5, 20, 100, 101, 2026, 2027, 2028, 9999, -1, 2**31 - 1]


def scalars(ids: Ids) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Strategies for the arguments: mostly what names or means something (ids of the world,
    plain words, numbers and instants a client would send), sometimes what does not (other
    ids, edges of time and of the bounds, hostile text)."""
    known = sorted(set(vars(ids).values()) | set(vars(nowhere(ids)).values()))
    return {
        "String": st.one_of(st.sampled_from(TEXTS), st.text(max_size=12)).map(nodes.String),
        "Float": st.one_of(
            st.sampled_from(FLOATS), st.floats(allow_nan=False, allow_infinity=False)
        ).map(nodes.Float),
        "Int": st.one_of(st.sampled_from(INTS), st.integers(-(2**31), 2**31 - 1)).map(nodes.Int),
        "ID": st.one_of(
            st.sampled_from(known), st.sampled_from(["", "x", "T3Jn", "bm90IGFuIGlk"])
        ).map(nodes.String),
        "DateTime": st.sampled_from(INSTANTS).map(nodes.String),
        "Date": st.sampled_from(DATES).map(nodes.String),
    }


async def send(client: httpx.AsyncClient, query: str) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    response = await client.post(
        "/graphql", json={"query": query}, headers={"authorization": f"Bearer {TOKEN}"}
    )
    return response, time.monotonic() - began


def checked(query: str, response: httpx.Response, took: float) -> dict[str, Any]:
    """The answer's JSON, after checking it is no fault and came within the deadline."""
    assert response.status_code < 500, (query, response.text[:500])
    assert took < DEADLINE + 2, (query, took)
    body: dict[str, Any] = response.json()
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert isinstance(code, str), (query, error)
        assert code != "INTERNAL_SERVER_ERROR", (query, error)
    return body


class World:
    """The app over a mongomock database, alpha built in it, and a client signed in as its
    admin; all on one event loop, which the synchronous fuzz test drives."""

    def __init__(self) -> None:
        self.runner = asyncio.Runner()
        self.stack = AsyncExitStack()
        self.database: Any = AsyncMongoMockClient(tz_aware=True)["fuzz"]

    def run(self, work: Any) -> Any:
        return self.runner.run(work)

    async def serve(self, app: Starlette) -> httpx.AsyncClient:
        await self.stack.enter_async_context(app.router.lifespan_context(app))
        transport = httpx.ASGITransport(app=app)
        return await self.stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://okrgraph.test")
        )

    def app(self) -> Starlette:
        store = MongoStore(self.database)
        return create_app(
            Settings(jwt_secret=SECRET, request_timeout=DEADLINE), store=store, clock=lambda: NOW
        )

    def close(self) -> None:
        self.run(self.stack.aclose())
        self.runner.close()


async def ids_of(database: Any, collection: str, type_name: str) -> list[str]:
    return [
        to_global_id(type_name, doc["orgId"], doc["_id"])
        async for doc in database[collection].find({})
    ]


KEY_RESULT = """query($v: ID!) { node(id: $v) { ... on KeyResult {
  startValue currentValue checkIns(first: 100) { totalCount nodes { value recordedAt } } } } }"""

SAME = [
    """{ viewer { organization { name slug policy { onTrackRatio atRiskRatio }
      departments { id name } initiatives(first: 100) { totalCount nodes { id cost roi } }
      objectives(first: 100) { totalCount nodes { id title weight
        progress { value expected status }
        keyResults { id currentValue targetValue progress { value status } forecast {
          projectedValue } } } } } } }""",
    """{ viewer { organization { progress(year: 2027) { value expected status }
      cycles { id closed progress { value status } } } } }""",
    """{ viewer { organization {
      changes(first: 100) { totalCount nodes { sequence kind } } } } }""",
]


def test_fuzzed_queries_and_mutations_are_coded_prompt_and_leave_the_store_consistent() -> None:
    world = World()
    try:
        client = world.run(world.serve(world.app()))
        alpha = world.run(build_organization(client, TOKEN, "alpha"))
        chosen = scalars(alpha)
        documents = st.one_of(
            queries(SCHEMA, custom_scalars=chosen),
            # From the signed-in organization down: every field of it resolves to something.
            queries(SCHEMA, fields=["viewer"], custom_scalars=chosen),
            mutations(SCHEMA, custom_scalars=chosen),
        )

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(query=documents)
        def fuzzed(query: str) -> None:
            checked(query, *world.run(send(client, query)))

        fuzzed()
        key_results = world.run(ids_of(world.database, "keyResults", "KeyResult"))
        assert key_results, "the organization lost its key results"
        for kr in key_results:
            body = checked(KEY_RESULT, *world.run(ask(client, KEY_RESULT, v=kr)))
            found = body["data"]["node"]
            due = [
                c
                for c in found["checkIns"]["nodes"]
                if datetime.fromisoformat(c["recordedAt"]) <= NOW
            ]
            expected = due[0]["value"] if due else found["startValue"]
            assert found["currentValue"] == expected, (kr, found)
        fresh = world.run(world.serve(world.app()))
        for query in SAME:
            warm = checked(query, *world.run(send(client, query)))
            cold = checked(query, *world.run(send(fresh, query)))
            assert "errors" not in warm, warm
            assert json.dumps(warm["data"]) == json.dumps(cold["data"])
    finally:
        world.close()


async def ask(
    client: httpx.AsyncClient, query: str, **variables: Any
) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {TOKEN}"},
    )
    return response, time.monotonic() - began
