"""A store outage while signing in, answered with the coded error the API promises.

Signing in reads the caller's organization before GraphQL runs, so an unreachable store there
would surface as a framework's 500. Over HTTP it is a 503 with a GraphQL-shaped body coded
STORE_UNAVAILABLE (and `Retry-After`); a WebSocket's connection_init is refused with that code:
graphql-ws sends it as `connection_error` and closes (1011), graphql-transport-ws closes with
1013 (try again later) and the code as the reason.
"""

from __future__ import annotations

from typing import Any, cast

from starlette.responses import JSONResponse, Response
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyConnectionInitMessage,
)

from service.domain.errors import ErrorCode, StoreUnavailable

MESSAGE = "the store is unavailable: retry later"
CODE = ErrorCode.STORE_UNAVAILABLE.value
TRY_AGAIN_LATER = 1013
INTERNAL_ERROR = 1011


def store_unavailable() -> Response:
    """503 with a GraphQL-shaped body coded STORE_UNAVAILABLE: the request may be retried."""
    return JSONResponse(
        {"errors": [{"message": MESSAGE, "extensions": {"code": CODE}}]},
        status_code=503,
        headers={"Retry-After": "1"},
    )


def outage_handlers(
    transport_ws: type[BaseGraphQLTransportWSHandler[Any, Any]],
    legacy_ws: type[BaseGraphQLWSHandler[Any, Any]],
) -> tuple[type[BaseGraphQLTransportWSHandler[Any, Any]], type[BaseGraphQLWSHandler[Any, Any]]]:
    """The two protocols' handlers, refusing a connection_init whose sign-in finds the store
    unavailable (`on_ws_connect` lets StoreUnavailable through) with the code."""

    class TransportWS(transport_ws):  # type: ignore[valid-type,misc]
        async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
            try:
                await super().handle_connection_init(message)
            except StoreUnavailable:
                await self.websocket.close(code=TRY_AGAIN_LATER, reason=CODE)

    class LegacyWS(legacy_ws):  # type: ignore[valid-type,misc]
        async def handle_connection_init(self, message: LegacyConnectionInitMessage) -> None:
            try:
                await super().handle_connection_init(message)
            except StoreUnavailable:
                payload = {"message": MESSAGE, "code": CODE}
                await self.send_message({"type": "connection_error", "payload": payload})
                await self.websocket.close(code=INTERNAL_ERROR, reason="")

    return (
        cast(type[BaseGraphQLTransportWSHandler[Any, Any]], TransportWS),
        cast(type[BaseGraphQLWSHandler[Any, Any]], LegacyWS),
    )
