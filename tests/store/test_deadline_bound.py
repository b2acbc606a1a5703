"""A store call made under a request's deadline carries it to the store (`maxTimeMS`), so that
MongoDB abandons work for a request that is no longer waiting; without one, nothing is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from service.store.mongo import MongoStore
from service.store.reads import STORE_GRACE, deadline_in


class Sent(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def watched(nx_uri: str) -> AsyncIterator[tuple[MongoStore, Sent]]:
    sent = Sent()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        nx_uri, tz_aware=True, event_listeners=[sent]
    )
    try:
        yield MongoStore(client["okrgraph_deadline"]), sent
    finally:
        await client.close()


async def test_a_store_call_under_a_deadline_tells_the_store_when_to_give_up(
    watched: tuple[MongoStore, Sent],
) -> None:
    store, sent = watched
    with deadline_in(2.0):
        assert await store.get_organization_by_slug("nobody") is None
    (found,) = [c for c in sent.commands if "find" in c]
    assert 0 < found["maxTimeMS"] <= (2.0 + STORE_GRACE) * 1000


async def test_without_a_deadline_the_store_is_given_none(
    watched: tuple[MongoStore, Sent],
) -> None:
    store, sent = watched
    assert await store.get_organization_by_slug("nobody") is None
    (found,) = [c for c in sent.commands if "find" in c]
    assert "maxTimeMS" not in found
