"""A live `okrgraph serve` with authentication on, for clients nobody here wrote, and an
organization of the test's own in it with a token for that organization."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from uuid import uuid4

import httpx
import pytest

from service.auth import Role, mint
from tests.e2e.servers import metrics_of, serving
from tests.realtime.wire import WAIT
from tests.realtime.world import GraphQL, World, build

SECRET = "realtime-conformance-signing-key-of-32-chars-or-more"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The base URL of a server (in-memory store, in-process bus) for this module."""
    with serving("--memory", env={"OKRGRAPH_JWT_SECRET": SECRET}) as base:
        yield base


@dataclass
class Live:
    """The server's GraphQL WebSocket URL, an organization built in it, a token for it, and
    an HTTP client holding that token."""

    url: str
    token: str
    world: World
    http: httpx.AsyncClient
    gql: GraphQL
    metrics: str  # the server's metrics URL


@pytest.fixture
async def live(server: str) -> AsyncIterator[Live]:
    slug = f"conformance-{uuid4().hex[:12]}"
    token = mint(secret=SECRET, organization=slug, role=Role.ADMIN, subject="conformance")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server, headers=headers, timeout=WAIT) as http:
        gql = GraphQL(http)
        world = await build(gql, slug=slug)
        url = server.replace("http://", "ws://", 1) + "/graphql"
        yield Live(
            url=url, token=token, world=world, http=http, gql=gql, metrics=metrics_of(server)
        )
