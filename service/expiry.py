"""A WebSocket lives as long as the token it signed in with.

A connection_init whose token has expired is refused with close code 4401 (Unauthorized: the
client should fetch a new token and connect again), not 4403 (Forbidden: it should give up).
A connection that signed in is closed with 4401 when its token expires, its subscriptions with
it: a client whose `connectionParams` fetches a token (graphql-ws's lazy function) reconnects
with a fresh one. The protocols have no message to swap the token on an open connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyConnectionInitMessage,
)

from service.auth import Principal, TokenExpired

UNAUTHORIZED = 4401
REASON = "Unauthorized: the token has expired"
CODE = "UNAUTHENTICATED"


class _Expiry:
    """Closes a handler's WebSocket with 4401 once the token it signed in with expires."""

    def __init__(self) -> None:
        self.timer: asyncio.Task[None] | None = None

    def arm(self, handler: Any) -> None:
        principal: Principal | None = getattr(handler.context, "principal", None)
        left = principal.seconds_left() if principal is not None else None
        if left is not None and self.timer is None:
            self.timer = asyncio.create_task(self._close_after(handler, left))

    async def _close_after(self, handler: Any, left: float) -> None:
        await asyncio.sleep(max(left, 0))
        with contextlib.suppress(Exception):  # closed meanwhile: nothing to do
            await handler.websocket.close(code=UNAUTHORIZED, reason=REASON)

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()


class _Expiring:
    """A protocol handler whose connection is watched for its token's expiry while it runs."""

    _expiry: _Expiry | None = None

    async def handle(self) -> None:
        self._expiry = _Expiry()
        try:
            await super().handle()  # type: ignore[misc]
        finally:
            self._expiry.disarm()


def expiry_handlers(
    transport_ws: type[BaseGraphQLTransportWSHandler[Any, Any]],
    legacy_ws: type[BaseGraphQLWSHandler[Any, Any]],
) -> tuple[type[BaseGraphQLTransportWSHandler[Any, Any]], type[BaseGraphQLWSHandler[Any, Any]]]:
    """The two protocols' handlers, closing 4401 for a token that has expired, at connect or
    later (`on_ws_connect` lets TokenExpired through)."""

    class TransportWS(_Expiring, transport_ws):  # type: ignore[valid-type,misc]
        async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
            try:
                await super().handle_connection_init(message)
            except TokenExpired:
                await self.websocket.close(code=UNAUTHORIZED, reason=REASON)
                return
            if self._expiry is not None and self.connection_acknowledged:
                self._expiry.arm(self)

    class LegacyWS(_Expiring, legacy_ws):  # type: ignore[valid-type,misc]
        async def handle_connection_init(self, message: LegacyConnectionInitMessage) -> None:
            try:
                await super().handle_connection_init(message)
            except TokenExpired:
                payload = {"message": "the token has expired", "code": CODE}
                await self.send_message({"type": "connection_error", "payload": payload})
                await self.websocket.close(code=UNAUTHORIZED, reason=REASON)
                return
            if self._expiry is not None and self.connection_acknowledged:
                self._expiry.arm(self)

    return (
        cast(type[BaseGraphQLTransportWSHandler[Any, Any]], TransportWS),
        cast(type[BaseGraphQLWSHandler[Any, Any]], LegacyWS),
    )
