"""The Python `gql` client, with its websockets transport speaking either WebSocket protocol
(graphql-transport-ws, and the legacy graphql-ws Apollo's subscriptions-transport-ws spoke),
against a live server: connect with the token in `init_payload`, subscribe, receive the event a
mutation causes, complete (the server lets the subscription go while the connection stays
open)."""

from __future__ import annotations

import asyncio

import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from tests.realtime.conformance.conftest import Live
from tests.realtime.wire import WAIT, until_active
from tests.realtime.world import WATCH


@pytest.mark.slow
@pytest.mark.parametrize(
    "subprotocol",
    [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL],
)
async def test_the_gql_client_subscribes_receives_an_event_and_completes(
    live: Live, subprotocol: str
) -> None:
    world = live.world
    transport = WebsocketsTransport(
        url=live.url,
        init_payload={"Authorization": f"Bearer {live.token}"},
        subprotocols=[subprotocol],
    )
    async with Client(transport=transport) as session:
        assert transport.subprotocol == subprotocol
        stream = session.subscribe(GraphQLRequest(WATCH, variable_values={"scope": world.mql}))
        first = asyncio.ensure_future(anext(stream))
        try:
            await until_active(live.metrics, 1)
            cause = await live.gql.check_in(world.mql, 250)
            result = await asyncio.wait_for(first, WAIT)
        finally:
            first.cancel()
            await stream.aclose()  # gql sends `complete`
        event = result["progressChanged"]
        assert event["node"] == {"id": world.mql}
        assert event["cause"] == {"id": cause, "value": 250, "keyResult": {"id": world.mql}}
        assert event["previous"] == {"value": 0, "status": "PENDING"}
        assert event["current"]["value"] == pytest.approx(0.25)
        await until_active(live.metrics, 0)  # completed, while the connection is still open
        assert transport.adapter.websocket is not None
