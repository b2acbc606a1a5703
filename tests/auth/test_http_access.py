"""Authentication and roles over HTTP and WebSocket, through the real app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from mongomock_motor import AsyncMongoMockClient
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from service.app import create_app
from service.auth import Role, mint
from service.config import Settings
from service.store.mongo import MongoStore
from tests.app.test_app import listening, serving

SECRET = "a-test-signing-key-that-is-long-enough-32"
SETTINGS = Settings(jwt_secret=SECRET, demo=False)


def token(role: Role, org: str = "acme") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(secret=SECRET, organization=org, role=role)}"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    store = MongoStore(AsyncMongoMockClient()["auth"])
    async with serving(create_app(SETTINGS, store=store)) as client:
        yield client


async def gql(
    client: httpx.AsyncClient, query: str, headers: dict[str, str], **variables: Any
) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


CREATE_ORG = """mutation($slug: String!) { organizationCreate(input: {name: "Acme", slug: $slug}) {
  organization { id } userErrors { code } } }"""
CREATE_DEPARTMENT = """mutation($org: ID!) { departmentCreate(input: {organizationId: $org,
  name: "Sales"}) { department { name } userErrors { code } } }"""
CREATE_YEAR = """mutation($org: ID!) { cycleCreate(input: {organizationId: $org, year: 2027}) {
  cycle { id } userErrors { code } } }"""
CREATE_OBJECTIVE = """mutation($cycle: ID!) { objectiveCreate(input: {cycleId: $cycle,
  title: "Grow"}) { objective { title } userErrors { code } } }"""


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}],
    ids=["missing", "garbage", "not-bearer"],
)
async def test_without_a_valid_token_every_request_is_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await gql(client, "{ __typename }", headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "x-okrgraph-auth" not in response.headers


def not_stored(response: httpx.Response) -> bool:
    """Whether an answer may be kept by no cache and varies by the caller's token."""
    vary = {v.strip().lower() for v in response.headers.get("vary", "").split(",")}
    return response.headers.get("cache-control") == "private, no-store" and "authorization" in vary


async def test_every_answer_depends_on_the_caller_and_no_cache_may_keep_it(
    client: httpx.AsyncClient,
) -> None:
    viewer = token(Role.VIEWER)
    query = "{ viewer { role } }"
    answers = {
        "POST": await gql(client, query, viewer),
        "GET": await client.get(
            "/graphql", params={"query": query}, headers={**viewer, "accept": "application/json"}
        ),
        "persisted GET": await client.get(
            "/graphql",
            params={
                "extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}})
            },
            headers={**viewer, "accept": "application/json"},
        ),
        "refused": await gql(client, query, {}),
        "mutation by GET": await client.get(
            "/graphql",
            params={"query": "mutation { __typename }"},
            headers={**viewer, "accept": "application/json"},
        ),
        "cross-origin POST": await client.post(
            "/graphql", json={"query": query}, headers={**viewer, "origin": "https://x.example"}
        ),
    }
    assert answers["GET"].json()["data"] == {"viewer": {"role": "viewer"}}
    assert answers["refused"].status_code == 401
    assert {name: not_stored(r) for name, r in answers.items()} == dict.fromkeys(answers, True)


async def test_the_graphiql_page_needs_no_token(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200


async def test_roles_decide_what_may_change_and_a_refusal_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    admin, editor, viewer = token(Role.ADMIN), token(Role.EDITOR), token(Role.VIEWER)
    other = await gql(client, CREATE_ORG, admin, slug="someone-else")
    assert other.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql(client, CREATE_ORG, editor, slug="acme")).json()["errors"][0]["extensions"][
        "code"
    ] == "FORBIDDEN"
    made = (await gql(client, CREATE_ORG, admin, slug="acme")).json()["data"]
    org = made["organizationCreate"]["organization"]["id"]
    refused = await gql(client, CREATE_DEPARTMENT, editor, org=org)
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused.json()["data"] is None
    listed = await gql(client, "{ organizations { nodes { departments { name } } } }", viewer)
    assert listed.json()["data"]["organizations"]["nodes"] == [{"departments": []}]
    done = await gql(client, CREATE_DEPARTMENT, admin, org=org)
    assert done.json()["data"]["departmentCreate"]["department"] == {"name": "Sales"}
    year = (await gql(client, CREATE_YEAR, admin, org=org)).json()["data"]["cycleCreate"]
    cycle = year["cycle"]["id"]
    by_viewer = await gql(client, CREATE_OBJECTIVE, viewer, cycle=cycle)
    assert by_viewer.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    by_editor = await gql(client, CREATE_OBJECTIVE, editor, cycle=cycle)
    assert by_editor.json()["data"]["objectiveCreate"]["objective"] == {"title": "Grow"}
    viewer_reads = await gql(client, "{ viewer { subject role organization { slug } } }", viewer)
    assert viewer_reads.json()["data"]["viewer"] == {
        "subject": "developer",
        "role": "viewer",
        "organization": {"slug": "acme"},
    }


async def test_a_token_for_another_organization_sees_nothing_of_this_one(
    client: httpx.AsyncClient,
) -> None:
    made = (await gql(client, CREATE_ORG, token(Role.ADMIN), slug="acme")).json()["data"]
    org = made["organizationCreate"]["organization"]["id"]
    stranger = token(Role.ADMIN, org="globex")
    found = await gql(client, "query($id: ID!) { node(id: $id) { id } }", stranger, id=org)
    assert found.json()["data"] == {"node": None}
    listed = await gql(client, "{ organizations { totalCount } }", stranger)
    assert listed.json()["data"] == {"organizations": {"totalCount": 0}}


async def test_with_authentication_off_every_response_says_so() -> None:
    store = MongoStore(AsyncMongoMockClient()["off"])
    app = create_app(Settings(auth="disabled"), store=store)
    async with serving(app) as client:
        for path in ("/healthz", "/graphql?query={__typename}"):
            assert (await client.get(path)).headers["x-okrgraph-auth"] == "disabled"


async def refused(ws: ClientConnection) -> ConnectionClosed:
    """Read until the server closes (graphql-ws reports an error first); the close."""
    try:
        while True:
            await ws.recv()
    except ConnectionClosed as closed:
        return closed


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_websocket_authenticates_in_connection_init(protocol: str) -> None:
    app = create_app(SETTINGS, store=MongoStore(AsyncMongoMockClient()["ws"]))
    good = f"Bearer {mint(secret=SECRET, organization='acme', role=Role.VIEWER)}"
    async with listening(app) as address:
        for payload in ({}, {"Authorization": "Bearer forged"}):
            async with connect(
                f"ws://{address}/graphql", subprotocols=[Subprotocol(protocol)]
            ) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
                closed = await refused(ws)
                if protocol == "graphql-transport-ws":
                    assert closed.rcvd is not None
                    assert closed.rcvd.code == 4403
        async with connect(f"ws://{address}/graphql", subprotocols=[Subprotocol(protocol)]) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": good}})
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_deactivated_members_token_is_refused_over_http_and_websockets(
    protocol: str,
) -> None:
    app = create_app(SETTINGS, store=MongoStore(AsyncMongoMockClient()["inactive"]))
    admin = token(Role.ADMIN)
    signed = mint(secret=SECRET, organization="acme", role=Role.EDITOR, subject="dan")
    dan = {"Authorization": f"Bearer {signed}"}
    async with (
        listening(app) as address,
        httpx.AsyncClient(base_url=f"http://{address}") as client,
    ):
        made = await gql(client, CREATE_ORG, admin, slug="acme")
        org = made.json()["data"]["organizationCreate"]["organization"]["id"]
        invited = await gql(
            client,
            """mutation($org: ID!) { memberInvite(input: {organizationId: $org, name: "Dan",
              email: "dan@acme.example", subject: "dan"}) { member { id } } }""",
            admin,
            org=org,
        )
        member = invited.json()["data"]["memberInvite"]["member"]["id"]
        assert (await gql(client, "{ viewer { member { name } } }", dan)).status_code == 200
        await gql(
            client,
            "mutation($id: ID!) { memberDeactivate(id: $id) { member { active } } }",
            admin,
            id=member,
        )
        refused_http = await gql(client, "{ viewer { subject } }", dan)
        assert refused_http.status_code == 403
        [error] = refused_http.json()["errors"]
        assert error["extensions"] == {"code": "MEMBER_INACTIVE"}
        assert "deactivated" in error["message"]
        async with connect(f"ws://{address}/graphql", subprotocols=[Subprotocol(protocol)]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": dan}))
            if protocol == "graphql-ws":
                said = json.loads(await ws.recv())
                assert said["type"] == "connection_error"
                assert said["payload"]["code"] == "MEMBER_INACTIVE"
            closed = await refused(ws)
            if protocol == "graphql-transport-ws":
                assert closed.rcvd is not None
                assert closed.rcvd.code == 4403
