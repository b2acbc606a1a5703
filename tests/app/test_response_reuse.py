"""Response reuse through the real app (service/reuse.py): identical queries of one caller at
one instant and one log position share an execution and a body; a write (on this instance or
another), another role, another instant or another caller never get a reused answer; GET
answers carry an ETag and answer 304 to If-None-Match while they hold."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from service.app import create_app
from service.auth import Role, mint
from service.config import Settings
from service.okrs.demo import DEMO_SLUG
from service.persisted import sha256_hex
from service.reuse import Answer, ResponseReuse
from service.store.mongo import MongoStore
from service.store.reads import current_operation
from tests.app.test_app import serving
from tests.kit.kit import NOW, demo_store, document, persisted
from tests.kit.kit import reads as read_model

SECRET = "okr-signing-key-9f3a2b7c-e1d4-reuse"
DASHBOARD = document("Dashboard")
FIND = """query($slug: String!) { organizationBySlug(slug: $slug) { id
  currentCycle { id objectives(first: 1) { nodes { keyResults { id } } } } } }"""
CHECK_IN = """mutation($kr: ID!, $value: Float!) { checkInCreate(input: {keyResultId: $kr,
  value: $value}) { checkIn { value } userErrors { code } } }"""


class Clock:
    """The app's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def signed(role: Role, subject: str = "ada") -> dict[str, str]:
    made = mint(secret=SECRET, organization=DEMO_SLUG, role=role, subject=subject)
    return {"Authorization": f"Bearer {made}"}


@dataclass
class Served:
    client: httpx.AsyncClient
    reuse: ResponseReuse
    clock: Clock
    variables: dict[str, Any]
    key_result: str

    async def dashboard(self, role: Role = Role.VIEWER, subject: str = "ada") -> httpx.Response:
        response = await self.client.post(
            "/graphql",
            json={"query": DASHBOARD, "variables": self.variables},
            headers=signed(role, subject),
        )
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.text
        return response

    async def check_in(self, value: float, client: httpx.AsyncClient | None = None) -> None:
        response = await (client or self.client).post(
            "/graphql",
            json={"query": CHECK_IN, "variables": {"kr": self.key_result, "value": value}},
            headers=signed(Role.EDITOR),
        )
        assert response.json()["data"]["checkInCreate"]["userErrors"] == [], response.text


def app_of(store: MongoStore, clock: Callable[[], datetime]) -> Starlette:
    return create_app(Settings(jwt_secret=SECRET, demo=False), store=store, clock=clock)


async def found(client: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
    response = await client.post(
        "/graphql",
        json={"query": FIND, "variables": {"slug": DEMO_SLUG}},
        headers=signed(Role.ADMIN),
    )
    org = response.json()["data"]["organizationBySlug"]
    cycle = org["currentCycle"]
    key_result = cycle["objectives"]["nodes"][0]["keyResults"][0]["id"]
    return {"organizationId": org["id"], "cycleId": cycle["id"]}, key_result


@pytest.fixture
async def store() -> MongoStore:
    return await demo_store("okrgraph_reuse")


@pytest.fixture
async def served(store: MongoStore) -> AsyncIterator[Served]:
    clock = Clock()
    app = app_of(store, clock)
    async with serving(app) as client:
        variables, key_result = await found(client)
        yield Served(client, app.state.reuse, clock, variables, key_result)


async def test_the_same_query_of_the_same_caller_at_the_same_instant_is_executed_once(
    served: Served,
) -> None:
    first = await served.dashboard()
    before = served.reuse.executions
    second = await served.dashboard()
    assert served.reuse.executions == before
    assert served.reuse.reused == 1
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["cache-control"] == "private, no-store"


async def test_a_write_between_two_requests_changes_the_answer(served: Served) -> None:
    first = await served.dashboard()
    await served.check_in(1234.5)
    second = await served.dashboard()
    assert served.reuse.reused == 0
    assert second.content != first.content
    assert "1234.5" in second.text
    assert second.headers["etag"] != first.headers["etag"]


async def test_a_write_on_another_instance_is_never_hidden_by_a_reused_answer(
    served: Served, store: MongoStore
) -> None:
    first = await served.dashboard()
    async with serving(app_of(store, served.clock)) as other:
        await served.check_in(4321.5, client=other)
    second = await served.dashboard()
    assert served.reuse.reused == 0
    assert second.content != first.content
    assert "4321.5" in second.text


async def test_an_answer_found_stale_is_computed_from_the_log_read_to_check_it(
    served: Served, store: MongoStore
) -> None:
    await served.dashboard()
    async with serving(app_of(store, served.clock)) as other:
        await served.check_in(2345.5, client=other)
        reads: list[str] = []
        store.on_round_trip = lambda: reads.append(current_operation())
        second = await served.dashboard()
    assert "2345.5" in second.text
    # Checking the kept answer brought the organization up to its log; the execution that
    # follows reads that instead of the log again: one read of the log, as without reuse.
    # (Other calls may come from the instances' background work, such as their webhooks.)
    assert reads.count("changes_after") == 1, reads


async def test_another_instant_is_computed_again(served: Served) -> None:
    await served.dashboard()
    served.clock.now = NOW + timedelta(milliseconds=400)  # the same whole second
    await served.dashboard()
    assert served.reuse.reused == 1
    served.clock.now = NOW + timedelta(seconds=1)
    await served.dashboard()
    assert served.reuse.reused == 1


async def test_concurrent_identical_requests_share_one_execution(served: Served) -> None:
    before = served.reuse.executions
    answers = await asyncio.gather(*(served.dashboard() for _ in range(8)))
    assert served.reuse.executions == before + 1
    assert served.reuse.joined + served.reuse.reused == 7
    assert len({a.content for a in answers}) == 1


async def test_mutations_and_answers_with_errors_are_never_reused(served: Served) -> None:
    executions = served.reuse.executions
    for value in (1.0, 1.0):
        await served.check_in(value)
    broken = {"query": "{ nope }"}
    for _ in range(2):
        await served.client.post("/graphql", json=broken, headers=signed(Role.VIEWER))
    # Mutations do not even ask for reuse; each query with an error is executed.
    assert served.reuse.executions == executions + 2
    assert served.reuse.reused == 0


async def test_a_get_persisted_query_answers_its_etag_with_304_while_it_holds(
    served: Served,
) -> None:
    sha = sha256_hex(DASHBOARD)
    headers = {**signed(Role.VIEWER), "accept": "application/json"}
    params = {
        "variables": json.dumps(served.variables),
        "extensions": json.dumps(persisted(sha)),
    }
    unknown = await served.client.get("/graphql", params=params, headers=headers)
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert "etag" not in unknown.headers
    register = {"query": DASHBOARD, "variables": served.variables, "extensions": persisted(sha)}
    await served.client.post("/graphql", json=register, headers=headers)  # the hash is known
    first = await served.client.get("/graphql", params=params, headers=headers)
    assert first.status_code == 200
    etag = first.headers["etag"]
    again = await served.client.get(
        "/graphql", params=params, headers={**headers, "if-none-match": etag}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    await served.check_in(77.5)
    changed = await served.client.get(
        "/graphql", params=params, headers={**headers, "if-none-match": etag}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "77.5" in changed.text


async def test_a_list_of_organizations_is_never_reused(store: MongoStore) -> None:
    """With authentication off, `organizations` lists what the store holds: a new
    organization is in no log an answer read, so no such answer is kept."""
    app = create_app(Settings(auth="disabled", demo=False), store=store, clock=Clock())
    query = {"query": "{ organizations { totalCount } }"}
    async with serving(app) as client:
        first = (await client.post("/graphql", json=query)).json()
        create = (
            'mutation { organizationCreate(input: {name: "Beta", slug: "beta"}) '
            "{ userErrors { code } } }"
        )
        await client.post("/graphql", json={"query": create})
        second = (await client.post("/graphql", json=query)).json()
    total = [a["data"]["organizations"]["totalCount"] for a in (first, second)]
    assert total[1] == total[0] + 1
    assert app.state.reuse.reused == 0


async def test_memory_is_bounded_in_answers_and_bytes(store: MongoStore) -> None:
    reuse = ResponseReuse(read_model(store), max_entries=3, max_bytes=1000)

    async def made(size: int) -> tuple[None, Answer]:
        return None, Answer(b"x" * size, "application/json", ())

    for index in range(5):
        await reuse.answer((index,), lambda: made(100))
    assert len(reuse) == 3
    await reuse.answer(("big",), lambda: made(890))
    assert reuse.size <= 1000
    assert len(reuse) == 2  # the newest 100 bytes, and the 890 under a 3-byte key
    await reuse.answer(("huge",), lambda: made(5000))
    assert reuse.size <= 1000
    # A key's document counts too: 600 bytes of body under a 500-character document do not fit.
    await reuse.answer(("q" * 500,), lambda: made(600))
    assert ("q" * 500,) not in reuse._answers
    assert reuse.size <= 1000


async def test_a_mutation_keeps_its_own_instant(served: Served) -> None:
    served.clock.now = NOW + timedelta(milliseconds=250)
    response = await served.client.post(
        "/graphql",
        json={
            "query": """mutation($kr: ID!) { checkInCreate(input: {keyResultId: $kr,
              value: 5}) { checkIn { recordedAt } } }""",
            "variables": {"kr": served.key_result},
        },
        headers=signed(Role.EDITOR),
    )
    recorded = response.json()["data"]["checkInCreate"]["checkIn"]["recordedAt"]
    assert datetime.fromisoformat(recorded) == NOW + timedelta(milliseconds=250)
