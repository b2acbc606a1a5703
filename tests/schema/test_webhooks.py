"""Webhook endpoints through the API: admins only, coded refusals for bad URLs, secrets, scopes
and ids, secret rotation, a test message to a real receiver, deliveries and redelivery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from schema.context import Context, signed_in_context
from schema.ids import to_global_id
from service.auth import Principal, Role
from service.outbound.lease import Leases
from service.outbound.signing import new_secret
from service.outbound.targets import Targets
from service.outbound.webhooks import Sender, WebhookDeliverer
from service.outbound.workers import Outbound
from tests.outbound.receiver import Receiver
from tests.schema.conftest import Backend, Client, World, forged, refused
from tests.schema.operations import ERRORS

PUBLIC = "https://93.184.215.14/hooks/okr"  # a public address: no DNS needed to accept it

WEBHOOK_FIELDS = """id url events createdAt createdBy deadLettered previousSecretValidUntil
startsAfterSequence scopes { id __typename }"""

WEBHOOK_CREATE = f"""
mutation WebhookCreate($input: WebhookCreateInput!) {{
  webhookCreate(input: $input) {{ webhook {{ {WEBHOOK_FIELDS} }} secret {ERRORS} }}
}}"""

WEBHOOK_UPDATE = f"""
mutation WebhookUpdate($id: ID!, $input: WebhookUpdateInput!) {{
  webhookUpdate(id: $id, input: $input) {{ webhook {{ {WEBHOOK_FIELDS} }} secret {ERRORS} }}
}}"""

WEBHOOK_DELETE = f"""
mutation WebhookDelete($id: ID!) {{ webhookDelete(id: $id) {{ deletedId {ERRORS} }} }}"""

DELIVERY_FIELDS = """sequence eventType messageId status attempts responseCode latencyMs error
firstAttemptAt lastAttemptAt nextAttemptAt"""

WEBHOOK_TEST = f"""
mutation WebhookTest($id: ID!) {{
  webhookTest(id: $id) {{ delivery {{ {DELIVERY_FIELDS} }} {ERRORS} }}
}}"""

WEBHOOK_REDELIVER = f"""
mutation WebhookRedeliver($id: ID!, $from: Int!) {{
  webhookRedeliver(id: $id, fromSequence: $from) {{ webhook {{ id deadLettered }} {ERRORS} }}
}}"""

WEBHOOKS = f"""
query Webhooks($org: ID!, $first: Int, $after: String) {{
  organization(id: $org) {{
    webhooks {{
      {WEBHOOK_FIELDS}
      deliveries(first: $first, after: $after) {{
        totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {DELIVERY_FIELDS} }}
        edges {{ cursor node {{ messageId }} }}
      }}
    }}
  }}
}}"""

WEBHOOK_NODE = "query($id: ID!) { node(id: $id) { id ... on Webhook { url } } }"


async def create(gql: Client, world: World, **fields: Any) -> dict[str, Any]:
    return await gql.mutate(
        WEBHOOK_CREATE, input={"organizationId": world.org, "url": PUBLIC} | fields
    )


async def test_an_admin_makes_an_endpoint_and_sees_its_secret_once(
    gql: Client, world: World
) -> None:
    made = await create(gql, world, scopeIds=[world.mql, world.funnel])
    hook = made["webhook"]
    assert made["secret"].startswith("whsec_")
    assert hook["url"] == PUBLIC
    assert hook["events"] == ["PROGRESS_CHANGED"]
    assert [s["id"] for s in hook["scopes"]] == [world.mql, world.funnel]
    assert hook["deadLettered"] is False
    assert hook["startsAfterSequence"] > 0
    listed = (await gql(WEBHOOKS, org=world.org))["organization"]["webhooks"]
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0]
    assert listed[0]["deliveries"]["totalCount"] == 0
    found = await gql(WEBHOOK_NODE, id=hook["id"])
    assert found["node"] == {"id": hook["id"], "url": PUBLIC}


async def test_a_given_secret_is_kept_and_a_rotation_keeps_the_old_one_a_day(
    gql: Client, world: World
) -> None:
    secret = new_secret()
    made = await create(gql, world, secret=secret)
    assert made["secret"] == secret
    hook_id = made["webhook"]["id"]
    unchanged = await gql.mutate(WEBHOOK_UPDATE, id=hook_id, input={"url": PUBLIC + "/v2"})
    assert unchanged["secret"] is None
    assert unchanged["webhook"]["previousSecretValidUntil"] is None
    rotated = await gql.mutate(WEBHOOK_UPDATE, id=hook_id, input={"rotateSecret": True})
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != secret
    assert rotated["webhook"]["previousSecretValidUntil"] is not None
    assert rotated["webhook"]["url"] == PUBLIC + "/v2"
    narrowed = await gql.mutate(WEBHOOK_UPDATE, id=hook_id, input={"scopeIds": [world.year]})
    assert [s["id"] for s in narrowed["webhook"]["scopes"]] == [world.year]


async def test_an_endpoint_is_deleted_once(gql: Client, world: World) -> None:
    hook_id = (await create(gql, world))["webhook"]["id"]
    gone = await gql.mutate(WEBHOOK_DELETE, id=hook_id)
    assert gone["deletedId"] == hook_id
    assert (await gql(WEBHOOKS, org=world.org))["organization"]["webhooks"] == []
    again = await gql(WEBHOOK_DELETE, id=hook_id)
    assert again["webhookDelete"]["userErrors"][0]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"url": "http://127.0.0.1:8080/hook"}, "TARGET_REFUSED", ["input", "url"]),
        ({"url": "http://169.254.169.254/latest"}, "TARGET_REFUSED", ["input", "url"]),
        ({"url": "http://10.0.0.7/hook"}, "TARGET_REFUSED", ["input", "url"]),
        ({"url": "file:///etc/passwd"}, "TARGET_REFUSED", ["input", "url"]),
        ({"secret": "hunter2"}, "INVALID_VALUE", ["input", "secret"]),
        ({"secret": "whsec_c2hvcnQ="}, "INVALID_VALUE", ["input", "secret"]),
        ({"events": []}, "INVALID_VALUE", ["input", "events"]),
        ({"scopeIds": ["not-an-id"]}, "INVALID_ID", ["input", "scopeIds"]),
    ],
)
async def test_bad_endpoints_are_refused_with_a_code_and_nothing_written(
    backend: Backend, gql: Client, world: World, fields: dict[str, Any], code: str, field: list[str]
) -> None:
    variables = {"input": {"organizationId": world.org, "url": PUBLIC} | fields}
    error = await refused(backend, gql, WEBHOOK_CREATE, variables)
    assert (error["code"], error["field"]) == (code, field)


async def test_scopes_and_ids_of_another_organization_look_unknown(
    backend: Backend, gql: Client, world: World, other: World
) -> None:
    theirs = {"input": {"organizationId": world.org, "url": PUBLIC, "scopeIds": [other.mql]}}
    error = await refused(backend, gql, WEBHOOK_CREATE, theirs)
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "scopeIds"])
    missing = forged("Webhook", world.org)
    for document, variables in (
        (WEBHOOK_UPDATE, {"id": missing, "input": {"url": PUBLIC}}),
        (WEBHOOK_DELETE, {"id": missing}),
        (WEBHOOK_TEST, {"id": missing}),
        (WEBHOOK_REDELIVER, {"id": missing, "from": 1}),
    ):
        error = await refused(backend, gql, document, variables)
        assert (error["code"], error["field"]) == ("NOT_FOUND", ["id"])
    error = await refused(backend, gql, WEBHOOK_DELETE, {"id": world.mql})
    assert (error["code"], error["field"]) == ("INVALID_ID", ["id"])


async def test_redelivery_asks_for_a_sequence_the_log_keeps(
    backend: Backend, gql: Client, world: World
) -> None:
    hook = (await create(gql, world))["webhook"]
    head = hook["startsAfterSequence"]
    for sequence in (0, head + 2):
        error = await refused(backend, gql, WEBHOOK_REDELIVER, {"id": hook["id"], "from": sequence})
        assert (error["code"], error["field"]) == ("INVALID_VALUE", ["fromSequence"])
    done = await gql.mutate(WEBHOOK_REDELIVER, id=hook["id"], **{"from": 1})
    assert done["webhook"] == {"id": hook["id"], "deadLettered": False}


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
async def test_only_admins_manage_or_see_endpoints(
    backend: Backend, world: World, role: Role
) -> None:
    client = Client(backend.store)
    principal = Principal(subject="someone", organization="acme", role=role)

    async def run(document: str, **variables: Any) -> Any:
        context = await signed_in_context(
            backend.store, principal, reads=client.reads, writer=client.writer
        )
        return await client.schema.execute(
            document, variable_values=variables, context_value=context
        )

    made = await run(WEBHOOK_CREATE, input={"organizationId": world.org, "url": PUBLIC})
    assert made.errors is not None
    assert made.errors[0].extensions == {"code": "FORBIDDEN"}
    listed = await run(WEBHOOKS, org=world.org)
    assert listed.errors is not None
    assert listed.errors[0].extensions == {"code": "FORBIDDEN"}


@dataclass
class Receiving(Client):
    """A client whose requests run in an app with outbound delivery allowed to 127.0.0.1."""

    outbound: Outbound | None = None

    def context(self) -> Context:
        made = super().context()
        made.outbound = self.outbound
        return made


@pytest.fixture
async def receiving(backend: Backend) -> AsyncIterator[Receiving]:
    client = Receiving(backend.store)
    sender = Sender(Targets(["127.0.0.1"]), timeout=5)
    deliverer = WebhookDeliverer(
        backend.store, client.reads, sender, naming=to_global_id, leases=Leases(backend.store)
    )
    client.outbound = Outbound(deliverer)
    try:
        yield client
    finally:
        await deliverer.close()


async def test_a_test_message_reaches_a_real_receiver_signed_and_is_listed(
    receiving: Receiving, world: World
) -> None:
    receiver = Receiver(secrets=[])
    await receiver.start()
    try:
        made = await receiving.mutate(
            WEBHOOK_CREATE, input={"organizationId": world.org, "url": receiver.url}
        )
        receiver.secrets = [made["secret"]]
        hook_id = made["webhook"]["id"]
        tested = await receiving.mutate(WEBHOOK_TEST, id=hook_id)
        receiver.fail = 1
        failed = await receiving.mutate(WEBHOOK_TEST, id=hook_id)
    finally:
        await receiver.stop()
    delivery = tested["delivery"]
    assert delivery["status"] == "DELIVERED"
    assert delivery["responseCode"] == 200
    assert delivery["sequence"] == 0
    assert delivery["eventType"] == "com.okrgraph.webhook.test"
    assert delivery["latencyMs"] > 0
    assert failed["delivery"]["status"] == "FAILED"
    assert failed["delivery"]["responseCode"] == 500
    (got, _) = receiver.requests
    assert got.verified_by == [made["secret"]]
    assert got.event["type"] == "com.okrgraph.webhook.test"
    assert got.message_id == delivery["messageId"]
    listed = await receiving(WEBHOOKS, org=world.org, first=1)
    deliveries = listed["organization"]["webhooks"][0]["deliveries"]
    assert deliveries["totalCount"] == 2
    assert deliveries["pageInfo"]["hasNextPage"]
    rest = await receiving(
        WEBHOOKS, org=world.org, first=5, after=deliveries["pageInfo"]["endCursor"]
    )
    seen = deliveries["nodes"] + rest["organization"]["webhooks"][0]["deliveries"]["nodes"]
    assert sorted(d["status"] for d in seen) == ["DELIVERED", "FAILED"]
