"""The running app delivers from the log: a check-in made over HTTP by a signed-in admin reaches
a real webhook receiver (signature verified) and a JetStream consumer, with the same sequence
and the same progress."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import nats
import nats.js.errors
import pytest
from mongomock_motor import AsyncMongoMockClient

from service.app import create_app
from service.auth import Role, mint
from service.config import Settings
from service.outbound.jetstream import SEQUENCE_HEADER
from service.store.mongo import MongoStore
from tests.app.test_app import serving
from tests.outbound.receiver import Receiver
from tests.schema.operations import (
    CHECK_IN_CREATE,
    CYCLE_CREATE,
    KEY_RESULT_CREATE,
    OBJECTIVE_CREATE,
    ORGANIZATION_CREATE,
)
from tests.schema.test_webhooks import WEBHOOK_CREATE

SECRET = "outbound-e2e-signing-key-5d8a2f7c1e9b"


class Api:
    """GraphQL over HTTP with one token."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers
        )
        body = response.json()
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        assert payload["userErrors"] == [], payload["userErrors"]
        return dict(payload)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    made = Receiver(secrets=[])
    await made.start()
    try:
        yield made
    finally:
        await made.stop()


async def test_a_check_in_over_http_reaches_the_webhook_and_the_stream(
    nats_url: str, receiver: Receiver
) -> None:
    prefix = f"okrapp{uuid4().hex[:12]}"
    slug = f"acme-{prefix}"
    settings = Settings(
        jwt_secret=SECRET,
        webhook_allow=["127.0.0.1"],
        nats_url=nats_url,
        nats_subject_prefix=prefix,
        nats_stream=prefix.upper(),
    )
    store = MongoStore(AsyncMongoMockClient(tz_aware=True)["outbound_app"])
    async with serving(create_app(settings, store=store)) as client:
        api = Api(client, mint(secret=SECRET, organization=slug, role=Role.ADMIN))
        org = (await api(ORGANIZATION_CREATE, input={"name": "Acme", "slug": slug}))[
            "organization"
        ]["id"]
        this_year = datetime.now(UTC).year
        year = (await api(CYCLE_CREATE, input={"organizationId": org, "year": this_year}))["cycle"]
        objective = (await api(OBJECTIVE_CREATE, input={"cycleId": year["id"], "title": "Grow"}))[
            "objective"
        ]["id"]
        kr = (
            await api(
                KEY_RESULT_CREATE,
                input={"objectiveId": objective, "title": "Leads", "targetValue": 100},
            )
        )["keyResult"]["id"]
        made = await api(
            WEBHOOK_CREATE, input={"organizationId": org, "url": receiver.url, "scopeIds": [kr]}
        )
        receiver.secrets = [made["secret"]]
        await api(CHECK_IN_CREATE, input={"keyResultId": kr, "value": 40})
        (delivered,) = await receiver.wait_for(1)
        sequence = delivered.sequence
        connection = await nats.connect(nats_url)
        try:
            subscription = await connection.jetstream().subscribe(
                f"{prefix}.*.progress", stream=prefix.upper(), ordered_consumer=True
            )
            published: list[dict[str, Any]] = []
            while len(published) < sequence:
                message = await subscription.next_msg(timeout=10)
                assert message.headers is not None
                assert int(message.headers[SEQUENCE_HEADER]) == len(published) + 1
                published.append(json.loads(message.data))
        finally:
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await connection.jetstream().delete_stream(prefix.upper())
            await connection.close()
    assert delivered.verified_by == [made["secret"]]
    assert delivered.event["type"] == "com.okrgraph.progress.changed"
    streamed = published[sequence - 1]
    assert streamed["id"] == delivered.event["id"]
    kr_moves = [c for c in streamed["data"]["changes"] if c["node"]["id"] == kr]
    assert delivered.event["data"]["changes"] == kr_moves
    assert kr_moves[0]["current"]["value"] == pytest.approx(0.4)
