"""A store outage while signing in: the coded STORE_UNAVAILABLE, over HTTP and WebSocket, never
a framework's 500; and a store that does not answer at start-up: the service serves anyway and
prepares the store once it answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from mongomock_motor import AsyncMongoMockClient
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from service import readiness
from service.app import create_app
from service.auth import Role, mint
from service.config import Settings
from service.domain.errors import StoreUnavailable
from service.store.errors import DEFAULT_DUPLICATE
from service.store.mongo import MongoStore
from tests.app.test_app import listening, serving
from tests.realtime.wire import closed_with, receive

T = TypeVar("T")
SECRET = "outage-signing-key-4f9c2a7e1b8d3f6a"
QUERY = "{ viewer { role } }"


class SwitchableStore(MongoStore):
    """A store that can be taken down: every call then fails as an unreachable MongoDB's."""

    def __init__(self, database: Any) -> None:
        super().__init__(database)
        self.down = False
        self.indexes_fail = False  # it answers, but making the indexes fails (for now)

    async def _call(
        self, operation: Callable[[], Awaitable[T]], *, duplicate: str = DEFAULT_DUPLICATE
    ) -> T:
        if self.down:
            raise StoreUnavailable("the store is unavailable (injected)")
        return await super()._call(operation, duplicate=duplicate)

    async def ping(self) -> None:
        if self.down:
            raise StoreUnavailable("the store is unavailable (injected)")
        await super().ping()

    async def ensure_indexes(self) -> None:
        if self.indexes_fail:
            raise StoreUnavailable("the store is unavailable (injected)")
        await super().ensure_indexes()


def token(org: str = "acme") -> str:
    return mint(secret=SECRET, organization=org, role=Role.ADMIN)


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_signing_in_during_an_outage_is_a_coded_503(method: str) -> None:
    store = SwitchableStore(AsyncMongoMockClient(tz_aware=True)["outage"])
    async with serving(create_app(Settings(jwt_secret=SECRET), store=store)) as client:
        store.down = True
        headers = {"Authorization": f"Bearer {token()}", "Accept": "application/json"}
        if method == "POST":
            response = await client.post("/graphql", json={"query": QUERY}, headers=headers)
        else:
            response = await client.get("/graphql", params={"query": QUERY}, headers=headers)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == "1"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "STORE_UNAVAILABLE"
    assert "injected" not in error["message"]


async def test_a_websocket_signing_in_during_an_outage_is_refused_with_the_code() -> None:
    store = SwitchableStore(AsyncMongoMockClient(tz_aware=True)["outage_ws"])
    app = create_app(Settings(jwt_secret=SECRET), store=store)
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token()}"}}
    async with listening(app) as address:
        store.down = True
        url = f"ws://{address}/graphql"
        transport = [Subprotocol("graphql-transport-ws")]
        async with connect(url, subprotocols=transport) as ws:
            await ws.send(json.dumps(init))
            assert await closed_with(ws) == (1013, "STORE_UNAVAILABLE")
        async with connect(url, subprotocols=[Subprotocol("graphql-ws")]) as ws:
            await ws.send(json.dumps(init))
            refused = await receive(ws)
            assert refused["type"] == "connection_error"
            assert refused["payload"]["code"] == "STORE_UNAVAILABLE"
            assert (await closed_with(ws))[0] == 1011
        store.down = False
        async with connect(url, subprotocols=transport) as ws:
            await ws.send(json.dumps(init))
            assert await receive(ws) == {"type": "connection_ack"}


async def test_a_store_down_at_start_is_prepared_once_it_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Started against a store that does not answer: /healthz 200, /readyz 503 (its hosts
    named), requests coded; once it answers, the indexes are made and the demo is seeded."""
    monkeypatch.setattr(readiness, "RETRY_SECONDS", 0.05)
    store = SwitchableStore(AsyncMongoMockClient(tz_aware=True)["outage_start"])
    store.down = store.indexes_fail = True
    app = create_app(Settings(auth="disabled", demo=True), store=store)
    async with serving(app) as client:
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["store"] == "unreachable"
        answer = await client.post("/graphql", json={"query": "{ organizations { totalCount } }"})
        assert [e["extensions"]["code"] for e in answer.json()["errors"]] == ["STORE_UNAVAILABLE"]
        # Back, but not prepared yet: still refused, as nothing may write before the unique
        # indexes exist; GraphiQL's page holds no data and is served.
        store.down = False
        answer = await client.post("/graphql", json={"query": "{ organizations { totalCount } }"})
        assert answer.status_code == 503
        assert [e["extensions"]["code"] for e in answer.json()["errors"]] == ["STORE_UNAVAILABLE"]
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert (await client.get("/readyz")).json()["store"] == "preparing"
        store.indexes_fail = False
        async with asyncio.timeout(10):
            while (await client.get("/readyz")).status_code != 200:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        answer = await client.post("/graphql", json={"query": "{ organizations { totalCount } }"})
        assert answer.json()["data"] == {"organizations": {"totalCount": 1}}  # the demo
