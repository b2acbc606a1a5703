"""One world for the whole corpus: the service with HS256 tokens (and a second app that trusts
an RS256 key), alpha and beta built through the API, and the raw database under them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from mongomock_motor import AsyncMongoMockClient

from service.app import create_app
from service.auth import Role, mint
from service.config import Settings
from service.store.mongo import MongoStore
from tests.security.model import SECRET, Env
from tests.security.tokens import server_public_pem
from tests.security.transport import ZERO_WIDTH
from tests.security.world import NOW, build_organization, nowhere


@dataclass
class Corpus:
    """The clients of both apps (by Call.app), the world, and the raw database."""

    env: Env
    clients: dict[str, httpx.AsyncClient]
    database: Any


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def corpus() -> AsyncIterator[Corpus]:
    database: Any = AsyncMongoMockClient(tz_aware=True)["security"]
    store = MongoStore(database)
    pem = server_public_pem()
    apps = {
        "hs": create_app(Settings(jwt_secret=SECRET), store=store, clock=lambda: NOW),
        "rs": create_app(Settings(jwt_public_key=pem.decode()), store=store, clock=lambda: NOW),
        # The demo seeded, with the key configured: authentication stays on.
        "demo": create_app(Settings(jwt_secret=SECRET, demo=True), store=store, clock=lambda: NOW),
    }
    tokens = {
        "admin": mint(secret=SECRET, organization="alpha", role=Role.ADMIN),
        "editor": mint(secret=SECRET, organization="alpha", role=Role.EDITOR),
        "viewer": mint(secret=SECRET, organization="alpha", role=Role.VIEWER),
        "beta": mint(secret=SECRET, organization="beta", role=Role.ADMIN),
        "ghost": mint(secret=SECRET, organization="ghost", role=Role.ADMIN),
        "zero-width": mint(secret=SECRET, organization=ZERO_WIDTH, role=Role.ADMIN),
        "newline": mint(secret=SECRET, organization="new-org\n", role=Role.ADMIN),
    }
    async with AsyncExitStack() as running:
        clients = {}
        for name, app in apps.items():
            await running.enter_async_context(app.router.lifespan_context(app))
            clients[name] = await running.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://okrgraph.test"
                )
            )
        alpha = await build_organization(clients["hs"], tokens["admin"], "alpha")
        beta = await build_organization(clients["hs"], tokens["beta"], "beta")
        env = Env(alpha=alpha, beta=beta, never=nowhere(alpha), tokens=tokens, rsa_pem=pem)
        yield Corpus(env=env, clients=clients, database=database)
